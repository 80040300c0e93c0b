from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cases.models import Case, CaseCategory, CaseFlag, CasePerson, Flag, Language, RiskLevel


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO time read as UTC: Python takes offsets up to 23:59, PostgreSQL only up to 15:59 and
    fails the whole query on more (a 500 for `created_after=1687-10-07T22:11:33-19:42`)."""

    def to_python(self, value: object) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError as error:
            raise forms.ValidationError("That time is out of range.", code="overflow") from error


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A row's id: a whole number (NumberFilter takes 0.5, and documents a number)."""

    field_class = forms.IntegerField


class CaseFilter(django_filters.FilterSet):
    """The list filters of CONTRACT.md. Applied by selectors to an already policy-checked queryset,
    so no filter can widen what a user sees."""

    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    channel = django_filters.ChoiceFilter(choices=Case.Channel.choices)
    category = django_filters.CharFilter(
        method="filter_category", help_text="A category code: the primary or a further one."
    )
    priority = django_filters.ChoiceFilter(choices=Case.Priority.choices)
    area = django_filters.CharFilter(field_name="area__code")
    organisation = django_filters.CharFilter(method="filter_organisation")
    # Codes of admin-edited lists, retired ones included so older cases are still found.
    flag = django_filters.ModelChoiceFilter(
        queryset=Flag.objects.all(), to_field_name="code", method="filter_flag",
        help_text="A flag code (high_risk, child_involved, interpreter, ...).",
    )  # fmt: skip
    risk = django_filters.ChoiceFilter(
        field_name="risk_level", choices=RiskLevel.choices, help_text="The latest risk level."
    )
    language = django_filters.ModelChoiceFilter(
        queryset=Language.objects.all(), to_field_name="code", method="filter_language",
        help_text="The victim's language, by code (pl, ro, bsl, ...).",
    )  # fmt: skip
    flagged_by = IdFilter(
        method="filter_flagged_by",
        help_text="A staff member's id: the cases carrying a flag they set (My flagged cases).",
    )
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_organisation(
        self, queryset: QuerySet[Case], name: str, value: str
    ) -> QuerySet[Case]:
        """Cases of that helpline, or referred to that organisation."""
        referred = Case.objects.filter(referrals__organisation__slug=value).values("pk")
        return queryset.filter(Q(helpline__slug=value) | Q(pk__in=referred))

    def filter_category(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        """The primary category or a further one: a subquery, so a case is listed once."""
        further = CaseCategory.objects.filter(category__code=value).values("case_id")
        return queryset.filter(Q(category__code=value) | Q(pk__in=further))

    def filter_flag(self, queryset: QuerySet[Case], name: str, value: Flag) -> QuerySet[Case]:
        return queryset.filter(Exists(CaseFlag.objects.filter(case=OuterRef("pk"), flag=value)))

    def filter_flagged_by(self, queryset: QuerySet[Case], name: str, value: int) -> QuerySet[Case]:
        return queryset.filter(Exists(CaseFlag.objects.filter(case=OuterRef("pk"), set_by=value)))

    def filter_language(
        self, queryset: QuerySet[Case], name: str, value: Language
    ) -> QuerySet[Case]:
        victims = CasePerson.objects.filter(
            case=OuterRef("pk"), role=CasePerson.Role.VICTIM, person__language=value
        )
        return queryset.filter(Exists(victims))

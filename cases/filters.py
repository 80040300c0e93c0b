from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField

from cases.models import Case


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


class CaseFilter(django_filters.FilterSet):
    """The list filters of CONTRACT.md. Applied by selectors to an already policy-checked queryset,
    so no filter can widen what a user sees."""

    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    channel = django_filters.ChoiceFilter(choices=Case.Channel.choices)
    category = django_filters.CharFilter(field_name="category__code")
    priority = django_filters.ChoiceFilter(choices=Case.Priority.choices)
    area = django_filters.CharFilter(field_name="area__code")
    organisation = django_filters.CharFilter(method="filter_organisation")
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

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from cases.models import Case


class CaseFilter(django_filters.FilterSet):
    """The list filters of CONTRACT.md. Applied by selectors to an already policy-checked queryset,
    so no filter can widen what a user sees."""

    status = django_filters.ChoiceFilter(choices=Case.Status.choices)
    channel = django_filters.ChoiceFilter(choices=Case.Channel.choices)
    category = django_filters.CharFilter(field_name="category__code")
    priority = django_filters.ChoiceFilter(choices=Case.Priority.choices)
    area = django_filters.CharFilter(field_name="area__code")
    organisation = django_filters.CharFilter(method="filter_organisation")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_organisation(
        self, queryset: QuerySet[Case], name: str, value: str
    ) -> QuerySet[Case]:
        """Cases of that helpline, or referred to that organisation."""
        referred = Case.objects.filter(referrals__organisation__slug=value).values("pk")
        return queryset.filter(Q(helpline__slug=value) | Q(pk__in=referred))

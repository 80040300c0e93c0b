from __future__ import annotations

from rest_framework import serializers
from rest_framework.generics import ListAPIView

from accounts.models import Organisation


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["slug", "name", "kind"]


class OrganisationListView(ListAPIView):
    """Organisations a case can be referred to: the active civil-society organisations."""

    serializer_class = OrganisationSerializer
    pagination_class = None

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Organisation.objects.filter(is_active=True, kind=Organisation.Kind.CSO)

"""The pieces of API payloads that name a case's details (incident, victim, perpetrators, phone
numbers, codes of the admin-edited lists): validation only. Triage's verify, the staff's new case
and the change of a case's details (cases.change_serializers) read them the same way."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.models import Relationship
from project.phones import to_e164


def active_code(model: type, **kwargs: Any) -> Any:
    """An entry of an admin-edited list, by its code; retired entries are refused."""
    return serializers.SlugRelatedField(
        slug_field="code", queryset=model.objects.filter(is_active=True), **kwargs
    )


class IncidentSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    location = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20000)


class PhoneField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        raw = super().to_internal_value(data)
        if not raw:
            return ""
        phone = to_e164(raw)
        if not phone:
            raise serializers.ValidationError("Enter a phone number, e.g. 07700 900123.")
        return phone


class VictimSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=130)
    ethnicity = serializers.CharField(required=False, allow_blank=True, max_length=100)
    phone = PhoneField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    contact = serializers.DictField(required=False)


class PerpetratorSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=130)
    ethnicity = serializers.CharField(required=False, allow_blank=True, max_length=100)
    relationship = active_code(Relationship)


class StrictBooleanField(serializers.BooleanField):
    """true or false only: not the strings and numbers a form would send."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)
        raise AssertionError  # fail() raises


class StrictCharField(serializers.CharField):
    """Text only: not a number or a boolean DRF would quietly turn into one (`{"q": 0}`)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

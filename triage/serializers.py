"""The shapes of CONTRACT.md's verify and discard payloads: validation only, no writes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.models import Area, Case, Category, DiscardReason, Relationship
from cases.services import IncidentDetails
from project.phones import to_e164
from triage.services import PerpetratorDetails, Verification, VictimRecord


def _active(model: type, **kwargs: Any) -> Any:
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
    relationship = _active(Relationship)


class VerifySerializer(serializers.Serializer):
    category = _active(Category)
    priority = serializers.ChoiceField(choices=Case.Priority.values)
    # an extension of the contract: the area the figures count the case under (a code, optional)
    area = _active(Area, required=False, allow_null=True)
    incident = IncidentSerializer(required=False)
    victim = VictimSerializer(required=False)
    perpetrators = PerpetratorSerializer(many=True, required=False, max_length=20)

    def verification(self) -> Verification:
        data = self.validated_data
        victim = data.get("victim")
        return Verification(
            category=data["category"],
            priority=data["priority"],
            incident=IncidentDetails(**data.get("incident", {})),
            victim=VictimRecord(
                name=victim.get("name", ""),
                phone=victim.get("phone", ""),
                age=victim.get("age"),
                ethnicity=victim.get("ethnicity", ""),
                address=victim.get("address", ""),
                contact_preferences=victim.get("contact", {}),
            )
            if victim
            else None,
            perpetrators=[PerpetratorDetails(**p) for p in data.get("perpetrators", [])],
            area=data.get("area"),
        )


class DiscardSerializer(serializers.Serializer):
    reason = _active(DiscardReason)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReassignSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=150)

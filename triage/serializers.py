"""The shapes of CONTRACT.md's verify and discard payloads: validation only, no writes."""

from __future__ import annotations

from rest_framework import serializers

from cases.models import Area, Case, Category, DiscardReason, Flag, Language
from cases.payloads import (
    IncidentSerializer,
    PerpetratorSerializer,
    VictimSerializer,
    active_code,
)
from cases.services import IncidentDetails
from triage.services import PerpetratorDetails, Verification, VictimRecord


class VerifyVictimSerializer(VictimSerializer):
    language = active_code(Language, required=False, allow_null=True, help_text="What they speak.")


class VerifySerializer(serializers.Serializer):
    category = active_code(Category)
    priority = serializers.ChoiceField(choices=Case.Priority.values)
    # an extension of the contract: the area the figures count the case under (a code, optional)
    area = active_code(Area, required=False, allow_null=True)
    incident = IncidentSerializer(required=False)
    victim = VerifyVictimSerializer(required=False)
    perpetrators = PerpetratorSerializer(many=True, required=False, max_length=20)
    categories = serializers.ListField(
        child=active_code(Category), required=False, max_length=20,
        help_text="The further categories, all of them (the primary is `category`).",
    )  # fmt: skip
    flags = serializers.ListField(
        child=active_code(Flag), required=False, max_length=30,
        help_text="The flags wanted, all of them (codes).",
    )  # fmt: skip

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
                language=victim.get("language"),
            )
            if victim
            else None,
            perpetrators=[PerpetratorDetails(**p) for p in data.get("perpetrators", [])],
            area=data.get("area"),
            categories=_codes(data.get("categories")),
            flags=_codes(data.get("flags")),
        )


def _codes(entries: list[Category] | list[Flag] | None) -> tuple[str, ...] | None:
    return None if entries is None else tuple(entry.code for entry in entries)


class DiscardSerializer(serializers.Serializer):
    reason = active_code(DiscardReason)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ReassignSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=150)

"""The shape of POST /api/v1/cases/ (CONTRACT.md "Cases opened and changed by staff"): validation
only; cases.manual.open_staff_case does the writing."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.contact import Contact, problems
from cases.manual import STAFF_CHANNELS, NewReporter, NewVictim, StaffReport
from cases.models import Language, Relationship
from cases.payloads import PhoneField, StrictBooleanField, VictimSerializer, active_code

# named StaffChannelEnum in the schema (settings: ENUM_NAME_OVERRIDES)
STAFF_CHANNEL_VALUES = [str(channel) for channel in STAFF_CHANNELS]


class NewVictimSerializer(VictimSerializer):
    """The victim as verify takes them, and (extensions) their date of birth and language."""

    date_of_birth = serializers.DateField(required=False, allow_null=True)
    language = active_code(Language, required=False)  # leave out when not known

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        """Safe-contact answers keep the rules every form keeps (cases.contact)."""
        answers = data.get("contact")
        if answers:
            if answers.get("contact") not in dict(Contact.CHOICES):
                raise serializers.ValidationError({"contact": "Say whether contact is allowed."})
            found = problems({**answers, "phone": data.get("phone")}, phone_field="phone")
            if found:
                raise serializers.ValidationError(
                    {"contact": [f"{field}: {problem}" for field, problem in found]}
                )
        return data

    def victim(self, data: dict[str, Any]) -> NewVictim:
        born = data.get("date_of_birth")
        return NewVictim(
            name=data.get("name", ""),
            phone=data.get("phone", ""),
            age=data.get("age"),
            ethnicity=data.get("ethnicity", ""),
            address=data.get("address", ""),
            date_of_birth=born.isoformat() if born else "",
            language=data.get("language"),
            contact_preferences=data.get("contact") or {},
        )


class NewReporterSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    phone = PhoneField(required=False, allow_blank=True, max_length=40)
    relationship = active_code(Relationship, required=False, allow_null=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not (data.get("name") or data.get("phone")):
            raise serializers.ValidationError("Give the reporter's name or phone.")
        return data


class NewCaseSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=STAFF_CHANNEL_VALUES)
    description = serializers.CharField(max_length=20000)
    victim = NewVictimSerializer(required=False)
    # leave out (or null) when the victim is reporting themselves
    reporter = NewReporterSerializer(required=False, allow_null=True)
    # an extension of the contract: claim it for the opener at once (status in_triage); default
    # false, so the case waits in the queue as `new`
    claim = StrictBooleanField(required=False, default=False)

    def staff_report(self) -> StaffReport:
        data = self.validated_data
        reporter = data.get("reporter")
        return StaffReport(
            channel=data["channel"],
            description=data["description"],
            victim=NewVictimSerializer().victim(data.get("victim") or {}),
            reporter=NewReporter(
                name=reporter.get("name", ""),
                phone=reporter.get("phone", ""),
                relationship=reporter.get("relationship"),
            )
            if reporter
            else None,
            claim=data["claim"],
        )

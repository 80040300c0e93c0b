"""The shape of POST /api/v1/cases/ (CONTRACT.md "Cases opened and changed by staff"): validation
only; cases.manual.open_staff_case does the writing."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from cases.manual import STAFF_CHANNELS, NewReporter, NewVictim, StaffReport
from cases.models import Language, Relationship
from project.phones import to_e164


def _active(model: type, **kwargs: Any) -> Any:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=model.objects.filter(is_active=True), **kwargs
    )


class PhoneField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_blank=True, max_length=40, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        raw = super().to_internal_value(data)
        if not raw:
            return ""
        phone = to_e164(raw)
        if not phone:
            raise serializers.ValidationError("Enter a phone number, e.g. 07700 900123.")
        return phone


class NewVictimSerializer(serializers.Serializer):
    """The victim as verify takes them, and (extensions) their date of birth and language."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=130)
    ethnicity = serializers.CharField(required=False, allow_blank=True, max_length=100)
    phone = PhoneField()
    address = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    language = _active(Language, required=False, allow_null=True)
    # the safe-contact answers, in the shape verify takes them
    contact = serializers.DictField(required=False)

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
    phone = PhoneField()
    relationship = _active(Relationship, required=False, allow_null=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if not (data.get("name") or data.get("phone")):
            raise serializers.ValidationError("Give the reporter's name or phone.")
        return data


class NewCaseSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=[str(c) for c in STAFF_CHANNELS])
    description = serializers.CharField(max_length=20000)
    victim = NewVictimSerializer(required=False)
    # leave out (or null) when the victim is reporting themselves
    reporter = NewReporterSerializer(required=False, allow_null=True)
    # an extension of the contract: claim it for the opener at once (status in_triage); default
    # false, so the case waits in the queue as `new`
    claim = serializers.BooleanField(required=False, default=False)

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

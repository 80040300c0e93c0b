"""The shape of PATCH /api/v1/cases/{number}/ (CONTRACT.md "Cases opened and changed by staff"):
validation only; cases.changes.change_case does the writing. The case page's change form is read
through the same serializer, so both refuse the same things in the same words."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from cases.changes import NOT_SENT, CaseChanges
from cases.contact import Channel, Contact, preferences, problems
from cases.models import Area, Case, CasePerson, Category, Language, Relationship
from cases.payloads import (
    IncidentSerializer,
    PerpetratorSerializer,
    PhoneField,
    VictimSerializer,
    active_code,
)
from cases.people_changes import PersonChange

CONTACT_PROBLEMS = {
    "no_ways": "Choose at least one safe way to contact them.",
    "no_phone": "A phone call or a text needs their phone number.",
    "no_email": "An email needs their email address.",
    "text_and_no_text": "Texts are a way to contact them, yet they said no texts.",
    "half_hours": "Give both ends of the safe hours, or neither.",
}


def _not_in_future(day: Any) -> Any:
    if day and day > timezone.localdate():
        raise serializers.ValidationError("The date must be today or in the past.")
    return day


class ContactAnswersSerializer(serializers.Serializer):
    """The victim's safe-contact answers, as the verify form asks them (cases.contact)."""

    contact = serializers.ChoiceField(choices=Contact.CHOICES)
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.CHOICES),
        required=False,
        max_length=len(Channel.CHOICES),
    )
    no_voicemail = serializers.BooleanField(required=False)
    no_text = serializers.BooleanField(required=False)
    no_org_name = serializers.BooleanField(required=False)
    updates = serializers.BooleanField(required=False)
    portal = serializers.BooleanField(required=False)
    safe_times = serializers.CharField(required=False, allow_blank=True, max_length=200)
    safe_from = serializers.TimeField(required=False, allow_null=True)
    safe_until = serializers.TimeField(required=False, allow_null=True)
    language = serializers.CharField(required=False, allow_blank=True, max_length=10)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)


class VictimChangeSerializer(VictimSerializer):
    """The victim's details sent (only those sent change), and (extensions) their date of birth,
    language and the day they moved to the address sent."""

    date_of_birth = serializers.DateField(required=False, allow_null=True)
    language = active_code(Language, required=False, allow_null=True)
    moved_on = serializers.DateField(required=False, allow_null=True)
    contact = ContactAnswersSerializer(required=False)

    def validate_date_of_birth(self, value: Any) -> Any:
        return _not_in_future(value)

    def validate_moved_on(self, value: Any) -> Any:
        return _not_in_future(value)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        answers = data.get("contact")
        if answers is None:
            return data
        phone = data.get("phone", self.context.get("victim_phone", ""))
        found = problems({**answers, "phone": phone}, phone_field="phone")
        if found:
            raise serializers.ValidationError(
                {"contact": [CONTACT_PROBLEMS[problem] for _, problem in found]}
            )
        data["contact"] = preferences(answers, answers["contact"])
        return data


class PerpetratorChangeSerializer(PerpetratorSerializer):
    """A perpetrator on the case to change (`id`) or take off (`remove`), or without an id one to
    add (then `relationship` is required)."""

    id = serializers.IntegerField(required=False, min_value=1)
    remove = serializers.BooleanField(required=False, default=False)
    relationship = active_code(Relationship, required=False, allow_null=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if "id" not in data and not data.get("relationship"):
            raise serializers.ValidationError(
                {"relationship": ["Say how the perpetrator is related to the victim."]}
            )
        return data


class ReporterSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=300)
    phone = PhoneField(required=False, allow_blank=True, max_length=40)
    relationship = active_code(Relationship, required=False, allow_null=True)


class CaseChangeSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The case's version you read.")
    reason = serializers.CharField(max_length=500, help_text="Why: kept in the case's history.")
    category = active_code(Category, required=False)
    categories = serializers.ListField(
        child=active_code(Category), required=False, max_length=20,
        help_text="The further categories, all of them (the primary is `category`).",
    )  # fmt: skip
    priority = serializers.ChoiceField(choices=Case.Priority.choices, required=False)
    area = active_code(Area, required=False, allow_null=True)
    incident = IncidentSerializer(required=False)
    victim = VictimChangeSerializer(required=False)
    perpetrators = PerpetratorChangeSerializer(many=True, required=False, max_length=20)
    reporter = ReporterSerializer(
        required=False, allow_null=True, help_text="null: take the reporter off the case."
    )
    flags = serializers.ListField(
        child=serializers.SlugField(max_length=64), required=False, max_length=30,
        help_text="The flags wanted, all of them (codes).",
    )  # fmt: skip

    def changes(self) -> CaseChanges:
        data = self.validated_data
        perpetrators = data.get("perpetrators", NOT_SENT)
        if perpetrators is not NOT_SENT:
            perpetrators = [
                PersonChange(
                    id=entry.get("id"),
                    remove=entry.get("remove", False),
                    fields={k: v for k, v in entry.items() if k not in ("id", "remove")},
                )
                for entry in perpetrators
            ]
        return CaseChanges(
            **{
                name: data[name]
                for name in (
                    "category",
                    "categories",
                    "priority",
                    "area",
                    "incident",
                    "victim",
                    "reporter",
                    "flags",
                )
                if name in data
            },  # fmt: skip
            perpetrators=perpetrators,
        )


def change_context(case: Case) -> dict[str, Any]:
    """What the serializer checks the answers against: the victim's phone on record (safe-contact
    answers that need a phone may rely on it)."""
    victim = case.people.filter(role=CasePerson.Role.VICTIM).select_related("person").first()
    return {"victim_phone": victim.person.phone if victim else ""}

"""Cases as JSON. Identifying fields are shown only to users the access policy lets see identities;
for everyone else they are null, so monitors read figures, not people."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import Case, Report
from cases.policy import can_see_identities


class _RedactingSerializer(serializers.Serializer):
    identifying: tuple[str, ...] = ()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("identities", False):
            for name in self.identifying:
                data[name] = None
        return data


class ReportSerializer(_RedactingSerializer):
    identifying = ("from", "body", "recording_url", "transcription", "media")

    channel = serializers.CharField()
    received_at = serializers.DateTimeField()
    body = serializers.CharField()
    recording_url = serializers.SerializerMethodField()
    transcription = serializers.CharField()
    media = serializers.ListField(child=serializers.CharField())

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.CharField(source="sender")  # "from" is a Python keyword
        return fields

    def get_recording_url(self, report: Report) -> str | None:
        # The provider's URL is never handed out: recordings are streamed through our own view.
        if not (report.recording_file or report.recording_url):
            return None
        path = reverse("case-recording", args=[report.case.number, report.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class PersonSerializer(_RedactingSerializer):
    identifying = (
        "id",
        "name",
        "age",
        "ethnicity",
        "phone",
        "address",
        "date_of_birth",
        "language",
    )

    id = serializers.IntegerField(source="person.id")
    role = serializers.CharField()
    name = serializers.CharField(source="person.name")
    age = serializers.IntegerField(source="person.age", allow_null=True)
    ethnicity = serializers.CharField(source="person.ethnicity")
    phone = serializers.CharField(source="person.phone")
    address = serializers.CharField(source="person.address")
    date_of_birth = serializers.CharField(source="person.date_of_birth")
    language = serializers.CharField(source="person.language.code", allow_null=True, default=None)
    relationship = serializers.CharField(source="relationship.code", allow_null=True, default=None)


class ReferralSerializer(serializers.Serializer):
    """A referral. Its reasons are read from `readable_*`, which cases.selectors (or the API answering
    the party that just acted) set to what this user may read."""

    id = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.slug")
    assignee = serializers.CharField(source="assignee.username", default=None)
    status = serializers.CharField()
    consent = serializers.BooleanField()
    consent_overridden = serializers.SerializerMethodField()
    referred_by = serializers.CharField(source="referred_by.username")
    reason = serializers.SerializerMethodField()
    decline_reason = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField(source="is_overdue")
    responded_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)

    def get_consent_overridden(self, referral: Any) -> bool:
        return referral.consent_overridden_by_id is not None

    def get_reason(self, referral: Any) -> str | None:
        return getattr(referral, "readable_reason", "") or None

    def get_decline_reason(self, referral: Any) -> str | None:
        return getattr(referral, "readable_decline_reason", "") or None


class ServiceSerializer(serializers.Serializer):
    """A service given. Its notes are the giving organisation's own (`readable_notes`)."""

    id = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.slug")
    service_type = serializers.CharField(source="service_type.code")
    provided_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(allow_null=True)
    notes = serializers.SerializerMethodField()
    recorded_by = serializers.CharField(source="recorded_by.username")

    def get_notes(self, service: Any) -> str | None:
        return getattr(service, "readable_notes", "") or None


class FollowUpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.slug")
    kind = serializers.CharField(source="kind.code")
    due_at = serializers.DateTimeField()
    notes = serializers.CharField()
    assignee = serializers.CharField(source="assignee.username")
    overdue = serializers.BooleanField(source="is_overdue")
    done_at = serializers.DateTimeField(allow_null=True)


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.CharField(source="organisation.slug")
    author = serializers.CharField(source="author.username", default=None)
    kind = serializers.CharField()
    shared = serializers.BooleanField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class RiskSerializer(serializers.Serializer):
    level = serializers.CharField(source="risk_level")
    score = serializers.IntegerField(source="risk_score", allow_null=True)
    completed_at = serializers.DateTimeField(source="risk_assessed_at")


class CaseListSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code", default=None)
    area = serializers.CharField(source="area.code", default=None)
    claimed_by = serializers.CharField(source="claimed_by.username", default=None)
    helpline = serializers.CharField(source="helpline.slug")
    flags = serializers.SerializerMethodField()
    risk = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "number", "status", "channel", "category", "area", "priority", "helpline",
            "created_at", "updated_at", "claimed_by", "claimed_at", "needs_callback", "version",
            "flags", "risk",
        ]  # fmt: skip

    def get_flags(self, case: Case) -> list[str]:
        # prefetched by cases.selectors (list_cases, access_case)
        return [link.flag.code for link in case.flag_links.all()]

    @extend_schema_field(RiskSerializer(allow_null=True))
    def get_risk(self, case: Case) -> dict[str, Any] | None:
        return RiskSerializer(case).data if case.risk_assessed_at else None


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseDetailSerializer(CaseListSerializer):
    # whose queue it is in (cases.routing); null: the helpline's shared queue
    team = TeamSerializer(allow_null=True, read_only=True)
    incident = serializers.SerializerMethodField()
    other_categories = serializers.SerializerMethodField()
    merged_into = serializers.CharField(source="merged_into.number", default=None)
    reports = ReportSerializer(many=True)
    people = PersonSerializer(many=True)
    referrals = ReferralSerializer(many=True)
    services = ServiceSerializer(many=True)
    # only what the access policy let cases.selectors.access_case load for this user
    follow_ups = FollowUpSerializer(many=True, source="visible_follow_ups")
    notes = NoteSerializer(many=True, source="visible_notes")

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "closed_at",
            "team",
            "other_categories",
            "merged_into",
            "incident",
            "reports",
            "people",
            "referrals",
            "services",
            "follow_ups",
            "notes",
        ]

    def get_other_categories(self, case: Case) -> list[str]:
        return [link.category.code for link in case.other_categories.all()]

    def get_incident(self, case: Case) -> dict[str, Any]:
        identities = self.context.get("identities", False)
        return {
            "occurred_at": case.incident_occurred_at,
            "location": case.incident_location if identities else None,
            "description": case.incident_description if identities else None,
            # the gazetteer entry it was matched to (cases.places): an address, so identities only
            "place": case.place.uprn if identities and case.place_id else None,
        }


def detail_context(request: Any) -> dict[str, Any]:
    return {"request": request, "identities": can_see_identities(request.user)}

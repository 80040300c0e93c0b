"""The shapes of CONTRACT.md's referral, service, resolve and close payloads (and the casework
extensions): validation only, no writes."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from accounts.models import Organisation, User
from cases.models import FollowUpKind, ServiceType
from cases.services import VictimCheck
from referrals.follow_ups import FollowUpsLeft
from referrals.services import FollowUpEntry, ReferralRequest, ServiceEntry


def _active(model: type) -> Any:
    return serializers.SlugRelatedField(
        slug_field="code", queryset=model.objects.filter(is_active=True)
    )


class ReferralInputSerializer(serializers.Serializer):
    organisation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.filter(is_active=True, kind=Organisation.Kind.CSO),
    )
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    consent = serializers.BooleanField()
    # extension: a supervisor refers without consent, saying why
    consent_override = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    def referral_request(self) -> ReferralRequest:
        data = self.validated_data
        return ReferralRequest(
            organisation=data["organisation"],
            assignee=data.get("assignee"),
            reason=data.get("reason", ""),
            consent=data["consent"],
            consent_override=data.get("consent_override", ""),
        )


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)


class ServiceInputSerializer(serializers.Serializer):
    service_type = _active(ServiceType)
    provided_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=24 * 60
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=20000)

    def entry(self) -> ServiceEntry:
        data = self.validated_data
        return ServiceEntry(
            service_type=data["service_type"],
            provided_at=data.get("provided_at") or timezone.now(),
            duration_minutes=data.get("duration_minutes"),
            notes=data.get("notes", ""),
        )


class FollowUpInputSerializer(serializers.Serializer):
    kind = _active(FollowUpKind)
    due_at = serializers.DateTimeField()
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
    )

    def entry(self) -> FollowUpEntry:
        data = self.validated_data
        return FollowUpEntry(
            kind=data["kind"],
            due_at=data["due_at"],
            notes=data.get("notes", ""),
            assignee=data.get("assignee"),
        )


class RemarkInputSerializer(serializers.Serializer):
    remark = serializers.CharField(max_length=5000)


class ResolveInputSerializer(RemarkInputSerializer):
    # extension: what happens to the resolver's open follow-ups (asked only when there are some;
    # without it a 400 lists them under "open_follow_ups")
    follow_ups = serializers.ChoiceField(
        choices=FollowUpsLeft.choices, required=False, allow_blank=True, default=""
    )


class CloseInputSerializer(serializers.Serializer):
    remark = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    # extension: what the operator could find out from the victim before closing
    victim_check = serializers.ChoiceField(
        choices=VictimCheck.choices, required=False, allow_blank=True
    )


class SendBackInputSerializer(serializers.Serializer):
    remark = serializers.CharField(max_length=5000)
    organisation = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), required=False, allow_null=True
    )


class NoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
    shared = serializers.BooleanField(default=False)

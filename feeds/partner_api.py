"""`POST /api/v1/partner/events/` (CONTRACT "Police and partner feeds"): a partner system's event,
signed with its secret. No user signs in: the signature is the authentication, so the view is
public and CSRF-exempt, and answers a missing partner, an inactive one and a wrong signature with
the same 403. Nothing of the body is ever logged."""

from __future__ import annotations

import io
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited
from rest_framework import serializers
from rest_framework.exceptions import ParseError

from accounts.access import public
from feeds import partners
from feeds.models import PartnerEvent, PartnerEventType
from project.json_parser import LimitedJSONParser

logger = logging.getLogger(__name__)
security_log = logging.getLogger("lantern.security")

RATE_GROUP = "feeds.partner_events"
# Per partner (settings.PARTNER_EVENT_RATE): well above a force's busiest hour, low enough that a
# runaway sender cannot crowd the helpline's own work.
RATE = settings.PARTNER_EVENT_RATE


class EventSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=128)
    type = serializers.SlugRelatedField(
        slug_field="code",
        queryset=PartnerEventType.objects.filter(is_active=True),
        error_messages={"does_not_exist": "Not an event type Lantern knows (or it is retired)."},
    )
    crime_reference = serializers.CharField(max_length=128, required=False, allow_blank=True)
    case = serializers.CharField(max_length=32, required=False, allow_blank=True)
    occurred_at = serializers.DateTimeField()
    data = serializers.DictField(required=False, default=dict)

    def validate_occurred_at(self, value: Any) -> Any:
        if "occurred_at" in self.initial_data and not _has_zone(self.initial_data["occurred_at"]):
            raise serializers.ValidationError("Give the time with its zone (ISO 8601).")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("crime_reference", "").strip() and not attrs.get("case", "").strip():
            raise serializers.ValidationError(
                {"crime_reference": "Give the crime_reference or the case (our case number)."}
            )
        return attrs


def _has_zone(value: Any) -> bool:
    """DRF reads a time without a zone as local time: a force's clock may not be ours."""
    try:
        parsed = parse_datetime(str(value))
    except ValueError:
        return False
    return parsed is not None and parsed.tzinfo is not None


@public
@csrf_exempt
@never_cache
@require_POST
def partner_events(request: HttpRequest) -> HttpResponse:
    slug = request.headers.get("X-Lantern-Partner", "")
    if _too_large(request):
        return JsonResponse({"detail": "The body is too large."}, status=413)
    body = request.body
    partner = partners.sender_of(slug, body, request.headers.get("X-Lantern-Signature", ""))
    if partner is None:
        security_log.warning("partner_signature_invalid", extra={"partner": slug[:64]})
        return JsonResponse({"detail": "Forbidden."}, status=403)
    if _over_rate_limit(request, partner.slug):
        logger.warning("partner_events_rate_limited", extra={"partner": partner.slug})
        response = JsonResponse({"detail": "Too many events: try again shortly."}, status=429)
        response["Retry-After"] = "60"
        return response
    try:
        data = LimitedJSONParser().parse(io.BytesIO(body))
    except ParseError as exc:
        return JsonResponse({"detail": str(exc.detail)}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"detail": "The body must be a JSON object."}, status=400)
    # A replay is answered before the body is judged again: an event kept once stays kept even if
    # its type was retired since (the contract: the same event_id again is 200, nothing new).
    replayed = partners.kept_event(partner, data.get("event_id"))
    if replayed is not None:
        return JsonResponse({"status": _outcome(replayed)}, status=200)
    checked = EventSerializer(data=data)
    if not checked.is_valid():
        return JsonResponse(checked.errors, status=400)
    values = checked.validated_data
    event, stored = partners.receive_event(
        partner=partner,
        event=partners.IncomingEvent(
            event_id=values["event_id"],
            type=values["type"],
            occurred_at=values["occurred_at"],
            crime_reference=values.get("crime_reference", "").strip(),
            case_number=values.get("case", "").strip().upper(),
            data=values["data"],
        ),
    )
    return JsonResponse({"status": _outcome(event)}, status=202 if stored else 200)


def _outcome(event: PartnerEvent) -> str:
    # a reconciled event was applied, later
    return "unmatched" if event.outcome == PartnerEvent.Outcome.UNMATCHED else "applied"


def _too_large(request: HttpRequest) -> bool:
    """Refused before the body is read when its length says so, else after reading it."""
    limit = settings.PARTNER_EVENT_MAX_BYTES
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    return declared > limit or len(request.body) > limit


def _over_rate_limit(request: HttpRequest, slug: str) -> bool:
    """Counted after the signature, so no one else can use up a partner's allowance. Fails open:
    a cache outage never refuses a force's update."""
    try:
        return is_ratelimited(
            request,
            group=RATE_GROUP,
            key=lambda group, request: slug,
            rate=RATE,
            method="POST",
            increment=True,
        )
    except Exception as exc:
        logger.warning("partner_rate_limit_unavailable", extra={"error": type(exc).__name__})
        return False

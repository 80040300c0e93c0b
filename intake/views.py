"""Twilio's webhooks (CONTRACT.md): thin views over intake.services. Each answers in
milliseconds with TwiML once the report is stored; anything slow happens after commit."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.access import public
from cases.models import AccessLog
from cases.policy import can_see_identities
from cases.selectors import access_case
from intake import recordings, services
from intake.adapters import twilio

logger = logging.getLogger(__name__)


def public_webhook(view: twilio.Webhook, *required: str):  # type: ignore[no-untyped-def]
    """A Twilio webhook as a view: public under /intake/twilio/ (no session, no CSRF), POST only,
    signed by Twilio (403 otherwise, nothing stored), with `required` fields (400 otherwise), and
    503 for a number no helpline claims. Every Twilio webhook of every app is made with this."""
    return public(csrf_exempt(require_POST(twilio.twilio_webhook(*required)(_routed(view)))))


def _routed(view: twilio.Webhook) -> twilio.Webhook:
    """A call to a number no helpline claims, with no default set, cannot become a case (texts
    wait in the unrouted queue instead): 503, so Twilio tries the fallback URL, never a 500."""

    def webhook(request: HttpRequest, params: twilio.Params) -> HttpResponse:
        try:
            return view(request, params)
        except services.IntakeError:
            logger.error("twilio_webhook_unroutable", extra={"path": request.path})
            return HttpResponse("No helpline takes calls to this number.", status=503)

    return webhook


def _sms(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    return twilio.sms_reply(services.receive_sms(params))


def _sms_status(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    # `key` names our outbox row: in the status callback address we gave, so it is signed too.
    services.receive_delivery_status(params, key=request.GET.get("key", "")[:64])
    return twilio.sms_reply("")


def _voice_recording(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    # Both the <Record> action and its status callback come here; either may arrive first.
    if params.get("RecordingUrl"):
        services.receive_recording(params)
    return twilio.hang_up("Thank you. Goodbye.", settings.VOICE_LANGUAGE)


def _voice_transcription(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    services.receive_transcription(params)
    return twilio.sms_reply("")


# The incoming call itself and its status callback are live's (live.voice_urls, mounted at
# /intake/twilio/voice/): a call rings operators before anyone records a message, and only live
# knows whether an operator answered. The recording and transcription callbacks stay here.


sms = public_webhook(_sms, "MessageSid", "From")
sms_status = public_webhook(_sms_status, "MessageSid", "MessageStatus")
voice_recording = public_webhook(_voice_recording, "CallSid", "RecordingSid")
voice_transcription = public_webhook(_voice_transcription, "CallSid")


@never_cache
def recording(request: HttpRequest, number: str, report_id: int) -> HttpResponse:
    """A call's recording, streamed through us after the access check (and audited as a read):
    Lantern's encrypted copy, or the provider's while it is not stored yet (intake.recordings);
    staff never get the provider's URL. A voice is an identity: whoever may not read who is on a
    case (monitors) gets the same 404 as for a case they cannot see, and no read is logged."""
    if not can_see_identities(request.user):
        raise Http404
    case = access_case(request.user, number, request=request, action=AccessLog.Action.LISTEN)
    kept = ~Q(recording_file="") | ~Q(recording_url="")
    report = get_object_or_404(case.reports.filter(kept), pk=report_id)
    try:
        audio = recordings.audio(report)
    except twilio.RecordingUnavailableError as exc:
        logger.warning("recording_unavailable", extra={"report_id": report.pk, "reason": str(exc)})
        return HttpResponse("The recording is not available right now.", status=502)
    response = StreamingHttpResponse(audio, content_type="audio/mpeg")
    response["Content-Disposition"] = "inline"
    return response

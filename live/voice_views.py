"""Twilio's voice webhooks for calls that ring operators: thin views over live.calls. Each is
signed by Twilio (intake.adapters.twilio.twilio_webhook: 403 otherwise, nothing stored) and public
under /intake/twilio/ (no session, no CSRF). The ids in their query strings were written by us into
the URLs Twilio calls back, and Twilio signs the whole URL, so they cannot be forged."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from intake.adapters import twilio
from intake.views import public_webhook
from live import calls, twiml

logger = logging.getLogger(__name__)


def _ids(request: HttpRequest, *names: str) -> list[int] | None:
    values = [request.GET.get(name, "") for name in names]
    if not all(value.isascii() and value.isdigit() and len(value) < 19 for value in values):
        return None
    return [int(value) for value in values]


def _next(ringing: calls.Ringing, params: twilio.Params) -> HttpResponse:
    if ringing.kind == "message":
        return twiml.leave_a_message()
    if ringing.kind == "hang_up":
        return twiml.end_leg()
    legs = [
        twiml.Leg(
            operator.phone.as_e164,
            twiml.address("whisper", call=ringing.call_id, operator=operator.pk),
        )
        for operator in ringing.operators
    ]
    return twiml.ring(
        legs,
        seconds=ringing.seconds,
        action_url=twiml.address("dialled", call=ringing.call_id, leg=ringing.leg),
        caller_id=twilio.recipient_of(params),
    )


def _incoming(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    return _next(calls.incoming(params), params)


def _whisper(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    ids = _ids(request, "call", "operator")
    if ids is None:
        return HttpResponseBadRequest("bad call or operator id")
    state = calls.whisper(*ids)
    if state == "ask":
        return twiml.whisper(accept_url=twiml.address("accept", call=ids[0], operator=ids[1]))
    return twiml.end_leg(
        settings.VOICE_TAKEN_ELSEWHERE if state == "taken" else settings.VOICE_CALLER_GONE
    )


def _accept(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    ids = _ids(request, "call", "operator")
    if ids is None:
        return HttpResponseBadRequest("bad call or operator id")
    answer = calls.accept(*ids, digits=params.get("Digits", ""), leg_sid=params["CallSid"])
    if answer == "put_through":
        return twiml.put_through()
    if answer == "taken":
        return twiml.end_leg(settings.VOICE_TAKEN_ELSEWHERE)
    if answer == "gone":
        return twiml.end_leg(settings.VOICE_CALLER_GONE)
    return twiml.end_leg()


def _dialled(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    ids = _ids(request, "call", "leg")
    if ids is None:
        return HttpResponseBadRequest("bad call id or leg")
    return _next(calls.dialled(ids[0], leg=ids[1], params=params), params)


def _status(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    calls.ended(params)
    return twilio.sms_reply("")


incoming = public_webhook(_incoming, "CallSid")
whisper = public_webhook(_whisper, "CallSid")
accept = public_webhook(_accept, "CallSid")
dialled = public_webhook(_dialled, "CallSid")
# Replaces intake's status callback at the same address (mounted first): the end of a call an
# operator answered must not mark its case for a call back, and only live knows it was answered.
status = public_webhook(_status, "CallSid", "CallStatus")

"""Twilio's webhooks for call-backs, under /intake/twilio/call-back/ (signed, no session: the
webhooks' short road). Thin: each asks live.callback and answers TwiML. The call is named by its
id in the query string (`?call=`), which Twilio signs with the rest; never a number or a name.

operator/  the operator's phone answered: "press 1 to call now" (so a voicemail on the operator's
           phone never gets the victim on the line)
connect/   1 pressed: safe contact once more, then <Dial> the victim with machine detection
answered/  the victim's leg answered: a machine or fax is hung up on; a person is bridged
dialled/   the <Dial> ended: talked (with its duration) or not reached
status/    the operator's leg ended (its status callback)"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from twilio.twiml.voice_response import VoiceResponse

from intake.adapters import twilio
from intake.views import public_webhook
from live import callback


def _say(response: VoiceResponse, words: str) -> None:
    response.say(words, language=settings.VOICE_LANGUAGE)


def _goodbye(words: str) -> HttpResponse:
    response = VoiceResponse()
    _say(response, words)
    response.hangup()
    return twilio.twiml(response)


def _operator(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    call_id = request.GET.get("call")
    if not callback.operator_answered(call_id, params["CallSid"]):
        return _goodbye("This call-back is no longer needed. Goodbye.")
    response = VoiceResponse()
    gather = response.gather(
        num_digits=1, timeout=10, action=callback.hook_url("connect", _Ref(call_id))
    )
    _say(gather, "Lantern call-back. Press 1 to call now.")
    _say(response, "Nothing was pressed. Goodbye.")
    response.hangup()
    return twilio.twiml(response)


def _connect(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    call_id = request.GET.get("call")
    if params.get("Digits") != "1":
        return _goodbye("Not calling. Goodbye.")
    answer = callback.connect(call_id, params["CallSid"])
    if answer is None:
        return _goodbye("This call-back is no longer needed. Goodbye.")
    if not answer.allowed:
        return _goodbye("Safe contact no longer allows this call. Nobody was called. Goodbye.")
    ref = _Ref(call_id)
    response = VoiceResponse()
    dial = response.dial(
        caller_id=callback.caller_id(call_id, answer),
        answer_on_bridge=True,
        timeout=settings.CALLBACK_VICTIM_RING_SECONDS,
        action=callback.hook_url("dialled", ref),
    )
    dial.number(
        answer.victim_phone, machine_detection="Enable", url=callback.hook_url("answered", ref)
    )
    return twilio.twiml(response)


def _answered(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    # TwiML for the victim's leg, before it is bridged: nothing is said to the victim.
    bridged = callback.victim_answered(
        request.GET.get("call"),
        parent_sid=params.get("ParentCallSid", ""),
        leg_sid=params["CallSid"],
        answered_by=params.get("AnsweredBy", ""),
    )
    response = VoiceResponse()
    if not bridged:
        response.hangup()
    return twilio.twiml(response)


def _dialled(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    call = callback.dial_ended(
        request.GET.get("call"),
        call_sid=params["CallSid"],
        status=params.get("DialCallStatus", ""),
        duration=params.get("DialCallDuration", ""),
    )
    words = call.get_outcome_display() if call is not None else "The call has ended"
    return _goodbye(f"{words.split(':')[0]}. Goodbye.")


def _status(request: HttpRequest, params: twilio.Params) -> HttpResponse:
    callback.operator_leg_ended(
        request.GET.get("call"),
        call_sid=params["CallSid"],
        status=params["CallStatus"],
        duration=params.get("CallDuration", ""),
    )
    return twilio.twiml(VoiceResponse())


class _Ref:
    """Enough of a Call for callback.hook_url: its id, as Twilio gave it back (already signed)."""

    def __init__(self, call_id: str | None) -> None:
        self.pk = int(call_id or 0)


operator = public_webhook(_operator, "CallSid")
connect = public_webhook(_connect, "CallSid")
answered = public_webhook(_answered, "CallSid")
dialled = public_webhook(_dialled, "CallSid")
status = public_webhook(_status, "CallSid", "CallStatus")

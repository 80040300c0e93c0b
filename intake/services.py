"""Every way a report reaches us, turned into a stored report and a case (DESIGN "the way data
flows"). Each function is idempotent on the provider's id: a retry is a no-op."""

from __future__ import annotations

import logging
import threading
import time
from contextlib import suppress
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from accounts.models import Organisation, User
from cases.models import Case, Category, Report
from cases.services import (
    IncidentDetails,
    IncomingReport,
    Recording,
    VictimDetails,
    attach_recording,
    attach_transcription,
    end_call,
    open_case,
    open_reported_case,
    receive_message,
)
from intake import tasks
from intake.adapters import twilio
from intake.models import DeliveryReceipt, UnroutedMessage
from notifications.services import (
    record_delivery,
    record_sms_keyword,
    sms_acknowledgement,
    sms_keyword,
)
from project.phones import to_e164

logger = logging.getLogger(__name__)


class IntakeError(Exception):
    """Lantern cannot take reports: no helpline is set up to receive them."""


class SubmissionReusedError(Exception):
    """A form submission id that already stored a report came back with something else in it
    (IN-04): never stored over the first, never a second report under the same id."""


def helpline_for(number: str = "") -> Organisation:
    """The helpline a report to `number` belongs to: the one with that phone number, else
    INTAKE_DEFAULT_HELPLINE, else the only active helpline."""
    helplines = Organisation.objects.filter(kind=Organisation.Kind.HELPLINE, is_active=True)
    e164 = to_e164(number) if number else ""
    if e164 and (match := helplines.filter(phone_number=e164).first()):
        return match
    if settings.INTAKE_DEFAULT_HELPLINE:
        default = helplines.filter(slug=settings.INTAKE_DEFAULT_HELPLINE).first()
        if default:
            return default
    candidates = list(helplines[:2])
    if len(candidates) != 1:
        raise IntakeError("Set INTAKE_DEFAULT_HELPLINE: reports cannot be routed to a helpline.")
    return candidates[0]


# Where a text goes changes only when an admin edits a helpline, yet finding it cost every message
# a round trip to the database. Each process keeps what it found this long: an edit in this
# process clears it at once (intake.apps), one made elsewhere is seen within these seconds.
ROUTE_CACHE_SECONDS = 10.0
_routes: dict[tuple[str, str], tuple[float, Organisation]] = {}
_routes_lock = threading.Lock()


def routed_helpline(number: str) -> Organisation:
    """helpline_for(number), remembered for ROUTE_CACHE_SECONDS (raises IntakeError likewise,
    never remembered: a helpline set up a moment later takes the next message)."""
    key = (number, settings.INTAKE_DEFAULT_HELPLINE)
    now = time.monotonic()
    cached = _routes.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    helpline = helpline_for(number)
    with _routes_lock:
        if len(_routes) >= 1000:  # only numbers Twilio signed for: a bound, not an expected case
            _routes.clear()
        _routes[key] = (now + ROUTE_CACHE_SECONDS, helpline)
    return helpline


def forget_routes(**kwargs: Any) -> None:
    """A helpline was saved or deleted: look routes up afresh."""
    with _routes_lock:
        _routes.clear()


def receive_sms(params: twilio.Params) -> str:
    """An inbound SMS, MMS or WhatsApp message; returns the reply text ("" for none). STOP/START
    are recorded and never open a case; any other message joins its number's open case or opens
    one. A WhatsApp message (from a `whatsapp:` address) is a report of the WhatsApp channel."""
    sender = twilio.sender_of(params)
    body = twilio.clean(params.get("Body", ""))
    keyword = sms_keyword(body)
    if keyword:
        record_sms_keyword(message_sid=params["MessageSid"], phone=sender, keyword=keyword)
        return ""  # Twilio itself answers STOP/START on our number
    report = IncomingReport(
        channel=twilio.messaging_channel(params),
        source_id=params["MessageSid"],
        sender=sender,
        body=body,
        media=twilio.media_urls(params),
        raw=twilio.raw_fields(params),
    )
    if UnroutedMessage.objects.filter(message_sid=report.source_id).exists():
        return ""  # a retry of one already kept for a supervisor
    try:
        helpline = routed_helpline(twilio.recipient_of(params))
    except IntakeError:
        keep_unrouted(report, to_number=twilio.clean(twilio.recipient_of(params))[:40])
        return ""
    case, stored = receive_message(helpline=helpline, report=report)
    # Opt-in per deployment, decided by the safe-contact function, and once per message.
    if not stored:
        return ""  # a retry: answered (or not) the first time
    return sms_acknowledgement(case=case, sender=sender, channel=report.channel)


def keep_unrouted(report: IncomingReport, *, to_number: str) -> None:
    """No helpline claims the number and none is the default: the message waits, stored, for a
    supervisor to take it (intake.unrouted), rather than being refused and lost."""
    with (
        suppress(IntegrityError),
        transaction.atomic(),
    ):  # the same message, delivered twice at once
        UnroutedMessage.objects.get_or_create(
            message_sid=report.source_id,
            defaults={
                "to_number": to_number,
                "received_at": report.received_at,
                "sender": report.sender,
                "body": report.body,
                "media": report.media,
                "raw": report.raw,
            },
        )
    logger.warning("sms_unrouted", extra={"to_number": to_number})


class AlreadyTakenError(Exception):
    """Another supervisor took the message first."""


def take_unrouted(*, message_id: int, actor: User) -> Case:
    """A helpline supervisor takes a waiting message into their own helpline: it becomes a report
    there, joining its number's open case or opening one, as if it had been routed on arrival.
    The row keeps who took it and when. UnroutedMessage.DoesNotExist for an unknown id."""
    helpline = actor.organisation
    if helpline is None or helpline.kind != Organisation.Kind.HELPLINE:
        raise IntakeError("Only a helpline can take messages.")
    with transaction.atomic():
        message = UnroutedMessage.objects.select_for_update().get(pk=message_id)
        if message.case_id is not None:
            raise AlreadyTakenError
        case, _ = receive_message(
            helpline=helpline,
            report=IncomingReport(
                channel=twilio.messaging_channel(MultiValueDict(message.raw)),
                source_id=message.message_sid,
                received_at=message.received_at,
                sender=message.sender,
                body=message.body,
                media=message.media,
                raw=message.raw,
            ),
        )
        message.case = case
        message.taken_by = actor
        message.taken_at = timezone.now()
        message.save(update_fields=["case", "taken_by", "taken_at"])
    logger.info("sms_unrouted_taken", extra={"message_id": message.pk, "case": case.number})
    return case


def receive_call(params: twilio.Params) -> tuple[Case, bool]:
    """An incoming call: stored and opened as a case before anything is said to the caller.
    The case, and whether it is new (False: this CallSid was heard before)."""
    return open_case(
        helpline=helpline_for(params.get("To", "")),
        report=IncomingReport(
            channel=Case.Channel.VOICE,
            source_id=params["CallSid"],
            sender=twilio.sender_of(params),
            raw=twilio.raw_fields(params),
        ),
    )


@transaction.atomic
def receive_recording(params: twilio.Params) -> None:
    duration = params.get("RecordingDuration", "")
    case = attach_recording(
        helpline=helpline_for(params.get("To", "")),
        recording=Recording(
            call_sid=params["CallSid"],
            recording_sid=params["RecordingSid"],
            url=twilio.clean(params["RecordingUrl"]),
            duration=int(duration) if duration.isdigit() else None,
        ),
    )
    # Only the status callback says the file is complete (the <Record> action may come first).
    if params.get("RecordingStatus") == "completed":
        report = case.reports.get(channel=Case.Channel.VOICE, source_id=params["CallSid"])
        tasks.queue_store(report.pk)


def receive_transcription(params: twilio.Params) -> None:
    if params.get("TranscriptionStatus", "completed") != "completed":
        return  # a failed transcription: the recording is still there to listen to
    attach_transcription(
        helpline=helpline_for(params.get("To", "")),
        call_sid=params["CallSid"],
        text=twilio.clean(params.get("TranscriptionText", "")),
    )


ENDED_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def receive_call_status(params: twilio.Params, *, answered: bool = False) -> None:
    """The caller's call ended. `answered`: an operator talked with them (live.calls knows), so
    there is nobody to call back for a missing message."""
    if params.get("CallStatus") in ENDED_CALL_STATUSES:
        end_call(
            helpline=helpline_for(params.get("To", "")),
            call_sid=params["CallSid"],
            sender=twilio.sender_of(params),
            answered=answered,
        )


def receive_delivery_status(params: twilio.Params, *, key: str = "") -> None:
    """A delivery report for a message we sent: kept once per status, and the outbox row it
    names moves on (sent, delivered or failed)."""
    status = twilio.clean(params["MessageStatus"])[:16]
    with suppress(IntegrityError):  # the same receipt, delivered twice at once
        DeliveryReceipt.objects.get_or_create(
            message_sid=params["MessageSid"],
            status=status,
            defaults={"error_code": twilio.clean(params.get("ErrorCode", ""))[:16]},
        )
    record_delivery(key=key, provider_id=params["MessageSid"], status=status)


def receive_web_report(
    *,
    submission_id: str,
    what_happened: str,
    category: Category | None,
    occurred_at: datetime | None,
    location: str,
    safe_now: str,
    name: str,
    phone: str,
    contact_preferences: dict[str, Any],
) -> tuple[Case, bool]:
    """A report from the public form. `submission_id` comes from the form as served, so a double
    submit is the same case. Returns (case, stored now); SubmissionReusedError when the id
    already stored a report that says something else."""
    raw = {"safe_now": safe_now, "contact": contact_preferences}
    case, created = open_reported_case(
        helpline=helpline_for(),
        report=IncomingReport(
            channel=Case.Channel.WEB,
            source_id=submission_id,
            sender=phone,
            body=what_happened,
            raw=raw,
        ),
        incident=IncidentDetails(
            category=category,
            occurred_at=occurred_at,
            location=location,
            description=what_happened,
            # someone not safe right now goes to the top of the queue
            priority=Case.Priority.HIGH if safe_now == "no" else Case.Priority.STANDARD,
        ),
        victim=VictimDetails(name=name, phone=phone, contact_preferences=contact_preferences),
    )
    if not created:
        _same_as_stored(case.reports.get(channel=Case.Channel.WEB, source_id=submission_id),
                        body=what_happened, sender=phone, raw=raw)  # fmt: skip
    return case, created


def web_report_received(
    *, submission_id: str, what_happened: str, phone: str, safe_now: str,
    contact_preferences: dict[str, Any], **details: Any,
) -> Case | None:  # fmt: skip
    """The case a form submission already stored (a double click, a resend), or None; checked
    before anything is counted against the sender. SubmissionReusedError for other words."""
    stored = (
        Report.objects.select_related("case")
        .filter(channel=Case.Channel.WEB, source_id=submission_id)
        .first()
    )
    if stored is None:
        return None
    raw = {"safe_now": safe_now, "contact": contact_preferences}
    _same_as_stored(stored, body=what_happened, sender=phone, raw=raw)
    return stored.case


def _same_as_stored(stored: Report, *, body: str, sender: str, raw: dict[str, Any]) -> None:
    if (stored.body, stored.sender, stored.raw) != (body, sender, raw):
        raise SubmissionReusedError

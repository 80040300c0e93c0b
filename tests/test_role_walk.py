"""Every URL pattern, requested as every role, against a case full of canaries (SECURITY: need to
know; issue 11 item 3). Monitors get figures and the shape of a case, never an identity, a voice,
message text or free text; people outside the case (another helpline, a CSO it was not referred
to, a configuration admin) get nothing of it, and its URLs answer them exactly as for a case that
does not exist (404, or the same refusal their role gets everywhere). The URL list is the
resolver's, so a new view is walked the day it is added."""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from datetime import timedelta
from typing import NamedTuple

import pytest
from django.urls import reverse
from django.urls.exceptions import NoReverseMatch
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Organisation
from cases.models import (
    Case,
    CaseNote,
    CasePerson,
    ContactType,
    ExternalReference,
    FollowUpKind,
    PersonContact,
    ReferenceType,
    Report,
    ServiceType,
)
from dashboards.models import ExportJob, ExportKind
from intake.models import UnroutedMessage
from notifications.models import Notification
from referrals.models import FollowUp, Referral, ServiceRecord
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    ReportFactory,
    category,
)
from tests.test_url_access import ALL

pytestmark = pytest.mark.django_db

# Made-up, unique strings in every free-text or identifying field of the case.
CANARIES = {
    "victim_name": "Canaryvictim Wrenfield",
    "victim_phone": "+447700900631",
    "victim_address": "17 Canarylane Mews",
    "perpetrator": "Canaryperp Holloway",
    "reporter_sender": "+447700900642",
    "report_body": "CANARY-BODY-kestrel",
    "transcription": "CANARY-VOICE-plover",
    "recording": "RECANARY0000000000000000000000000",
    "story": "CANARY-STORY-linnet",
    "location": "CANARY-PLACE-dunlin",
    "note_internal": "CANARY-NOTE-INTERNAL-siskin",
    "note_shared": "CANARY-NOTE-SHARED-twite",
    "referral_reason": "CANARY-REASON-merlin",
    "service_notes": "CANARY-SERVICE-godwit",
    "follow_up_notes": "CANARY-FOLLOWUP-whimbrel",
    "message_out": "CANARY-MESSAGE-OUT-redpoll",
    "safe_times": "CANARY-TIMES-brambling",
    "crime_number": "CANARY-CRIME-shorelark",
    "housing_reference": "CANARY-HOUSING-dotterel",
    "contact_email": "canary.snowbunting@example.invalid",
}
# How a phone number may also be written on a page.
SPELLINGS = {
    "victim_phone": ["07700 900631", "07700900631", "447700900631"],
    "reporter_sender": ["07700 900642", "07700900642", "447700900642"],
}
ROLES = [
    "operator",
    "supervisor",
    "other_operator",
    "cso_rep",
    "other_cso_rep",
    "monitor",
    "admin_user",
]
# May not see the case at all.
OUTSIDERS = {"other_operator", "other_cso_rep", "admin_user"}
# May see the case, never who is in it or what they said.
NO_IDENTITY = OUTSIDERS | {"monitor"}
MISSING = "LNT-2026-999999"
MISSING_ID = 999_999
# What each role on the case reads somewhere on the walk (notes, follow-ups and service notes are
# their organisation's own).
SHARED = {
    "victim_name", "victim_phone", "victim_address", "perpetrator", "report_body",
    "transcription", "story", "location", "note_shared", "referral_reason", "safe_times",
    "crime_number", "housing_reference",
}  # fmt: skip
INSIDERS_READ = {
    "operator": SHARED | {"note_internal", "message_out", "reporter_sender"},
    "supervisor": SHARED | {"note_internal", "message_out", "reporter_sender"},
    "cso_rep": SHARED | {"service_notes", "follow_up_notes"},
}
# Would end the session the walk uses: staff sign-out, and the portal's sign-out and "Leave this
# site", which flush the whole session on the server (an emergency exit keeps nothing).
NOT_WALKED = {"logout", "portal:sign-out", "portal:leave"}


@pytest.fixture
def world(helpline, other_helpline, cso, other_cso, operator, supervisor, cso_rep):  # noqa: PLR0913
    case = CaseFactory(
        helpline=helpline,
        status=Case.Status.IN_SERVICE,
        channel=Case.Channel.VOICE,
        claimed_by=operator,
        category=category("physical"),
        incident_description=CANARIES["story"],
        incident_location=CANARIES["location"],
    )
    victim = PersonFactory(
        name=CANARIES["victim_name"],
        phone=CANARIES["victim_phone"],
        address=CANARIES["victim_address"],
        contact_preferences={
            "contact": "allowed",
            "channels": ["sms"],
            "safe_times": CANARIES["safe_times"],
        },
    )
    CasePersonFactory(case=case, person=victim)
    # what is known beyond the details: another agency's numbers, a way of reaching the victim
    case_reference = ExternalReference.objects.create(
        case=case,
        kind=ReferenceType.objects.get(code="crime_number"),
        value=CANARIES["crime_number"],
    )
    person_reference = ExternalReference.objects.create(
        person=victim,
        kind=ReferenceType.objects.get(code="housing_reference"),
        value=CANARIES["housing_reference"],
    )
    contact = PersonContact.objects.create(
        person=victim, kind=ContactType.objects.get(code="email"), value=CANARIES["contact_email"]
    )
    CasePersonFactory(
        case=case,
        person=PersonFactory(name=CANARIES["perpetrator"], phone=""),
        role=CasePerson.Role.PERPETRATOR,
    )
    report = ReportFactory(
        case=case,
        channel=Case.Channel.VOICE,
        sender=CANARIES["reporter_sender"],
        body=CANARIES["report_body"],
        transcription=CANARIES["transcription"],
        recording_sid=CANARIES["recording"],
        recording_url=f"https://api.twilio.com/Recordings/{CANARIES['recording']}",
    )
    ReportFactory(case=case, channel=Case.Channel.SMS, sender=CANARIES["victim_phone"])
    CaseNote.objects.create(
        case=case, organisation=helpline, author=operator, text=CANARIES["note_internal"]
    )
    CaseNote.objects.create(
        case=case,
        organisation=helpline,
        author=operator,
        shared=True,
        text=CANARIES["note_shared"],
    )
    referral = Referral.objects.create(
        case=case,
        organisation=cso,
        status=Referral.Status.ACCEPTED,
        consent=True,
        reason=CANARIES["referral_reason"],
        referred_by=operator,
        referred_by_organisation=helpline,
        assignee=cso_rep,
    )
    ServiceRecord.objects.create(
        case=case,
        organisation=cso,
        service_type=ServiceType.objects.get(code="counselling"),
        provided_at=timezone.now(),
        notes=CANARIES["service_notes"],
        recorded_by=cso_rep,
    )
    follow_up = FollowUp.objects.create(
        case=case,
        organisation=cso,
        kind=FollowUpKind.objects.get(code="call-back"),
        due_at=timezone.now() + timedelta(days=1),
        notes=CANARIES["follow_up_notes"],
        assignee=cso_rep,
        created_by=cso_rep,
    )
    message = Notification.objects.create(
        recipient=None,
        person=victim,
        case=case,
        channel="sms",
        kind="victim.reply",
        text=CANARIES["message_out"],
        destination=CANARIES["victim_phone"],
        sent_by=operator,
    )
    # Objects in the states their writes take, so a refusal is the policy's and not the state's:
    # a referral nobody has answered (to a third CSO, so every walker is outside it), a message
    # that failed (retry), an unread alert for the operator (mark read), a text no helpline claims
    # (take), a finished export of the supervisor's (download).
    third_cso = OrganisationFactory(slug="third-cso", name="Third CSO", kind=Organisation.Kind.CSO)
    pending = Referral.objects.create(
        case=case,
        organisation=third_cso,
        status=Referral.Status.PENDING,
        consent=True,
        reason=CANARIES["referral_reason"],
        referred_by=operator,
        referred_by_organisation=helpline,
    )
    failed = Notification.objects.create(
        recipient=None,
        person=victim,
        case=case,
        channel="sms",
        kind="victim.reply",
        text=CANARIES["message_out"],
        destination=CANARIES["victim_phone"],
        sent_by=operator,
        status=Notification.Status.FAILED,
        reason="Twilio refused it",
    )
    alert = Notification.objects.create(
        recipient=operator,
        case=case,
        case_number=case.number,
        channel="in_app",
        kind="case.message_received",
        text=f"New message on case {case.number}",
    )
    unrouted = UnroutedMessage.objects.create(
        message_sid="SM" + "0" * 32,
        to_number="+447700900999",
        sender=CANARIES["victim_phone"],
        body=CANARIES["report_body"],
    )
    job = ExportJob.objects.create(
        owner=supervisor,
        kind=ExportKind.CASES_CSV,
        status=ExportJob.Status.DONE,
        filename="cases.csv",
        content=f"number,victim\n{case.number},{CANARIES['victim_name']}\n".encode(),
        finished_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    return {
        "case": case,
        "number": case.number,
        "report_id": [report.pk],
        "referral_id": [referral.pk, pending.pk],
        "follow_up_id": [follow_up.pk],
        "notification_id": [message.pk, failed.pk, alert.pk],
        "message_id": [unrouted.pk],
        "job_id": [job.pk],
        "person_id": [victim.pk],
        "contact_id": [contact.pk],
        "reference_id": [case_reference.pk, person_reference.pk],
    }


# The URL parameters a walk fills from the world: a URL built with any of them is about the case.
TARGETS = ("number", "report_id", "referral_id", "follow_up_id", "notification_id",
           "message_id", "job_id", "object_id", "person_id", "contact_id",
           "reference_id")  # fmt: skip


def _url(name: str, pattern, values: dict[str, object]) -> str | None:
    keys = sorted(set(pattern.pattern.regex.groupindex))
    known = {key: values[key] for key in keys if key in values}
    rest = [key for key in keys if key not in known]
    for guess in itertools.product(["1", "cases", "x"], repeat=len(rest)):
        try:
            return reverse(name, kwargs={**known, **dict(zip(rest, guess, strict=True))})
        except NoReverseMatch:
            continue
    return None


def _fillings(pattern, values: dict[str, object]) -> list[dict[str, object]]:
    """One set of URL values per combination of the world's objects the pattern names."""
    keys = [key for key in sorted(set(pattern.pattern.regex.groupindex)) if key in values]
    choices = [v if isinstance(v, list) else [v] for v in (values[key] for key in keys)]
    return [
        {**values, **dict(zip(keys, combo, strict=True))} for combo in itertools.product(*choices)
    ]


def _missing(values: dict[str, object]) -> dict[str, object]:
    """The same URL values for nothing that exists."""
    return {key: MISSING if key == "number" else MISSING_ID for key in values if key in TARGETS}


# Admin pages of records that carry the canaries: asked for with those records' ids.
ADMIN_RECORDS = {"admin/notifications/notification/": "notification_id"}


class Stop(NamedTuple):
    name: str
    url: str
    # the same URL for nothing that exists, when it names one of the world's objects
    missing: str | None


def _walk(values: dict[str, object]) -> list[Stop]:
    stops = []
    for name, pattern, route in ALL:
        if not name or name in NOT_WALKED:
            continue
        record = next(
            (key for prefix, key in ADMIN_RECORDS.items() if route.startswith(prefix)), ""
        )
        for filled in _fillings(
            pattern, {**values, "object_id": values[record]} if record else values
        ):
            url = _url(name, pattern, filled)
            if url is None:
                continue
            keys = set(pattern.pattern.regex.groupindex) & set(TARGETS)
            named = {key: filled[key] for key in keys if key in filled}
            missing = _url(name, pattern, {**filled, **_missing(named)}) if named else None
            stops.append(Stop(name, url, missing))
            if url.startswith(PERIOD_PAGES):  # figures and exports: a period holding the case
                stops.append(Stop(name, f"{url}?{_period()}", None))
    return stops


PERIOD_PAGES = ("/dashboards/", "/api/v1/reports/", "/api/v1/cases/")


def _period() -> str:
    now, iso = timezone.now(), "%Y-%m-%dT%H:%M:%SZ"
    after, before = now - timedelta(days=1), now + timedelta(days=1)
    return f"created_after={after.strftime(iso)}&created_before={before.strftime(iso)}"


def _text(response) -> str:
    """Everything a person could read in the answer: pages, JSON, CSV, PDF text, XLSX cells."""
    body = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    kind = response.get("Content-Type", "")
    if "pdf" in kind:
        pages = PdfReader(io.BytesIO(body)).pages
        return " ".join(" ".join(page.extract_text().split()) for page in pages)
    if body[:2] == b"PK":  # xlsx and other zipped documents
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(
                archive.read(item).decode("utf-8", "replace") for item in archive.namelist()
            )
    return body.decode("utf-8", "replace")


def _leaks(text: str) -> list[str]:
    found = [key for key, canary in CANARIES.items() if canary in text]
    found += [key for key, spellings in SPELLINGS.items() for s in spellings if s in text]
    return found


# Everything a write could change, field by field: the case itself, what hangs off it (a status,
# an answer, a done mark, a read mark, a retry), the texts waiting unrouted and the exports.
SNAPSHOT = (CaseNote, CasePerson, Report, Referral, ServiceRecord, FollowUp, Notification)


def _snapshot(case: Case) -> dict[str, list[dict[str, object]]]:
    state = {"case": list(Case.objects.filter(pk=case.pk).values())}
    for model in SNAPSHOT:
        state[model.__name__] = list(model.objects.filter(case=case).order_by("pk").values())
    state["unrouted"] = list(UnroutedMessage.objects.order_by("pk").values())
    state["exports"] = list(ExportJob.objects.order_by("pk").values())
    state["references"] = list(ExternalReference.objects.order_by("pk").values())
    state["contacts"] = list(PersonContact.objects.order_by("pk").values())
    state["history"] = [case.history.count()]
    return state


def _changed(before: dict, after: dict) -> list[str]:
    return [key for key in before if before[key] != after[key]]


def _refused(response) -> bool:
    """A write refused: 403, 404, 405, or the admin's own refusal (to its login page)."""
    to_login = response.status_code == 302 and response["Location"].startswith("/admin/login/")
    return response.status_code in (403, 404, 405) or to_login


# What a write form might ask for, so a write the policy let through would not stop at the form.
def _payload(world) -> dict[str, str]:
    now = timezone.now()
    return {
        "text": "x", "remark": "x", "reason": "x", "note": "x", "follow_ups": "done",
        "checked_with_victim": "on", "consent": "on", "organisation": "legal-aid",
        "kind": "call-back", "due_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "service_type": "counselling", "provided_at": now.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30", "category": "physical", "priority": "high",
        "channel": "sms", "to": "dana", "assignee": "dana",
    }  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_every_url_as_every_role(role, world, request, otp_client) -> None:
    user = request.getfixturevalue(role)
    client = otp_client(user)
    case = world["case"]
    start = _snapshot(case)
    payload = _payload(world)
    problems = []
    seen: set[str] = set()

    for name, url, missing_url in _walk(world):
        if name == "case-recording" and role not in NO_IDENTITY:
            continue  # streams from Twilio for those allowed: tests/intake cover it
        response = client.get(url)
        assert response.status_code < 500, (role, url, response.status_code)
        seen.update(_leaks(_text(response)))
        if role in NO_IDENTITY and (leaked := _leaks(_text(response))):
            problems.append(f"GET {url} ({response.status_code}) shows {leaked}")
        if role in OUTSIDERS and missing_url and not url.startswith("/admin/"):
            missing = client.get(missing_url)
            if response.status_code != missing.status_code or response.status_code == 200:
                problems.append(
                    f"GET {url}: {response.status_code}, but {missing.status_code} for nothing"
                )
        if role in NO_IDENTITY and missing_url:
            # a write to one of the case's objects: refused, and nothing changes in any field
            before = _snapshot(case)
            for posted in (
                client.post(url, payload),
                client.post(url, payload, content_type="application/json"),
            ):
                assert posted.status_code < 500, (role, url, posted.status_code)
                if role in OUTSIDERS and not _refused(posted):
                    problems.append(f"POST {url} answered {posted.status_code}")
                if leaked := _leaks(_text(posted)):
                    problems.append(f"POST {url} ({posted.status_code}) shows {leaked}")
            if changed := _changed(before, _snapshot(case)):
                problems.append(f"POST {url} ({posted.status_code}) changed {changed}")

    assert problems == [], "\n".join(problems)
    # the walk does see what those on the case may read: the canaries are where they should be
    assert seen >= INSIDERS_READ.get(role, set()), INSIDERS_READ.get(role, set()) - seen
    if role in NO_IDENTITY:
        assert _changed(start, _snapshot(case)) == []


@pytest.mark.parametrize("role", ROLES)
def test_searching_for_a_person_finds_nothing_without_the_right(role, world, request, otp_client):
    """Searching by the victim's name or number: only those who may see identities find it."""
    user = request.getfixturevalue(role)
    client = otp_client(user)
    for words in (CANARIES["victim_name"], CANARIES["victim_phone"], CANARIES["reporter_sender"]):
        posted = client.post("/cases/", {"q": words})
        page = client.get(posted["Location"]) if posted.status_code == 302 else posted
        found = world["number"] in page.content.decode()
        api = client.post("/api/v1/cases/search/", {"q": words}, content_type="application/json")
        listed = api.status_code == 200 and world["number"] in api.content.decode()
        allowed = role in ("operator", "supervisor", "cso_rep")
        assert found == (allowed and page.status_code == 200), (role, words)
        assert listed == allowed, (role, words)
        if not allowed:
            body = re.sub(r'value="[^"]*"', "", page.content.decode())  # what they typed
            assert _leaks(body + api.content.decode()) == [], (role, words)

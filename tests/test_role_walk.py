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

import pytest
from django.urls import reverse
from django.urls.exceptions import NoReverseMatch
from django.utils import timezone
from pypdf import PdfReader

from cases.models import Case, CaseNote, CasePerson, FollowUpKind, ServiceType
from notifications.models import Notification
from referrals.models import FollowUp, Referral, ServiceRecord
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, ReportFactory, category
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
# What each role on the case reads somewhere on the walk (notes, follow-ups and service notes are
# their organisation's own).
SHARED = {
    "victim_name", "victim_phone", "victim_address", "perpetrator", "report_body",
    "transcription", "story", "location", "note_shared", "referral_reason", "safe_times",
}  # fmt: skip
INSIDERS_READ = {
    "operator": SHARED | {"note_internal", "message_out", "reporter_sender"},
    "supervisor": SHARED | {"note_internal", "message_out", "reporter_sender"},
    "cso_rep": SHARED | {"service_notes", "follow_up_notes"},
}
# Would end the session the walk uses.
NOT_WALKED = {"logout"}


@pytest.fixture
def world(helpline, other_helpline, cso, other_cso, operator, supervisor, cso_rep):
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
    return {
        "case": case,
        "number": case.number,
        "report_id": report.pk,
        "referral_id": referral.pk,
        "follow_up_id": follow_up.pk,
        "notification_id": message.pk,
    }


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


# Admin pages of records that carry the canaries: asked for with those records' ids.
ADMIN_RECORDS = {"admin/notifications/notification/": "notification_id"}


def _walk(values: dict[str, object]) -> list[tuple[str, str]]:
    urls = []
    for name, pattern, route in ALL:
        if not name or name in NOT_WALKED:
            continue
        record = next(
            (key for prefix, key in ADMIN_RECORDS.items() if route.startswith(prefix)), ""
        )
        url = _url(name, pattern, {**values, "object_id": values[record]} if record else values)
        if url is not None:
            urls.append((name, url))
            if url.startswith(PERIOD_PAGES):  # figures and exports: a period holding the case
                urls.append((name, f"{url}?{_period()}"))
    return urls


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


def _records(case: Case) -> list[int]:
    """How many of each thing hang off the case: a refused write adds none."""
    return [
        model.objects.filter(case=case).count()
        for model in (CaseNote, Referral, ServiceRecord, FollowUp, Notification)
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_url_as_every_role(role, world, request, otp_client) -> None:
    user = request.getfixturevalue(role)
    client = otp_client(user)
    case = world["case"]
    history_before = case.history.count()
    records_before = _records(case)
    problems = []
    seen: set[str] = set()

    for name, url in _walk(world):
        if name == "case-recording" and role not in NO_IDENTITY:
            continue  # streams from Twilio for those allowed: tests/intake cover it
        response = client.get(url)
        assert response.status_code < 500, (role, url, response.status_code)
        seen.update(_leaks(_text(response)))
        if role in NO_IDENTITY and (leaked := _leaks(_text(response))):
            problems.append(f"GET {url} ({response.status_code}) shows {leaked}")
        if role in OUTSIDERS and world["number"] in url:
            missing = client.get(url.replace(world["number"], MISSING))
            if response.status_code != missing.status_code or response.status_code == 200:
                problems.append(
                    f"GET {url}: {response.status_code}, but {missing.status_code} for no case"
                )
        if role in NO_IDENTITY and any(str(world[k]) in url for k in ("number",)):
            # a write: refused, and nothing changes
            posted = client.post(url, {"text": "x", "remark": "x", "reason": "x"})
            assert posted.status_code < 500, (role, url, posted.status_code)
            if role in OUTSIDERS and posted.status_code not in (403, 404, 405):
                problems.append(f"POST {url} answered {posted.status_code}")
            if leaked := _leaks(_text(posted)):
                problems.append(f"POST {url} ({posted.status_code}) shows {leaked}")

    assert problems == []
    # the walk does see what those on the case may read: the canaries are where they should be
    assert seen >= INSIDERS_READ.get(role, set()), INSIDERS_READ.get(role, set()) - seen
    if role in NO_IDENTITY:
        assert case.history.count() == history_before
        assert _records(case) == records_before


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

"""The subject access export (SECURITY DP-10): everything held about the victim, across their cases,
in data.json and the PDF alike, and nothing of anyone else: not the perpetrator's or another
victim's details (redacted in free text too), not staff's internal notes."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Organisation
from cases.models import (
    AccessLog,
    CaseNote,
    CasePerson,
    ContactType,
    ExternalReference,
    FollowUpKind,
    PersonContact,
    ReferenceType,
    ServiceType,
)
from notifications.victim_messages import message_victim
from portal.models import PortalUpdate, UpdateType
from privacy.models import SubjectAccessRequest
from privacy.sar import export_subject_access, open_subject_access_request
from privacy.sar_redact import ANOTHER_PERSON
from project import protected_files
from referrals.models import FollowUp, ServiceRecord
from risk.models import Assessment, Questionnaire
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    ReferralFactory,
    ReportFactory,
    category,
)
from tests.privacy.canary import canary

pytestmark = pytest.mark.django_db

# What the victim must find in their export
VICTIM = {
    "name": canary("Vicky Victimson"),
    "address": canary("1 Victim Road"),
    "contact": canary("victim@example.invalid"),
    "reference": canary("VREF-1"),
    "story": canary("victimstory"),
    "shared": canary("sharednote"),
    "message": canary("messagetovictim"),
    "update": canary("portalupdate"),
}
# What must never be in it
HIDDEN = {
    "perpetrator_name": "Percy " + canary("Perpetrator"),
    "perpetrator_address": canary("9 Perp Street"),
    "perpetrator_contact": canary("perp@example.invalid"),
    "other_victim": "Olive " + canary("Othervictim"),
    "internal": canary("internalnote"),
    "service_note": canary("servicenote"),
    "follow_up_note": canary("followupnote"),
    "risk_note": canary("risknote"),
    "other_story": canary("otherstory"),
}
PERPETRATOR_PHONE = "+447700900777"


@dataclass
class Scenario:
    victim: object
    cases: list
    operator: object


def build(helpline: Organisation, operator: object) -> Scenario:
    """A victim on two cases: one with a perpetrator (named in the victim's own words and in a
    shared note), one with another victim; notes, services, follow-ups, messages, risk answers."""
    victim = PersonFactory(name=VICTIM["name"], address=VICTIM["address"])
    PersonContact.objects.create(
        person=victim, kind=ContactType.objects.first(), value=VICTIM["contact"]
    )
    ExternalReference.objects.create(
        person=victim, kind=ReferenceType.objects.first(), value=VICTIM["reference"]
    )
    perpetrator = PersonFactory(
        name=HIDDEN["perpetrator_name"],
        phone=PERPETRATOR_PHONE,
        address=HIDDEN["perpetrator_address"],
    )
    PersonContact.objects.create(
        person=perpetrator, kind=ContactType.objects.first(), value=HIDDEN["perpetrator_contact"]
    )
    first = CaseFactory(
        helpline=helpline,
        category=category(),
        incident_description=(
            f"{VICTIM['story']}: Percy came round; call him on 07700 900777 or at {HIDDEN['perpetrator_address']}"
        ),
    )
    CasePersonFactory(case=first, person=victim)
    CasePersonFactory(case=first, person=perpetrator, role=CasePerson.Role.PERPETRATOR)
    ReportFactory(
        case=first,
        sender=victim.phone,
        body=f"{VICTIM['story']} {HIDDEN['perpetrator_name']} hit me",
    )
    CaseNote.objects.create(
        case=first,
        organisation=helpline,
        author=operator,
        shared=True,
        kind=CaseNote.Kind.RESOLUTION,
        text=f"{VICTIM['shared']} Percy warned",
    )
    CaseNote.objects.create(
        case=first, organisation=helpline, author=operator, text=HIDDEN["internal"]
    )
    cso = OrganisationFactory(kind=Organisation.Kind.CSO, name="Safe Haven Refuge")
    ReferralFactory(case=first, organisation=cso, referred_by=operator)
    ServiceRecord.objects.create(
        case=first,
        organisation=cso,
        service_type=ServiceType.objects.first(),
        provided_at=timezone.now(),
        notes=HIDDEN["service_note"],
        recorded_by=operator,
    )
    FollowUp.objects.create(
        case=first,
        organisation=helpline,
        kind=FollowUpKind.objects.first(),
        due_at=timezone.now() + timedelta(days=2),
        for_victim=True,
        notes=HIDDEN["follow_up_note"],
        assignee=operator,
    )
    PortalUpdate.objects.create(
        case=first, update_type=UpdateType.objects.first(), title="An update", body=VICTIM["update"]
    )
    message_victim(
        case=first,
        channel="portal",
        text=VICTIM["message"],
        kind="victim.portal_reply",
        sent_by=operator,
    )
    questionnaire = Questionnaire.objects.get(is_active=True)
    question = questionnaire.questions.first()
    Assessment.objects.create(
        case=first,
        questionnaire=questionnaire,
        answers={str(question.pk): "yes"},
        notes=HIDDEN["risk_note"],
        score=1,
        out_of=20,
        level="standard",
        completed_by=operator,
    )
    second = CaseFactory(helpline=helpline)
    CasePersonFactory(case=second, person=victim)
    CasePersonFactory(case=second, person=PersonFactory(name=HIDDEN["other_victim"]))
    ReportFactory(case=second, sender="", body=f"Olive and me. {HIDDEN['other_victim']} too")
    # a case the victim is not on at all
    unrelated = CaseFactory(helpline=helpline, incident_description=HIDDEN["other_story"])
    CasePersonFactory(case=unrelated, person=PersonFactory())
    return Scenario(victim=victim, cases=[first, second], operator=operator)


@pytest.fixture
def scenario(helpline: Organisation, operator: object) -> Scenario:
    return build(helpline, operator)


def unpack(payload: bytes) -> tuple[dict, str, str]:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "data.json", "export.pdf"]
        data = json.loads(archive.read("data.json"))
        pdf = PdfReader(io.BytesIO(archive.read("export.pdf")))
        text = "\n".join(page.extract_text() for page in pdf.pages)
        readme = archive.read("README.txt").decode()
    return data, text, readme


def export(scenario: Scenario, dpo: object) -> tuple[SubjectAccessRequest, bytes]:
    request = open_subject_access_request(
        person_id=scenario.victim.pk, received_on=timezone.localdate(), actor=dpo
    )
    return request, export_subject_access(request_id=request.pk, actor=dpo)


def test_contains_the_victims_data_and_nothing_of_anyone_else(scenario, dpo) -> None:
    # when
    _, payload = export(scenario, dpo)
    # then
    data, pdf_text, readme = unpack(payload)
    raw = json.dumps(data, ensure_ascii=False)
    flat_pdf = "".join(pdf_text.split())  # the PDF wraps long words over lines: compare unspaced
    for name, value in VICTIM.items():
        assert value in raw, name
    for name in ("name", "address", "story", "shared", "message", "update", "reference"):
        assert "".join(VICTIM[name].split()) in flat_pdf, name
    for name, value in HIDDEN.items():
        assert value not in raw, name
        assert "".join(value.split()) not in flat_pdf, name
    assert PERPETRATOR_PHONE not in raw
    assert "900777" not in raw
    assert "Percy" not in raw
    assert "Olive" not in raw
    assert ANOTHER_PERSON in raw
    assert "[anotherperson]" in flat_pdf
    assert "Percy" not in flat_pdf
    assert "Olive" not in flat_pdf
    assert "internal notes" in readme
    assert "[another person]" in readme


def test_lists_its_sources_and_the_cases(scenario, dpo) -> None:
    # when
    request, payload = export(scenario, dpo)
    # then
    data, pdf_text, _ = unpack(payload)
    assert [c["number"] for c in data["cases"]] == [c.number for c in scenario.cases]
    first = data["cases"][0]
    assert first["your_part"] == ["Victim"]
    assert first["referrals"][0]["organisation"] == "Safe Haven Refuge"
    assert first["risk_assessments"][0]["answers"][0]["answer"] == "Yes"
    assert first["appointments"]
    assert "notes" not in first["appointments"][0]
    assert [note["text"] for note in first["shared_notes"]] == [
        f"{VICTIM['shared']} {ANOTHER_PERSON} warned"
    ]
    sections = {s["section"] for s in data["what_this_contains"]}
    assert {"Your details", "Cases", "Messages to you", "Risk assessments"} <= sections
    assert "Staff's internal notes" in {s["section"] for s in data["not_included"]}
    assert data["request"]["id"] == request.pk
    assert "What this contains" in pdf_text


def test_a_perpetrators_export_holds_the_cases_facts_only(scenario, dpo) -> None:
    # given
    perpetrator = CasePerson.objects.get(role=CasePerson.Role.PERPETRATOR).person
    # when
    request = open_subject_access_request(
        person_id=perpetrator.pk, received_on=timezone.localdate(), actor=dpo
    )
    data, pdf_text, _ = unpack(export_subject_access(request_id=request.pk, actor=dpo))
    # then
    raw = json.dumps(data, ensure_ascii=False)
    assert HIDDEN["perpetrator_name"] in raw  # their own details
    assert data["cases"][0]["your_part"] == ["Perpetrator"]
    for value in VICTIM.values():
        assert value not in raw
    assert "what_happened" not in data["cases"][0]


def test_is_kept_encrypted_and_audited_per_case(scenario, dpo, caplog) -> None:
    # when
    with caplog.at_level("INFO", logger="lantern.security"):
        request, payload = export(scenario, dpo)
    # then
    request.refresh_from_db()
    assert request.status == SubjectAccessRequest.Status.EXPORTED
    assert request.expires_at > timezone.now()
    assert b"".join(protected_files.open_decrypted(request.export_file)) == payload
    logged = AccessLog.objects.filter(action=AccessLog.Action.SUBJECT_ACCESS, user=dpo)
    assert sorted(logged.values_list("case_id", flat=True)) == sorted(c.pk for c in scenario.cases)
    assert {row.detail for row in logged} == {f"subject access {request.pk} export"}
    (event,) = [r for r in caplog.records if r.getMessage() == "subject_access_export"]
    assert (event.request_id, event.user_id) == (request.pk, dpo.pk)  # ids, never the person


def test_exporting_again_replaces_the_file(
    scenario, dpo, django_capture_on_commit_callbacks
) -> None:
    # given
    request, _ = export(scenario, dpo)
    request.refresh_from_db()
    first_file = request.export_file
    # when
    with django_capture_on_commit_callbacks(execute=True):
        export_subject_access(request_id=request.pk, actor=dpo)
    # then
    request.refresh_from_db()
    assert request.export_file != first_file
    assert not protected_files.exists(first_file)
    assert protected_files.exists(request.export_file)


def test_a_reporter_gets_the_reports_they_sent_with_the_victim_redacted(helpline, dpo) -> None:
    # given: someone who reported for a victim, by text from their own phone
    victim = PersonFactory(name="Vera " + canary("Reportedfor"), phone="+447700900111")
    reporter = PersonFactory(name="Rita " + canary("Reporter"), phone="+447700900222")
    case = CaseFactory(helpline=helpline, incident_description=canary("victimsaccount"))
    CasePersonFactory(case=case, person=victim)
    CasePersonFactory(case=case, person=reporter, role=CasePerson.Role.REPORTER)
    ReportFactory(case=case, sender=reporter.phone, body="Vera is not safe, call 07700900111")
    ReportFactory(case=case, sender=victim.phone, body=canary("victimsownwords"))
    # when
    request = open_subject_access_request(
        person_id=reporter.pk, received_on=timezone.localdate(), actor=dpo
    )
    data, _, _ = unpack(export_subject_access(request_id=request.pk, actor=dpo))
    # then
    (entry,) = data["cases"]
    assert entry["your_part"] == ["Reporter"]
    assert [(r["from"], r["words"]) for r in entry["reports"]] == [
        ("you", f"{ANOTHER_PERSON} is not safe, call {ANOTHER_PERSON}")
    ]
    raw = json.dumps(data, ensure_ascii=False)
    for hidden in ("Reportedfor", "victimsaccount", "victimsownwords", "Vera", "900111"):
        assert hidden not in raw

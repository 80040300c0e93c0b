"""Erasure (SECURITY DP-09): four eyes, everything about the person gone (history included),
everyone else on the same cases kept, tombstones re-applied after a restore, exemptions."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied

from cases.models import CaseNote, CasePerson, Person, Report
from cases.policy import shows_person_details as shows_details
from intake.adapters.twilio import RecordingUnavailableError
from privacy.erasure import ErasureError, decide, reapply_erasures, request_erasure
from privacy.models import DeletionRecord, ErasureRequest, LegalHold, Tombstone
from project import protected_files
from tests.privacy.canary import find
from tests.privacy.erasure_helpers import OTHERS, VICTIM, plant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ledger(settings, tmp_path):
    """A ledger of this test's own: ids from other tests' rolled-back rows must not be read."""
    settings.ERASURE_LEDGER = tmp_path / "erasures.jsonl"
    return settings.ERASURE_LEDGER


def _erase(person, dpo, second_dpo) -> ErasureRequest:
    request = request_erasure(
        person=person, ground=ErasureRequest.Ground.WITHDRAWN, reasons="Asked by phone", actor=dpo
    )
    return decide(request=request, approve=True, actor=second_dpo, note="Checked")


def test_every_trace_of_the_person_goes_and_everyone_else_stays(
    helpline, operator, dpo, second_dpo
):
    # given
    planted = plant(helpline, operator)
    assert len(find(*VICTIM.values())) > 20  # the sweep sees what was planted

    # when
    request = _erase(planted.victim, dpo, second_dpo)

    # then
    assert find(*VICTIM.values()) == []
    for value in OTHERS.values():
        assert find(value), f"{value} should have stayed"
    victim = Person.objects.get(pk=planted.victim.pk)
    assert victim.erased_at is not None
    assert victim.history.latest().history_change_reason == "Erased on request"
    # the cases keep their shape: the links stay, the other people too
    assert CasePerson.objects.filter(person=victim).count() == 2
    note = CaseNote.objects.get()
    assert note.text.startswith("Called [erased] on [erased].")
    assert request.status == ErasureRequest.Status.DONE
    assert Report.objects.filter(sender_index="").count() == 3  # blanked, not gone


def test_deletion_records_and_tombstone_hold_ids_and_counts_only(
    helpline, operator, dpo, second_dpo, ledger
):
    # given
    planted = plant(helpline, operator)

    # when
    request = _erase(planted.victim, dpo, second_dpo)

    # then
    tombstone = Tombstone.objects.get()
    assert (tombstone.person_id, tombstone.request) == (planted.victim.pk, request)
    records = DeletionRecord.objects.filter(erasure=request)
    assert {r.category for r in records} >= {"contact_details", "messages", "case_content"}
    assert all(r.count > 0 and r.cause == "erasure" for r in records)
    lines = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert lines == [
        {
            "person_id": planted.victim.pk,
            "erased_at": tombstone.erased_at.isoformat(),
            "request_id": request.pk,
        }
    ]
    assert "CANARY" not in ledger.read_text()


def test_the_asker_can_never_decide(helpline, operator, dpo):
    # given
    person = plant(helpline, operator).victim
    request = request_erasure(person=person, ground="withdrawn", reasons="x", actor=dpo)

    # when / then
    with pytest.raises(ErasureError, match="another data protection officer must"):
        decide(request=request, approve=True, actor=dpo)
    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.PENDING
    assert Person.objects.get(pk=person.pk).erased_at is None


def test_someone_without_the_permission_can_neither_ask_nor_decide(
    helpline, operator, supervisor, dpo
):
    # given
    person = plant(helpline, operator).victim

    # when / then
    with pytest.raises(PermissionDenied):
        request_erasure(person=person, ground="withdrawn", reasons="x", actor=supervisor)
    request = request_erasure(person=person, ground="withdrawn", reasons="x", actor=dpo)
    with pytest.raises(PermissionDenied):
        decide(request=request, approve=True, actor=operator)


def test_a_refusal_erases_nothing(helpline, operator, dpo, second_dpo):
    # given
    person = plant(helpline, operator).victim
    request = request_erasure(person=person, ground="withdrawn", reasons="x", actor=dpo)

    # when
    decide(request=request, approve=False, actor=second_dpo, note="A court order needs it")

    # then
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (ErasureRequest.Status.REFUSED, second_dpo)
    assert find(VICTIM["name"])
    assert not Tombstone.objects.exists()


def test_the_requests_own_words_lose_the_persons_name(helpline, operator, dpo, second_dpo):
    # given
    person = plant(helpline, operator).victim
    request = request_erasure(
        person=person, ground="withdrawn", reasons=f"{VICTIM['name']} phoned", actor=dpo
    )

    # when
    decide(request=request, approve=True, actor=second_dpo)

    # then
    request.refresh_from_db()
    assert request.reasons == "[erased] phoned"
    assert find(VICTIM["name"]) == []


def test_a_person_under_a_legal_hold_is_restricted_not_erased(helpline, operator, dpo, second_dpo):
    # given
    planted = plant(helpline, operator)
    LegalHold.objects.create(case_id=planted.case_ids[0], reason="Claim", placed_by=dpo)

    # when
    request = _erase(planted.victim, dpo, second_dpo)

    # then
    victim = Person.objects.get(pk=planted.victim.pk)
    assert (victim.processing_restricted, victim.erased_at) == (True, None)
    assert victim.name == VICTIM["name"]
    assert request.decision_note.startswith("Not erased: under a legal hold")
    assert not Tombstone.objects.exists()
    assert not shows_details(operator, victim)
    assert shows_details(dpo, victim)


def test_reapplying_after_a_restore_erases_again_once(helpline, operator, dpo, second_dpo, ledger):
    # given: erased, then a restore from an older backup brings the person back, without the
    # tombstone row (the ledger file outside the database still lists them)
    planted = plant(helpline, operator)
    _erase(planted.victim, dpo, second_dpo)
    Person.objects.filter(pk=planted.victim.pk).update(erased_at=None)
    victim = Person.objects.get(pk=planted.victim.pk)
    victim.name, victim.phone = VICTIM["name"], VICTIM["phone"]
    victim.save()
    Report.objects.create(
        case_id=planted.case_ids[0], channel="sms", source_id="SMold", sender=VICTIM["phone"],
        body=VICTIM["sms"],
    )  # fmt: skip
    Tombstone.objects.all().delete()
    assert find(VICTIM["name"], VICTIM["sms"])

    # when
    again = reapply_erasures()

    # then
    assert again == 1
    assert find(*VICTIM.values()) == []
    assert Person.objects.get(pk=victim.pk).erased_at is not None
    assert Tombstone.objects.filter(person_id=victim.pk).exists()
    assert reapply_erasures() == 0  # idempotent


def test_an_erased_person_cannot_be_asked_for_again(helpline, operator, dpo, second_dpo):
    # given
    person = plant(helpline, operator).victim
    _erase(person, dpo, second_dpo)

    # when / then
    with pytest.raises(ErasureError, match="already been erased"):
        request_erasure(
            person=Person.objects.get(pk=person.pk), ground="withdrawn", reasons="x", actor=dpo
        )


def test_their_recording_goes_from_storage_after_the_commit(
    helpline, operator, dpo, second_dpo, django_capture_on_commit_callbacks
):
    # given: a call of theirs, its recording stored encrypted in Lantern
    planted = plant(helpline, operator)
    name = protected_files.save_encrypted(f"audio {VICTIM['transcript']}".encode(), prefix="rec")
    Report.objects.filter(recording_sid="RE123").update(recording_file=name)
    assert any(hit.startswith("file.") for hit in find(VICTIM["transcript"]))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        _erase(planted.victim, dpo, second_dpo)

    # then
    assert find(*VICTIM.values()) == []


def test_a_recording_the_provider_cannot_delete_now_erases_nothing(
    helpline, operator, dpo, second_dpo, monkeypatch
):
    # given
    planted = plant(helpline, operator)
    Report.objects.filter(recording_sid="RE123").update(
        recording_url="https://api.twilio.com/made-up/RE123"
    )

    def unreachable(sid: str) -> None:
        raise RecordingUnavailableError("Twilio did not answer")

    monkeypatch.setattr("intake.recordings.twilio.delete_recording", unreachable)
    request = request_erasure(person=planted.victim, ground="withdrawn", reasons="x", actor=dpo)

    # when / then
    with pytest.raises(ErasureError, match="Try again later"):
        decide(request=request, approve=True, actor=second_dpo)
    request.refresh_from_db()
    assert request.status == ErasureRequest.Status.PENDING
    assert find(VICTIM["name"], VICTIM["sms"])

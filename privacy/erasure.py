"""Erasure on request (UK GDPR art. 17, SECURITY DP-09): a data-protection officer asks, a
different one decides (four eyes), and approval carries it out in one transaction
(privacy.erasure_data says what goes and what stays). A person under an exemption (a legal claim:
a legal hold on them or on one of their cases) is not erased; their processing is restricted
instead (privacy.erasure_restrict).

Each erasure leaves a Tombstone row and a line in settings.ERASURE_LEDGER, a file outside the
database that a restore cannot roll back; reapply_erasures() erases again anyone listed in either
who is not erased (after a restore from a backup older than the erasure)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from cases.models import CasePerson, Person
from privacy.erasure_data import ErasureError, erase_person_data, identifying_values
from privacy.erasure_mentions import pattern_for, redact_rows
from privacy.erasure_restrict import restrict_processing
from privacy.models import DeletionRecord, ErasureRequest, LegalHold, Tombstone
from project.history import attribute_change

log = logging.getLogger("lantern.privacy")

PERMISSION = "privacy.manage_erasure"

# The staff account a command-line erasure is recorded under (inactive: nobody signs in as it).
COMMAND_LINE_USERNAME = "command-line"


def _check_officer(actor: AbstractBaseUser) -> None:
    if actor.username != COMMAND_LINE_USERNAME and not actor.has_perm(PERMISSION):
        raise PermissionDenied


def is_exempt(person: Person) -> bool:
    """A legal hold not lifted on the person or on one of their cases: a legal claim exempts
    them from erasure (art. 17(3)(e))."""
    cases = CasePerson.objects.filter(person=person).values("case_id")
    return LegalHold.objects.filter(
        Q(person=person) | Q(case__in=cases), lifted_at__isnull=True
    ).exists()


@transaction.atomic
def request_erasure(
    *, person: Person, ground: str, reasons: str, actor: AbstractBaseUser
) -> ErasureRequest:
    """An officer asks for `person` to be erased; it waits for another officer's decision."""
    _check_officer(actor)
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.erased_at is not None:
        raise ErasureError("This person has already been erased.")
    if ErasureRequest.objects.filter(
        person_id=person.pk, status=ErasureRequest.Status.PENDING
    ).exists():
        raise ErasureError("A request to erase this person already waits for a decision.")
    if ground not in ErasureRequest.Ground.values:
        raise ErasureError("Choose the ground the person gave.")
    request = ErasureRequest(
        person_id=person.pk, ground=ground, reasons=reasons.strip(), requested_by=actor
    )
    attribute_change(request, actor=actor, reason="Erasure requested")
    request.save()
    log.info("erasure_requested", extra={"request_id": request.pk, "person_id": person.pk})
    return request


@transaction.atomic
def decide(
    *, request: ErasureRequest, approve: bool, actor: AbstractBaseUser, note: str = ""
) -> ErasureRequest:
    """Approve (carry it out now) or refuse a waiting request. The officer who asked can never
    decide it: another officer must (four eyes)."""
    _check_officer(actor)
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ErasureRequest.Status.PENDING:
        raise ErasureError("This request has already been decided.")
    if request.requested_by_id == actor.pk and actor.username != COMMAND_LINE_USERNAME:
        raise ErasureError(
            "You asked for this erasure, so you cannot decide it: "
            "another data protection officer must approve or refuse it."
        )
    if approve:
        note = _carry_out(request, actor=actor, note=note.strip())
        request.refresh_from_db(fields=["reasons"])  # the words may have lost the person's name
    request.status = ErasureRequest.Status.DONE if approve else ErasureRequest.Status.REFUSED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    attribute_change(request, actor=actor, reason="Erasure approved" if approve else "Refused")
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return request


def _carry_out(request: ErasureRequest, *, actor: AbstractBaseUser, note: str) -> str:
    """Erase the person, or restrict them if exempt. Returns the decision note to keep."""
    person = Person.objects.select_for_update().filter(pk=request.person_id).first()
    if person is None:
        raise ErasureError("There is no such person.")
    if person.erased_at is not None:
        raise ErasureError("This person has already been erased.")
    if is_exempt(person):
        restrict_processing(person=person, actor=actor)
        return f"Not erased: under a legal hold (legal claim); processing restricted. {note}"
    # The requests' own words may name the person: replaced first, while their values are known.
    pattern = pattern_for(identifying_values(person))
    if pattern is not None:
        requests = ErasureRequest.objects.filter(person_id=person.pk)
        redact_rows(requests, ("reasons", "decision_note"), pattern)
        note = pattern.sub("[erased]", note)
    _erase(person, request=request, actor=actor)
    return note


def _erase(
    person: Person,
    *,
    request: ErasureRequest | None,
    actor: AbstractBaseUser | None,
    reason: str = "Erased on request",
) -> None:
    """Erase the locked `person`, mark them erased and leave the tombstone and deletion records."""
    counts = erase_person_data(person)
    person.refresh_from_db()
    person.erased_at = timezone.now()
    attribute_change(person, actor=actor, reason=reason)
    person.save(update_fields=["erased_at"])
    Tombstone.objects.update_or_create(
        person_id=person.pk, defaults={"erased_at": person.erased_at, "request": request}
    )
    DeletionRecord.objects.bulk_create(
        DeletionRecord(
            cause=DeletionRecord.Cause.ERASURE, category=category, count=count, erasure=request
        )
        for category, count in sorted(counts.items())
    )
    # Written before the commit, on purpose: a line for an approved erasure whose commit then
    # failed only erases, at the next re-application, someone an officer approved; a line lost
    # after a commit would let their data come back with a restore.
    _append_to_ledger(
        {
            "person_id": person.pk,
            "erased_at": person.erased_at.isoformat(),
            "request_id": request.pk if request else None,
        }
    )
    log.info("person_erased", extra={"person_id": person.pk})


def _append_to_ledger(line: dict[str, object]) -> None:
    path = Path(settings.ERASURE_LEDGER)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as ledger:
        ledger.write(json.dumps(line, sort_keys=True) + "\n")
        ledger.flush()
        os.fsync(ledger.fileno())


def ledger_person_ids() -> set[int]:
    """The people the ledger lists (a torn last line, from a crash while writing, is skipped)."""
    path = Path(settings.ERASURE_LEDGER)
    if not path.exists():
        return set()
    ids = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            ids.add(int(json.loads(line)["person_id"]))
        except (ValueError, KeyError, TypeError):
            continue
    return ids


def reapply_erasures() -> int:
    """Erase again everyone the ledger or the Tombstone table lists who is not erased (their
    data came back with a restore). Idempotent. Returns how many were erased again."""
    listed = ledger_person_ids() | set(Tombstone.objects.values_list("person_id", flat=True))
    again = 0
    for person_id in sorted(listed):
        with transaction.atomic():
            person = Person.objects.select_for_update().filter(pk=person_id).first()
            if person is None or person.erased_at is not None:
                continue
            tombstone = Tombstone.objects.filter(person_id=person_id).first()
            request = tombstone.request if tombstone else None
            _erase(person, request=request, actor=None, reason="Erased again after a restore")
            again += 1
    return again


def command_line_user() -> User:
    """The inactive account `erase_person` records its requests under."""
    user, created = User.objects.get_or_create(
        username=COMMAND_LINE_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def erase_now(*, person_id: int, reason: str) -> ErasureRequest:
    """The command line's erasure (CONTRACT `erase_person`): asked and approved at once by the
    command-line account, with `reason`. Refused for an unknown, erased or restricted person."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ErasureError(f"There is no person {person_id}.")
    if person.processing_restricted:
        raise ErasureError(
            f"Person {person_id} is under restricted processing (an exemption): not erased."
        )
    actor = command_line_user()
    request = request_erasure(
        person=person, ground=ErasureRequest.Ground.OTHER, reasons=reason, actor=actor
    )
    return decide(request=request, approve=True, actor=actor, note=reason)

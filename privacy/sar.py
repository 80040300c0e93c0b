"""Subject access requests (UK GDPR art. 15, SECURITY DP-10): receiving one (its due date from
privacy.sar_dates), exporting everything held about the person as one ZIP kept encrypted in the
protected storage (project.protected_files) until SAR_EXPORT_DAYS have passed, reading it back,
and the expiry that removes it. Every export and every download writes an access-log row
(SUBJECT_ACCESS) for each case the export covers: it reads those cases, whoever's queue they are in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from cases.models import AccessLog, CasePerson, Person
from privacy.models import Category, DeletionRecord, SubjectAccessRequest
from privacy.sar_collect import collect
from privacy.sar_dates import due_date
from privacy.sar_files import build_zip
from project import protected_files
from project.history import attribute_change

STORAGE_PREFIX = "subject-access"
security_log = logging.getLogger("lantern.security")


class SubjectAccessError(Exception):
    """The request cannot be made or its export read (in words for the DPO)."""


def open_subject_access_request(
    *, person_id: int, received_on: date, actor: AbstractBaseUser
) -> SubjectAccessRequest:
    """Record a request received on `received_on`, due a calendar month later (a working day)."""
    if not Person.objects.filter(pk=person_id).exists():
        raise SubjectAccessError("There is no person with that number.")
    if received_on > timezone.localdate():
        raise SubjectAccessError("The date received cannot be in the future.")
    sar = SubjectAccessRequest(
        person_id=person_id,
        received_on=received_on,
        due_on=due_date(received_on),
        requested_by=actor,
    )
    attribute_change(sar, actor=actor, reason="Subject access request received")
    with transaction.atomic():
        sar.save()
    return sar


def _audit(
    sar: SubjectAccessRequest, actor: AbstractBaseUser, *, what: str, via: str, ip: str | None
) -> None:
    """One row per case the export covers (a person on no case: one row without a case), so
    "who read this case" shows it; the detail names the request, never the person. Rows one by
    one, not bulk_create: each joins the access log's hash chain as it is saved."""
    # a security event too (AU-05: exports): ids only
    security_log.info(
        f"subject_access_{what}", extra={"request_id": sar.pk, "user_id": actor.pk, "via": via}
    )
    case_ids = CasePerson.objects.filter(person_id=sar.person_id).values_list("case_id", flat=True)
    for case_id in sorted(set(case_ids)) or [None]:
        AccessLog.objects.create(
            user=actor,
            case_id=case_id,
            action=AccessLog.Action.SUBJECT_ACCESS,
            via=via,
            detail=f"subject access {sar.pk} {what}",
            ip_address=ip,
        )


def export_subject_access(
    *, request_id: int, actor: AbstractBaseUser, via: str = "web", ip: str | None = None
) -> bytes:
    """Build the export (privacy.sar_collect, privacy.sar_files), keep it encrypted until it
    expires, and return the ZIP's bytes. Locks the request: two exports of one request queue."""
    with transaction.atomic():
        sar = SubjectAccessRequest.objects.select_for_update().get(pk=request_id)
        person = Person.objects.filter(pk=sar.person_id).first()
        if person is None:
            raise SubjectAccessError("The person of this request is no longer held.")
        now = timezone.now()
        data = collect(person)
        data["request"] = {
            "id": sar.pk,
            "received_on": sar.received_on.isoformat(),
            "due_on": sar.due_on.isoformat(),
            "exported_at": timezone.localtime(now).isoformat(timespec="minutes"),
        }
        payload = build_zip(data, generated_by=actor.get_username())
        previous = sar.export_file
        name = protected_files.save_encrypted(payload, prefix=STORAGE_PREFIX)
        # Should the row not be saved, the new file would be named by nothing: remove it.
        try:
            sar.export_file = name
            sar.exported_at = now
            sar.expires_at = now + timedelta(days=settings.SAR_EXPORT_DAYS)
            sar.status = SubjectAccessRequest.Status.EXPORTED
            attribute_change(sar, actor=actor, reason="Exported")
            sar.save(update_fields=["export_file", "exported_at", "expires_at", "status"])
            _audit(sar, actor, what="export", via=via, ip=ip)
        except BaseException:
            protected_files.delete(name)
            raise
        if previous:  # an export made again replaces the earlier file
            transaction.on_commit(lambda: protected_files.delete(previous))
    return payload


def open_export(
    *, request_id: int, actor: AbstractBaseUser, via: str = "web", ip: str | None = None
) -> Iterator[bytes]:
    """The decrypted ZIP of an export not yet expired, piece by piece; each read is audited."""
    sar = SubjectAccessRequest.objects.get(pk=request_id)
    if not sar.export_file:
        raise SubjectAccessError("There is no export to download: make one first.")
    try:
        chunks = protected_files.open_decrypted(sar.export_file)
    except FileNotFoundError as error:  # removed outside Lantern: say so rather than fail
        raise SubjectAccessError("The export's file is missing: export again.") from error
    with transaction.atomic():
        _audit(sar, actor, what="download", via=via, ip=ip)
    return chunks


def expire_subject_access_exports(*, now: datetime | None = None) -> int:
    """Remove every export past its expiry and say how many went (a DeletionRecord, no content).
    A second run finds nothing; a run that stops half-way is finished by the next, as a file
    already gone is no error and its request still names it until the row is saved."""
    now = now or timezone.now()
    expired = 0
    with transaction.atomic():
        due = SubjectAccessRequest.objects.select_for_update().filter(expires_at__lte=now)
        for sar in due.exclude(export_file=""):
            protected_files.delete(sar.export_file)
            sar.export_file = ""
            sar.status = SubjectAccessRequest.Status.EXPIRED
            attribute_change(sar, actor=None, reason="Export expired and removed")
            sar.save(update_fields=["export_file", "status"])
            expired += 1
        if expired:
            DeletionRecord.objects.create(
                cause=DeletionRecord.Cause.EXPIRY, category=Category.EXPORTS, count=expired
            )
    return expired

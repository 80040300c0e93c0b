"""Call recordings kept in Lantern (issue 15 part 6, SECURITY DP-01): once Twilio says a recording
is complete, a background task fetches it once, stores it encrypted (project.protected_files),
deletes Twilio's copy and forgets its address. Until then the player streams from Twilio.

Every step may fail and be repeated: the audio is fetched only while no copy is kept, the
provider's copy is deleted only once ours is stored, and the periodic sweep picks up whatever a
failure (or a Redis outage when the task was queued) left behind."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db import models, transaction

from cases.models import Report
from intake.adapters import twilio
from project import protected_files
from project.crypto import UndecryptableValueError
from project.history import attribute_change

logger = logging.getLogger(__name__)

PREFIX = "recordings"
# Reports handled per sweep: each is a download, so a backlog drains over several sweeps.
SWEEP_BATCH = 50


def _history(values: dict[str, str], pks: list[int]) -> None:
    """The same blanks on every historical copy (simple-history keeps one per change), in place.
    privacy.scrub does this for privacy; intake is below privacy and cannot import it."""
    Report._base_manager.filter(pk__in=pks).update(**values)
    Report.history.model._base_manager.filter(id__in=pks).update(**values)


def pending() -> models.QuerySet[Report]:
    """Reports whose recording is still only at the provider (or stored, not yet deleted there)."""
    return Report.objects.exclude(recording_url="").exclude(recording_sid="").order_by("pk")


def store(report_id: int) -> bool:
    """Keep a report's recording in Lantern and remove the provider's copy. True when there is
    nothing left at the provider; False when a step failed (logged; the sweep tries again)."""
    report = Report.objects.filter(pk=report_id).first()
    if report is None or not report.recording_url or not report.recording_sid:
        return True  # done already, discarded, or never recorded
    try:
        if not report.recording_file:
            audio = twilio.fetch_recording(report.recording_url, whole=True)
            name = protected_files.save_encrypted(audio, prefix=PREFIX)
            if not _keep(report_id, name, url=report.recording_url):
                protected_files.delete(name)  # stored meanwhile by another run, or discarded
                return True
        twilio.delete_recording(report.recording_sid)
    except twilio.RecordingUnavailableError as exc:
        logger.warning("recording_store_failed", extra={"report_id": report_id, "reason": str(exc)})
        return False
    with transaction.atomic():
        _history({"recording_url": ""}, [report_id])
    logger.info("recording_stored", extra={"report_id": report_id})
    return True


@transaction.atomic
def _keep(report_id: int, name: str, *, url: str) -> bool:
    report = Report.objects.select_for_update().get(pk=report_id)
    if report.recording_file or report.recording_url != url:
        return False
    report.recording_file = name
    attribute_change(report, actor=None, reason="Recording kept in Lantern")
    report.save(update_fields=["recording_file"])
    return True


def store_pending() -> int:
    """The sweep: store what is still at the provider. Returns how many were finished."""
    ids = list(pending().values_list("pk", flat=True)[:SWEEP_BATCH])
    return sum(store(report_id) for report_id in ids)


def audio(report: Report) -> Iterator[bytes]:
    """The recording's audio for the player: Lantern's copy, or the provider's while there is none
    yet. RecordingUnavailableError (names no URL) when neither can be read now."""
    if report.recording_file:
        try:
            return protected_files.open_decrypted(report.recording_file)
        except (OSError, UndecryptableValueError) as exc:
            raise twilio.RecordingUnavailableError(type(exc).__name__) from None
    return twilio.fetch_recording(report.recording_url)


def discard_recording(report: Report) -> None:
    """Remove a report's recording everywhere: the provider's copy (if it is still there), the
    stored file, and the recording's address and transcription on the report and in its history.
    Retention (privacy.retention) and erasure (privacy.erasure) call this.

    When the provider's copy cannot be deleted now, RecordingUnavailableError is raised before
    anything changes, so the caller can try again later. The stored file is deleted once the
    caller's transaction commits (a rollback keeps both the file and the report pointing at it)."""
    row = Report._base_manager.get(pk=report.pk)
    if row.recording_url and row.recording_sid:
        twilio.delete_recording(row.recording_sid)
    with transaction.atomic():
        _history({"recording_url": "", "recording_file": "", "transcription": ""}, [row.pk])
    for field in ("recording_url", "recording_file", "transcription"):
        setattr(report, field, "")
    if row.recording_file:
        transaction.on_commit(lambda: protected_files.delete(row.recording_file))

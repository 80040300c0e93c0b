"""Retention by data category (SECURITY DP-08): how long each kind of data is kept and what is
past that now. Periods are RetentionRule rows admins edit; each counts from an event (a case
closing or being discarded, a feed record or export made, a read) and runs in whole calendar days
of the local time zone (C-9), so a summer-time change never moves a date. A legal hold on a case,
or on a person, stops the clock of everything of that case or of every case of that person.

These are the reads; privacy.retention_sweep removes what they find."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.models import AccessLog, Case, CasePerson, Person, Report
from dashboards.models import ExportJob
from feeds.models import FeedRecord
from intake.models import UnroutedMessage
from notifications.models import Notification
from portal.models.updates import PortalUpdate
from privacy.models import DEFAULT_RETENTION, LegalHold, RetentionRule, SubjectAccessRequest

# cases whose content is kept until their closing counts (an archived case was closed first)
ENDED = (Case.Status.CLOSED, Case.Status.ARCHIVED)


def periods() -> dict[str, int]:
    """Days kept per category, as the admins set them (a category without a row: its default)."""
    return {
        **{category: days for category, (days, _) in DEFAULT_RETENTION.items()},
        **dict(RetentionRule.objects.values_list("category", "days")),
    }


def kept_until(event_at: datetime, days: int) -> date:
    """The local calendar date on which something that happened at `event_at` is removed."""
    return timezone.localdate(event_at) + timedelta(days=days)


def cutoff(days: int, now: datetime) -> datetime:
    """What happened before this instant is past a `days` period today: its local date plus the
    days is today or earlier. Local midnight, so the answer follows the calendar, not 24-hour
    steps across a clock change."""
    first_kept = timezone.localdate(now) - timedelta(days=days) + timedelta(days=1)
    return timezone.make_aware(datetime.combine(first_kept, time.min))


def active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(lifted_at__isnull=True)


def held_cases() -> QuerySet[Case]:
    """Cases on hold themselves or through a person on them."""
    holds = active_holds()
    through_people = CasePerson.objects.filter(
        person__in=holds.filter(person__isnull=False).values("person")
    ).values("case")
    return Case.objects.filter(
        Q(pk__in=holds.filter(case__isnull=False).values("case")) | Q(pk__in=through_people)
    )


def held_people() -> QuerySet[Person]:
    """People on hold themselves or named on a case on hold."""
    holds = active_holds()
    return Person.objects.filter(
        Q(pk__in=holds.filter(person__isnull=False).values("person"))
        | Q(pk__in=CasePerson.objects.filter(case__in=held_cases()).values("person"))
    )


def ended_before(moment: datetime) -> QuerySet[Case]:
    """Closed or archived cases closed before `moment`, not on hold."""
    return Case.objects.filter(status__in=ENDED, closed_at__lt=moment).exclude(pk__in=held_cases())


def cases_content_due(days: int, now: datetime) -> QuerySet[Case]:
    return ended_before(cutoff(days, now)).filter(anonymised_at__isnull=True)


def discarded_at(cases: list[Case]) -> dict[int, datetime]:
    """When each discarded case was discarded: the start of the newest run of 'discarded' in its
    history (a case reinstated and discarded again counts from the second time)."""
    history = Case.history.model.objects.filter(id__in=[case.pk for case in cases])
    since: dict[int, datetime] = {}
    for case_id, status, at in history.order_by("history_date", "history_id").values_list(
        "id", "status", "history_date"
    ):
        if status != Case.Status.DISCARDED:
            since.pop(case_id, None)
        else:
            since.setdefault(case_id, at)
    return since


def discarded_due(days: int, now: datetime) -> list[tuple[Case, datetime]]:
    """Discarded cases (not on hold, not yet anonymised) with when they were discarded, those
    past the period."""
    moment = cutoff(days, now)
    return [(case, at) for case, at in discarded_cases() if at < moment]


def discarded_cases() -> list[tuple[Case, datetime]]:
    cases = list(
        Case.objects.filter(status=Case.Status.DISCARDED, anonymised_at__isnull=True)
        .exclude(pk__in=held_cases())
        .order_by("pk")
    )
    since = discarded_at(cases)
    return [(case, since[case.pk]) for case in cases if case.pk in since]


def contact_people_due(days: int, now: datetime) -> QuerySet[Person]:
    """Victims and reporters whose every case ended before the cutoff (or was anonymised) and
    who still have a way of being reached on record. A person also on a live case keeps theirs."""
    moment = cutoff(days, now)
    live = Case.objects.filter(anonymised_at__isnull=True).exclude(
        status__in=ENDED, closed_at__lt=moment
    )
    return (
        Person.objects.filter(
            cases__role__in=(CasePerson.Role.VICTIM, CasePerson.Role.REPORTER),
            cases__case__in=ended_before(moment),
        )
        .exclude(cases__case__in=live)
        .exclude(pk__in=held_people())
        .filter(
            ~Q(phone="") | ~Q(address="") | ~Q(contact_preferences={}) | Q(contacts__isnull=False)
        )  # fmt: skip
        .distinct()
    )


def senders_due(days: int, now: datetime) -> QuerySet[Report]:
    """Reports whose sender (a phone or an email address) is past the contact period."""
    return Report.objects.filter(case__in=ended_before(cutoff(days, now))).exclude(sender="")


def recordings_due(days: int, now: datetime) -> QuerySet[Report]:
    return Report.objects.filter(case__in=ended_before(cutoff(days, now))).exclude(
        recording_url="", transcription="", recording_file=""
    )


def notifications_due(days: int, now: datetime) -> QuerySet[Notification]:
    """Outbox rows of ended cases, and rows about no case (staff alerts) by when they were made."""
    moment = cutoff(days, now)
    return Notification.objects.filter(
        Q(case__in=ended_before(moment)) | Q(case__isnull=True, created_at__lt=moment)  # fmt: skip
    ).exclude(text="", destination="", override_reason="")


def portal_messages_due(days: int, now: datetime) -> QuerySet[Report]:
    """What victims wrote in the portal (reports of the portal channel)."""
    return Report.objects.filter(
        channel=Report.PORTAL, case__in=ended_before(cutoff(days, now))
    ).exclude(body="")


def unrouted_due(days: int, now: datetime) -> QuerySet[UnroutedMessage]:
    """Texts to a number no helpline claims that nobody took, by when they came."""
    return UnroutedMessage.objects.filter(case__isnull=True, received_at__lt=cutoff(days, now))


def portal_updates_due(days: int, now: datetime) -> QuerySet[PortalUpdate]:
    return PortalUpdate.objects.filter(case__in=ended_before(cutoff(days, now))).exclude(body="")


def access_logs_before(days: int, now: datetime) -> datetime:
    """Reads before this instant are pruned: the period's cutoff, held back to the oldest read of
    a case on hold (the chain is pruned from its start, so a held read keeps all after it)."""
    moment = cutoff(days, now)
    oldest_held = (
        AccessLog.objects.filter(case__in=held_cases(), at__lt=moment)
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    return min(moment, oldest_held) if oldest_held else moment


def access_logs_due(days: int, now: datetime) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(at__lt=access_logs_before(days, now))


def feed_records_due(days: int, now: datetime) -> QuerySet[FeedRecord]:
    """Feed records made before the cutoff that no live case needs: on no case, or on one whose
    content is already gone."""
    return (
        FeedRecord.objects.filter(created_at__lt=cutoff(days, now))
        .filter(Q(case__isnull=True) | Q(case__anonymised_at__isnull=False))
        .exclude(case__in=held_cases())
    )


def subject_exports_due(days: int, now: datetime) -> QuerySet[SubjectAccessRequest]:
    """Subject-access files still kept past the exports period. Their own expiry
    (SAR_EXPORT_DAYS, privacy.sar's job) comes first; this is the backstop if that job is off,
    so a file is never counted by both."""
    return SubjectAccessRequest.objects.exclude(export_file="").filter(
        exported_at__lt=cutoff(days, now)
    )


def export_jobs_due(days: int, now: datetime) -> QuerySet[ExportJob]:
    """Background exports still holding their file past the period (dashboards delete them
    after EXPORT_KEEP_HOURS; this is the backstop if that job is off)."""
    return ExportJob.objects.filter(content__isnull=False, created_at__lt=cutoff(days, now))

"""What retention removes in the coming days, for the supervisors' and DPOs' page and the case
panel: counts per category across Lantern (numbers only), the cases the user may see whose content
goes, with the date, and when one case's content is kept until."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from cases.models import Case
from cases.policy import visible_cases
from privacy import retention
from privacy.models import Category

# what each category's count is a number of, in words for the page
UNITS = {
    Category.CASE_CONTENT: "cases",
    Category.CONTACT_DETAILS: "people and reports",
    Category.RECORDINGS: "recordings",
    Category.MESSAGES: "messages",
    Category.ACCESS_LOGS: "reads",
    Category.FEED_RECORDS: "feed records",
    Category.DISCARDED_REPORTS: "cases",
    Category.EXPORTS: "export files",
}


@dataclass(frozen=True)
class DueCase:
    case: Case
    on: date
    category: str


def _count(category: str, days: int, moment: datetime) -> int:
    r = retention
    match category:
        case Category.CASE_CONTENT:
            return r.cases_content_due(days, moment).count()
        case Category.DISCARDED_REPORTS:
            return len(r.discarded_due(days, moment))
        case Category.CONTACT_DETAILS:
            return r.contact_people_due(days, moment).count() + r.senders_due(days, moment).count()
        case Category.RECORDINGS:
            return r.recordings_due(days, moment).count()
        case Category.MESSAGES:
            return sum(
                rows.count()
                for rows in (
                    r.notifications_due(days, moment),
                    r.portal_messages_due(days, moment),
                    r.portal_updates_due(days, moment),
                    r.unrouted_due(days, moment),
                )
            )
        case Category.ACCESS_LOGS:
            return r.access_logs_due(days, moment).count()
        case Category.FEED_RECORDS:
            return r.feed_records_due(days, moment).count()
        case _:
            return (
                r.subject_exports_due(days, moment).count()
                + r.export_jobs_due(days, moment).count()
            )


def due_counts(within_days: int, now: datetime | None = None) -> list[tuple[str, str, int, str]]:
    """(category, its name, count, unit) of what goes by the end of `within_days` days."""
    moment = (now or timezone.now()) + timedelta(days=within_days)
    days = retention.periods()
    return [
        (value, label, _count(value, days[value], moment), UNITS[value])
        for value, label in Category.choices
    ]


def due_cases(user: AbstractBaseUser, within_days: int, now: datetime | None = None) -> list:
    """The cases this user may see whose content goes by then, soonest first."""
    moment = (now or timezone.now()) + timedelta(days=within_days)
    days = retention.periods()
    visible = visible_cases(user)
    content = days[Category.CASE_CONTENT]
    due = [
        DueCase(case, retention.kept_until(case.closed_at, content), Category.CASE_CONTENT)
        for case in retention.cases_content_due(content, moment).filter(pk__in=visible)
    ]
    discarded = days[Category.DISCARDED_REPORTS]
    ids = set(visible.values_list("pk", flat=True))
    due += [
        DueCase(case, retention.kept_until(at, discarded), Category.DISCARDED_REPORTS)
        for case, at in retention.discarded_due(discarded, moment)
        if case.pk in ids
    ]
    return sorted(due, key=lambda row: (row.on, row.case.number))


def case_kept_until(case: Case) -> tuple[str, date | None]:
    """When this case's content goes, in words and as a date (None: not counting yet)."""
    days = retention.periods()
    if case.anonymised_at:
        return "Its content was removed on", timezone.localdate(case.anonymised_at)
    if case.status in retention.ENDED and case.closed_at:
        return "Its content is kept until", retention.kept_until(
            case.closed_at, days[Category.CASE_CONTENT]
        )
    if case.status == Case.Status.DISCARDED:
        since = retention.discarded_at([case]).get(case.pk)
        if since:
            return "Discarded: kept until", retention.kept_until(
                since, days[Category.DISCARDED_REPORTS]
            )
    return f"Kept while it is open, then {days[Category.CASE_CONTENT]} days from closing", None

"""Reads for the live queue socket: whose sessions may watch a helpline's queue right now, and
that queue as it stands. Sync code; the consumer calls it through database_sync_to_async.

The access check runs for every event on every socket (AUTH-07), so it is done for many sessions
at once in a fixed number of queries (four), however many sockets an event fans out to; which
session is whose, and whether it passed the second factor, is accounts.sessions'."""

from __future__ import annotations

from collections.abc import Collection

from django.contrib.auth.models import Permission
from django.db.models import Q

from accounts.models import Organisation, User
from accounts.sessions import verified_users
from cases.models import Case
from cases.policy import visible_cases
from cases.services import case_summary
from notifications.realtime import CaseSummary
from triage.services import PRIORITY_RANK

QUEUE_STATUSES = (Case.Status.NEW, Case.Status.IN_TRIAGE)
SNAPSHOT_LIMIT = 200
WORK_PERMISSION = ("cases", "work_case")


def queue_watcher(session_key: str | None) -> User | None:
    """The user of this session if they may watch their helpline's live queue now, else None."""
    return queue_watchers([session_key]).get(session_key) if session_key else None


def queue_watchers(session_keys: Collection[str]) -> dict[str, User]:
    """Of these sessions, those whose user may watch their helpline's live queue right now: a
    signed-in, active user whose session passed the second factor with a confirmed device of
    their own, who has the work permission in an active helpline (operators and supervisors).

    Read afresh from the session store and the database on every call, never from a socket's
    scope: a logout, a disabled account, a password change, a lost permission or a removed device
    shows at the next check. Nothing is written, so a check never changes a session."""
    users = verified_users(session_keys)
    workers = may_work_cases({user.pk for user in users.values()})
    return {
        key: user for key, user in users.items() if user.pk in workers and _in_active_helpline(user)
    }


def may_work_cases(user_ids: set[int]) -> set[int]:
    """Those with cases.work_case, granted as User.has_perm grants it: directly or through a
    group (being a superuser grants no case permission). Checked against has_perm in tests."""
    if not user_ids:
        return set()
    app_label, codename = WORK_PERMISSION
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    holders = User._default_manager.filter(pk__in=user_ids).filter(
        Q(user_permissions__in=permission) | Q(groups__permissions__in=permission)
    )
    return set(holders.values_list("pk", flat=True))


def _in_active_helpline(user: User) -> bool:
    organisation = user.organisation
    return (
        organisation is not None
        and organisation.is_active
        and organisation.kind == Organisation.Kind.HELPLINE
    )


def queue_snapshot(user: User) -> list[CaseSummary]:
    """The helpline's queue as the live events describe it: new and in-triage cases, most urgent
    then oldest first. Through the access policy, like every other read of cases."""
    cases = (
        visible_cases(user)
        .filter(helpline_id=user.organisation_id, status__in=QUEUE_STATUSES)
        .select_related("claimed_by")
        .order_by(PRIORITY_RANK.asc(), "created_at", "pk")[:SNAPSHOT_LIMIT]
    )
    return [case_summary(case) for case in cases]


def may_watch_case(user: User, number: str) -> bool:
    """Whether the queue may show this case to the user: a sealed case only to those who may read
    it (cases.policy.visible_cases)."""
    return visible_cases(user).filter(number=number).exists()

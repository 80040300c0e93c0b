"""Reads for the live queue socket: whose sessions may watch a helpline's queue right now, and
that queue as it stands. Sync code; the consumer calls it through database_sync_to_async.

The access check runs for every event on every socket (AUTH-07), so it is done for many sessions
at once in a fixed number of queries (four), however many sockets an event fans out to."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Collection
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from accounts.middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from accounts.models import Organisation, User
from cases.models import Case
from cases.policy import visible_cases
from cases.services import case_summary
from notifications.realtime import CaseSummary
from triage.services import PRIORITY_RANK

QUEUE_STATUSES = (Case.Status.NEW, Case.Status.IN_TRIAGE)
SNAPSHOT_LIMIT = 200
WORK_PERMISSION = ("cases", "work_case")


Sessions = dict[str, dict[str, Any]]  # session key -> its data


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
    sessions = _live_sessions({key for key in session_keys if key})
    users = _session_users(sessions)
    users = _second_factor_passed(users, sessions)
    workers = may_work_cases({user.pk for user in users.values()})
    return {
        key: user for key, user in users.items() if user.pk in workers and _in_active_helpline(user)
    }


def _live_sessions(keys: set[str]) -> Sessions:
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store_class, "get_model_class"):  # database-backed: one query for all
        rows = store_class.get_model_class().objects.filter(
            session_key__in=keys, expire_date__gt=timezone.now()
        )
        decoder = store_class()
        found = {row.session_key: decoder.decode(row.session_data) for row in rows}
    else:  # another engine: as it loads a session for a request
        found = {key: store_class(key).load() for key in keys}
    return {key: data for key, data in found.items() if data and not _over_limits(data)}


def _over_limits(data: dict[str, Any]) -> bool:
    now = time.time()
    started = data.get(SESSION_STARTED_KEY, now)
    last_seen = data.get(SESSION_LAST_SEEN_KEY, now)
    return (
        now - last_seen > settings.SESSION_IDLE_SECONDS
        or now - started > settings.SESSION_COOKIE_AGE
    )


def _session_users(sessions: Sessions) -> dict[str, User]:
    """As django.contrib.auth.get_user decides, minus its writes: the user the session's backend
    names, if it may still sign in and the session's hash still matches its password. Only
    ModelBackend sessions (how staff sign in) are understood; any other is refused."""
    wanted: dict[str, Any] = {}
    for key, data in sessions.items():
        backend_path = data.get(BACKEND_SESSION_KEY)
        if backend_path not in settings.AUTHENTICATION_BACKENDS:
            continue
        if not isinstance(load_backend(backend_path), ModelBackend):
            continue
        try:
            wanted[key] = User._meta.pk.to_python(data.get(SESSION_KEY))
        except ValidationError:
            continue
    found = User._default_manager.select_related("organisation").in_bulk(
        {pk for pk in wanted.values() if pk is not None}
    )
    users = {}
    for key, pk in wanted.items():
        user = found.get(pk)
        backend = load_backend(sessions[key][BACKEND_SESSION_KEY])
        if (
            user is not None
            and backend.user_can_authenticate(user)
            and _hash_matches(user, sessions[key].get(HASH_SESSION_KEY))
        ):
            users[key] = user
    return users


def _hash_matches(user: User, session_hash: object) -> bool:
    if not isinstance(session_hash, str) or not session_hash:
        return False
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(session_hash, known) for known in hashes)


def _second_factor_passed(users: dict[str, User], sessions: Sessions) -> dict[str, User]:
    """What django_otp's OTPMiddleware decides for HTTP, which does not run for sockets: the
    session names a confirmed device of this very user. One query per kind of device."""
    named: dict[str, tuple[type[Device], int]] = {}
    for key in users:
        device = _device_named(sessions[key].get(DEVICE_ID_SESSION_KEY))
        if device is not None:
            named[key] = device
    ids_by_model: dict[type[Device], set[int]] = defaultdict(set)
    for model, pk in named.values():
        ids_by_model[model].add(pk)
    owners = {
        (model, pk): user_id
        for model, ids in ids_by_model.items()
        for pk, user_id in model.objects.filter(pk__in=ids, confirmed=True).values_list(
            "pk", "user_id"
        )
    }
    return {key: user for key, user in users.items() if owners.get(named.get(key)) == user.pk}


def _device_named(persistent_id: object) -> tuple[type[Device], int] | None:
    """The device model and id in a persistent id ("otp_totp.totpdevice/7"), or None."""
    if not isinstance(persistent_id, str):
        return None
    label, _, pk = persistent_id.rpartition("/")
    try:
        model = apps.get_model(label)
        return (model, int(pk)) if issubclass(model, Device) else None
    except (LookupError, ValueError):
        return None


def may_work_cases(user_ids: set[int]) -> set[int]:
    """Those with cases.work_case, granted as ModelBackend (the only permission backend) grants
    it: directly, through a group, or as an active superuser. Checked against has_perm in tests."""
    if not user_ids:
        return set()
    app_label, codename = WORK_PERMISSION
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    holders = User._default_manager.filter(pk__in=user_ids).filter(
        Q(is_superuser=True)
        | Q(user_permissions__in=permission)
        | Q(groups__permissions__in=permission)
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

"""Who a WebSocket's session belongs to, decided as the HTTP side decides it for a request.

Channels' AuthMiddlewareStack fills scope["user"] once, at the handshake, and django-otp's
OTPMiddleware is HTTP-only, so a socket cannot trust its scope: every check reads the session
store and the database afresh. A logout, a disabled account, a password change or a removed
device shows at the next check. Nothing is written, so a check never changes a session.

Done for many sessions at once in a fixed number of queries, however many sockets ask: one event
can reach every socket of a helpline, and each must be checked before it is sent."""

from __future__ import annotations

import functools
import time
from collections import defaultdict
from collections.abc import Collection
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from accounts.middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from accounts.models import User

Sessions = dict[str, dict[str, Any]]  # session key -> its data


def verified_users(session_keys: Collection[str]) -> dict[str, User]:
    """Of these sessions, those of a signed-in, active user, within the session's idle and
    absolute limits, that passed the second factor with a confirmed device of the user's own;
    each with its user (organisation loaded). What the user may then watch is the caller's."""
    sessions = _live_sessions({key for key in session_keys if key})
    return _second_factor_passed(_session_users(sessions), sessions)


def _live_sessions(keys: set[str]) -> Sessions:
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store_class, "get_model_class"):  # database-backed: one query for all
        rows = store_class.get_model_class().objects.filter(
            session_key__in=keys, expire_date__gt=timezone.now()
        )
        found = {
            key: _decoded(store_class, data, settings.SECRET_KEY)
            for key, data in rows.values_list("session_key", "session_data")
        }
    else:  # another engine: as it loads a session for a request
        found = {key: store_class(key).load() for key in keys}
    return {key: data for key, data in found.items() if data and not _over_limits(data)}


@functools.lru_cache(maxsize=4096)
def _decode_once(store_class: type, data: str, secret_key: str) -> dict[str, Any]:
    return store_class().decode(data)


def _decoded(store_class: type, data: str, secret_key: str) -> dict[str, Any]:
    """A session row's data decoded, remembered by its exact text (and the key that signs it):
    every check re-reads the rows, but a socket's session rarely changes between two checks, so
    its signature need not be verified and its JSON parsed again. A copy: callers may change it."""
    return dict(_decode_once(store_class, data, secret_key))


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

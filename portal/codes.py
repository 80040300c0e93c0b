"""One-time sign-in codes for the portal, and the two writes of signing in: sending a code to the
victim's safe way of contact, and trying what they typed.

A code is 128 bits from the operating system's CSPRNG (SECURITY AUTH-09, ASVS 11.5.1: not a UUID),
written in base32 (A-Z, 2-7: no 0/O or 1/I to mix up) and shown in groups of four. Only its keyed
hash is stored (project.crypto.blind_index): someone who reads the database cannot sign in with
it. It works once, for PORTAL_CODE_MINUTES, and a new code ends the earlier ones.

Every refusal looks the same to the person at the screen (ASVS 6.3.8): wrong, expired, used,
another case's code, a locked or ended access and an unknown reference are one answer, so nobody
can learn from the portal whether a reference is a real case."""

from __future__ import annotations

import base64
import enum
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cases.moves import lock_case
from notifications.models import Notification
from portal import duress
from portal.models import PortalAccess, SignInCode, UpdateType
from portal.notices import send_notice
from portal.rules import is_locked, may_sign_in
from project.crypto import blind_index
from project.history import attribute_change

security_log = logging.getLogger("lantern.security")

CODE_BYTES = 16  # 128 bits
CODE_LENGTH = 26  # base32 of 16 bytes, without the "=" padding
GROUP = 4
SIGN_IN_CODE_TYPE = "sign_in_code"
# failed_attempts is a small integer; past this it stops counting (the lock is what matters).
MOST_ATTEMPTS = 1000


# The code itself ------------------------------------------------------------------------------


def new_code() -> str:
    """A fresh code, normalised: 26 characters of A-Z and 2-7."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")


def grouped(code: str) -> str:
    """How the victim reads it: ABCD-EFGH-...; easier to copy from a text message by eye."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(typed: str) -> str:
    """What the victim typed, as the code is kept: upper case, no spaces or hyphens (a code pasted
    with its grouping, or read out and typed in lower case, still works). The duress code is
    compared in the same shape."""
    return duress.normalise(typed)


def code_index(typed: str) -> str:
    # The prefix keeps these hashes apart from any other blind index made with the same key.
    return blind_index(f"portal-sign-in-code:{normalise(typed)}")


# The case reference ---------------------------------------------------------------------------

_PARTS = re.compile(r"[A-Za-z0-9]+")
_RUN_TOGETHER = re.compile(r"^([A-Z]+)(\d{4})(\d{6,})$")


def normalise_reference(typed: str) -> str:
    """A case reference as the victim may type it ("lnt 2026 000123", " LNT-2026-000123 ",
    "LNT2026000123") in the form case numbers have (cases.numbering: PREFIX-YEAR-NNNNNN)."""
    parts = _PARTS.findall(typed.upper())
    if len(parts) == 1 and (match := _RUN_TOGETHER.match(parts[0])):
        parts = list(match.groups())
    return "-".join(parts)


def reference_key(reference: str) -> str:
    """What stands for a reference where a key is needed (the rate limit): a keyed hash, so a
    reference never sits in the cache."""
    return blind_index(f"portal-reference:{normalise_reference(reference)}")


def access_for(reference: str) -> PortalAccess | None:
    """The portal access of the case with this reference, if there is one."""
    number = normalise_reference(reference)
    if not number:
        return None
    return PortalAccess.objects.filter(case__number=number).first()


# Sending a code -------------------------------------------------------------------------------


@transaction.atomic
def send_code(*, reference: str) -> SignInCode | None:
    """Send a new code to the victim of the case with this reference, by the first way of contact
    their safe-contact answers allow now (never held for later: a code is no use later), and end
    their earlier unused codes. Nothing at all when the reference is unknown, or the access is
    ended or locked. Locks the access row, so two requests at once leave one live code."""
    access = access_for(reference)
    if access is None:
        return None
    # The case first, then the access: the order staff's invite and revoke take them in.
    lock_case(access.case)
    access = PortalAccess.objects.select_for_update().select_related("case").get(pk=access.pk)
    now = timezone.now()
    if not may_sign_in(access, now) or is_locked(access, now):
        security_log.info("portal_code_not_sent", extra={"access_id": access.pk})
        return None
    update_type = UpdateType.objects.filter(code=SIGN_IN_CODE_TYPE).first()
    if update_type is None:  # removed by an admin: nothing can carry the code
        security_log.warning("portal_code_type_missing")
        return None
    _end_live_codes(access, now)
    code = new_code()
    notice = send_notice(
        case=access.case,
        update_type=update_type,
        automated=False,
        values={"code": grouped(code), "minutes": str(settings.PORTAL_CODE_MINUTES)},
        now_only=True,
    )
    if notice is None or notice.status == Notification.Status.SUPPRESSED:
        # No safe way to reach them now: no code is kept, so none can be used.
        security_log.info("portal_code_suppressed", extra={"access_id": access.pk})
        return None
    row = SignInCode.objects.create(
        access=access,
        code_index=code_index(code),
        channel=notice.channel,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.PORTAL_CODE_MINUTES),
        notification=notice,
    )
    security_log.info("portal_code_sent", extra={"access_id": access.pk, "code_id": row.pk})
    return row


def _end_live_codes(access: PortalAccess, now: datetime) -> None:
    # SignInCode keeps no history: a plain update is the whole change.
    SignInCode.objects.filter(access=access, used_at=None, expires_at__gt=now).update(
        expires_at=now
    )


# Trying a code --------------------------------------------------------------------------------


class Outcome(enum.Enum):
    SIGNED_IN = "signed_in"
    DECOY = "decoy"  # the duress code: the harmless page, supervisors told
    REFUSED = "refused"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    access: PortalAccess | None = None


REFUSED = Attempt(Outcome.REFUSED)


@transaction.atomic
def try_code(*, reference: str, typed: str) -> Attempt:
    """Check what the victim typed at the second step. A live code of this access signs them in
    (used once, wrong tries reset); their duress code signs in to the decoy and tells the case's
    supervisors; anything else counts as a wrong try and, at PORTAL_LOCK_AFTER, locks the access
    for PORTAL_LOCK_MINUTES, when even the right code fails. Locks the access row first, so two
    tries at once are judged one after the other: one code signs in once, and no wrong try goes
    uncounted."""
    found = access_for(reference)
    if found is None:
        duress.take_the_time(typed)
        return REFUSED
    lock_case(found.case)  # the case first, then the access, as staff take them
    access = PortalAccess.objects.select_for_update().select_related("case").get(pk=found.pk)
    now = timezone.now()
    if not may_sign_in(access, now) or is_locked(access, now):
        # Every answer is the same refusal now, but the duress code still raises the alarm:
        # someone fumbling may have locked the access before making the victim type it.
        if duress.matches(access, typed):
            duress.raise_alarm(access)
        _count_wrong_try(access, now)
        return REFUSED
    code = (
        SignInCode.objects.select_for_update()
        .filter(access=access, code_index=code_index(typed), used_at=None, expires_at__gt=now)
        .first()
    )
    if code is not None:
        code.used_at = now
        code.save(update_fields=["used_at"])
        _signed_in(access, now)
        security_log.info("portal_signed_in", extra={"access_id": access.pk, "code_id": code.pk})
        return Attempt(Outcome.SIGNED_IN, access)
    if duress.matches(access, typed):
        # Someone may be making them sign in: the codes we sent cannot open the real pages now.
        _end_live_codes(access, now)
        duress.raise_alarm(access)
        return Attempt(Outcome.DECOY, access)
    _count_wrong_try(access, now)
    return REFUSED


def _signed_in(access: PortalAccess, now: datetime) -> None:
    fields = ["failed_attempts", "last_signed_in_at"]
    access.failed_attempts = 0
    access.last_signed_in_at = now
    if access.locked_until is not None:
        access.locked_until = None
        fields.append("locked_until")
    attribute_change(access, actor=None, reason="Signed in to the portal")
    access.save(update_fields=fields)


def _count_wrong_try(access: PortalAccess, now: datetime) -> None:
    access.failed_attempts = min(access.failed_attempts + 1, MOST_ATTEMPTS)
    fields = ["failed_attempts"]
    reason = "A wrong sign-in code"
    if access.failed_attempts >= settings.PORTAL_LOCK_AFTER and not is_locked(access, now):
        access.locked_until = now + timedelta(minutes=settings.PORTAL_LOCK_MINUTES)
        fields.append("locked_until")
        reason = f"Locked after {access.failed_attempts} wrong sign-in codes"
        security_log.warning(
            "portal_access_locked",
            extra={"access_id": access.pk, "attempts": access.failed_attempts},
        )
    attribute_change(access, actor=None, reason=reason)
    access.save(update_fields=fields)

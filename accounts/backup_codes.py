"""Backup codes for a lost phone (SECURITY AUTH-03, ASVS 6.5.1/6.5.2): single use, shown once,
stored hashed.

A code reads `abcd-efgh-jkmn-pqrs`. Its first group only finds the row (stored as it is, it says
nothing of the rest); the other twelve characters (60 bits) are kept as a password hash, so a
sign-in checks one hash, not one per code, and a copy of the database gives no usable code."""

from __future__ import annotations

import logging
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import BackupCode, BackupCodeDevice, User
from project.history import attribute_change

security_log = logging.getLogger("lantern.security")

CODES_PER_SET = 10
# Lower-case letters and digits that cannot be mistaken for one another when read aloud or typed.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUPS, GROUP_LENGTH = 4, 4


def _group() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH))


def normalise(typed: str) -> str:
    """What the person typed, without spaces, dashes or capitals."""
    return "".join(ch for ch in typed.lower() if ch.isalnum())


@transaction.atomic
def new_codes(*, user: User) -> list[str]:
    """A fresh set of codes for the user, replacing any earlier set (those stop working at once).
    Returned once for the person to write down; only their hashes are kept."""
    device, _ = BackupCodeDevice.objects.select_for_update().get_or_create(
        user=user, defaults={"name": "backup", "confirmed": True}
    )
    device.codes.all().delete()
    codes, lookups = [], set()
    while len(codes) < CODES_PER_SET:
        lookup = _group()
        if lookup in lookups:
            continue
        lookups.add(lookup)
        secret = "".join(_group() for _ in range(GROUPS - 1))
        BackupCode.objects.create(device=device, lookup=lookup, digest=make_password(secret))
        codes.append("-".join([lookup, *(secret[i : i + 4] for i in range(0, len(secret), 4))]))
    attribute_change(user, actor=user, reason="Backup codes made")
    user.save(update_fields=["last_login"])  # a history row saying when, never the codes
    security_log.info("backup_codes_made", extra={"user_id": user.pk, "device_id": device.pk})
    return codes


def codes_left(user: User) -> int:
    return BackupCode.objects.filter(device__user=user, used_at__isnull=True).count()


def use_code(device: BackupCodeDevice, typed: str) -> bool:
    """Spend a code of this device: True once for each right code, never again."""
    code = normalise(typed)
    if len(code) != GROUPS * GROUP_LENGTH:
        return False
    row = device.codes.filter(lookup=code[:GROUP_LENGTH], used_at__isnull=True).first()
    if row is None or not check_password(code[GROUP_LENGTH:], row.digest):
        return False
    # conditional, so two sign-ins racing with one code cannot both spend it
    spent = BackupCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if spent:
        security_log.warning(
            "backup_code_used",
            extra={"user_id": device.user_id, "device_id": device.pk, "left": _left(device)},
        )
    return bool(spent)


def _left(device: BackupCodeDevice) -> int:
    return device.codes.filter(used_at__isnull=True).count()

"""Backup codes for a lost phone (issue 11 item 13, SECURITY AUTH-03): stored hashed, single use,
shown once, a new set replaces the old, and the sign-in's second step takes one."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken

from accounts.backup_codes import CODES_PER_SET, normalise
from accounts.models import BackupCode
from accounts.services import reset_second_factor
from tests.accounts.test_login import LOGIN, password_step

pytestmark = pytest.mark.django_db

PAGE = "/accounts/backup-codes/"
CODE = re.compile(r"\b[a-z2-9]{4}(?:-[a-z2-9]{4}){3}\b")


def make_codes(client: Client) -> list[str]:
    answer = client.post(PAGE)
    assert answer.status_code == 200
    assert "no-store" in answer["Cache-Control"]
    return CODE.findall(answer.content.decode())


def backup_step(client: Client, username: str, code: str):
    password_step(client, username)
    client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    return client.post(LOGIN, {"login_view-current_step": "backup", "backup-otp_token": code})


def signed_in(client: Client) -> bool:
    return client.get("/cases/").status_code == 200


def test_codes_are_shown_once_and_stored_only_hashed(operator, otp_client) -> None:
    client = otp_client(operator)
    assert "You have no backup codes" in client.get(PAGE).content.decode()

    codes = make_codes(client)

    assert len(set(codes)) == CODES_PER_SET
    # shown on that answer only: the page afterwards counts them, never shows them
    later = client.get(PAGE).content.decode()
    assert not CODE.search(later)
    assert f"You have {CODES_PER_SET} unused backup codes" in later
    # no row anywhere holds a code or its secret part (the first group only finds the row)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_backupcode")
        raw = repr(cursor.fetchall())
    for code in codes:
        secret = normalise(code)[4:]
        assert secret not in raw
        assert code not in raw
    assert not StaticToken.objects.exists()  # not django-otp's plain-text tokens


def test_a_backup_code_signs_in_once(operator, otp_client, caplog) -> None:
    codes = make_codes(otp_client(operator))

    first = Client()
    with caplog.at_level(logging.INFO, logger="lantern.security"):
        answer = backup_step(first, operator.username, codes[3].upper().replace("-", " "))
    assert answer.status_code == 302
    assert signed_in(first)
    used = [r for r in caplog.records if r.getMessage() == "backup_code_used"]
    assert [(r.user_id, r.left) for r in used] == [(operator.pk, CODES_PER_SET - 1)]
    assert codes[3] not in repr(used[0].__dict__)

    again = Client()
    with caplog.at_level(logging.INFO, logger="lantern.security"):
        refused = backup_step(again, operator.username, codes[3])
    assert refused.status_code == 200
    assert not signed_in(again)
    assert any(
        (r.getMessage(), getattr(r, "step", None)) == ("second_factor_refused", "backup")
        for r in caplog.records
    )


def test_a_new_set_replaces_the_old(operator, otp_client) -> None:
    client = otp_client(operator)
    old = make_codes(client)
    new = make_codes(client)
    assert not set(old) & set(new)
    assert not signed_in_with(operator, old[0])
    # after the refusal's throttle (OTP_TOTP_THROTTLE_FACTOR seconds, doubling) has passed
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        assert signed_in_with(operator, new[0])
    assert BackupCode.objects.filter(device__user=operator).count() == CODES_PER_SET


def signed_in_with(user, code: str) -> bool:
    client = Client()
    backup_step(client, user.username, code)
    return signed_in(client)


def test_codes_are_only_made_by_a_verified_member_of_staff(operator, password_only_client) -> None:
    answer = password_only_client(operator).post(PAGE)
    assert answer.status_code == 302
    assert not BackupCode.objects.exists()


def test_a_second_factor_reset_removes_the_codes(operator, admin_user, otp_client) -> None:
    code = make_codes(otp_client(operator))[0]
    reset_second_factor(users=[operator], actor=admin_user)
    assert not BackupCode.objects.exists()
    assert not signed_in_with(operator, code)


def test_the_sign_in_offers_backup_codes(client, operator) -> None:
    html = password_step(client, operator.username).content.decode()
    assert 'name="wizard_goto_step" type="submit" value="backup"' in html
    backup = client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    assert 'name="backup-otp_token"' in backup.content.decode()

"""Lock-out per username from all addresses, and the admin's unlock (issue 11 item 4, SECURITY
AUTH-02): guessing spread over many addresses (or forged ones) is stopped too, and an admin can
let the person back in at once."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.accounts.test_login import password_step
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_USERNAME_FAILURE_LIMIT = 8


def guess_from_many_addresses(username: str, times: int, forwarded: bool = False) -> None:
    for n in range(times):
        address = f"198.51.100.{n + 1}"
        extra = (
            {"REMOTE_ADDR": "203.0.113.1", "HTTP_X_FORWARDED_FOR": address}
            if forwarded
            else {"REMOTE_ADDR": address}
        )
        password_step(Client(), username, "wrong password", **extra)


def signs_in(username: str, address: str = "192.0.2.50") -> bool:
    answer = password_step(Client(), username, REMOTE_ADDR=address)
    return answer.status_code == 200 and 'name="token-otp_token"' in answer.content.decode()


def test_failures_from_many_addresses_lock_the_username_everywhere(helpline, caplog) -> None:
    target = StaffFactory(organisation=helpline)
    colleague = StaffFactory(organisation=helpline)

    with caplog.at_level(logging.INFO, logger="lantern.security"):
        # one failure from each address: never the per-address limit, always the same person
        guess_from_many_addresses(target.username, 8)

    locked = password_step(Client(), target.username, REMOTE_ADDR="192.0.2.50")
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert signs_in(colleague.username)
    # the lock-out is a security log line naming the account by id only
    lines = [r for r in caplog.records if r.name == "lantern.security"]
    assert lines
    for line in lines:
        assert (line.getMessage(), line.user_id) == ("sign_in_locked", target.pk)
        assert target.username not in repr(line.__dict__)
        assert "198.51.100." not in repr(line.__dict__)


def test_under_the_username_cap_nobody_is_locked(helpline) -> None:
    target = StaffFactory(organisation=helpline)
    guess_from_many_addresses(target.username, 7)
    assert signs_in(target.username)


def test_a_forged_forwarded_header_does_not_escape_the_cap(helpline) -> None:
    target = StaffFactory(organisation=helpline)
    guess_from_many_addresses(target.username, 8, forwarded=True)
    assert not signs_in(target.username, address="192.0.2.77")


def test_an_admin_unlocks_their_own_staff_at_once(helpline, otp_client) -> None:
    target = StaffFactory(organisation=helpline)
    admin_user = StaffFactory(organisation=helpline, role="admin")
    guess_from_many_addresses(target.username, 8)
    assert not signs_in(target.username)

    answer = otp_client(admin_user).post(
        "/admin/accounts/user/",
        {"action": "unlock_sign_in_action", "_selected_action": [target.pk]},
    )

    assert answer.status_code == 302
    assert signs_in(target.username)

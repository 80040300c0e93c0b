"""The management commands of CONTRACT.md."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, User
from cases.models import Case
from referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_create_org_and_staff(capsys) -> None:
    call_command("create_org", "east-line", name="East Line", kind="helpline")
    org = Organisation.objects.get(slug="east-line")
    assert (org.name, org.kind) == ("East Line", "helpline")

    call_command(
        "create_staff",
        "zainab",
        org="east-line",
        role="supervisor",
        password="a made-up passphrase",
        email="zainab@lantern.invalid",
    )
    out = capsys.readouterr().out
    user = User.objects.get(username="zainab")
    assert out.strip().splitlines()[-1].startswith("otpauth://totp/")
    assert user.role == "supervisor"
    assert user.has_perm("cases.supervise_case")
    assert not user.has_perm("referrals.log_service")
    assert TOTPDevice.objects.get(user=user).confirmed


def test_create_staff_refuses_bad_input_and_stores_nothing() -> None:
    call_command("create_org", "east-line", name="East Line", kind="helpline")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_staff", "x", org="east-line", role="operator", password="short")
    with pytest.raises(CommandError, match="does not belong"):
        call_command(
            "create_staff", "y", org="east-line", role="cso_rep", password="a made-up passphrase"
        )
    with pytest.raises(CommandError, match="No organisation"):
        call_command("create_staff", "z", org="nowhere", role="operator", password="a made-up one!")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_org", "east-line", name="Again", kind="helpline")
    assert not User.objects.exists()


def test_seed_demo_is_idempotent(capsys) -> None:
    call_command("seed_demo")
    counts = (Organisation.objects.count(), User.objects.count(), Case.objects.count())
    call_command("seed_demo")
    assert (Organisation.objects.count(), User.objects.count(), Case.objects.count()) == counts
    out = capsys.readouterr().out
    assert "operator" in out
    assert "TOTP secret" in out
    assert counts == (4, 5, 5)
    # the CSO demo login has a referral to answer
    assert Referral.objects.filter(organisation__slug="safe-haven", status="pending").count() == 1


def test_resetting_the_second_factor_sends_the_person_back_to_enrolment(
    operator, admin_user, otp_client
) -> None:
    from accounts.services import reset_second_factor

    client = otp_client(operator)
    assert reset_second_factor(users=[operator], actor=admin_user) == 1
    assert not TOTPDevice.objects.filter(user=operator).exists()
    assert operator.history.latest().history_change_reason == "Two-step sign-in reset"
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two_factor/setup/"


def test_revoke_token_ends_a_persons_api_tokens(operator, capsys) -> None:
    from rest_framework.test import APIClient

    call_command("issue_token", operator.username)
    token = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/organisations/").status_code == 200

    call_command("revoke_token", operator.username)

    assert capsys.readouterr().out.strip() == f"Revoked 1 token(s) of {operator.username}."
    assert client.get("/api/v1/organisations/").status_code == 401
    with pytest.raises(CommandError, match="No user"):
        call_command("revoke_token", "nobody")

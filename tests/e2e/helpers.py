"""Small helpers browser journeys share; the fixtures that use them are in conftest.py."""

from __future__ import annotations

import base64

from django_otp.oath import totp
from playwright.sync_api import BrowserContext, Page, expect

from tests.factories import TEST_PASSWORD


def key_from_secret(secret: str) -> bytes:
    """The raw TOTP key behind the base32 secret the setup page shows (unpadded, maybe spaced)."""
    secret = "".join(secret.split()).upper()
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def totp_code(key: bytes, drift: int = 0) -> str:
    """The six digits an authenticator app holding this key shows now (or `drift` steps away)."""
    return f"{totp(key, drift=drift):06d}"


def wrong_code(key: bytes) -> str:
    """Six digits the server refuses: none of the codes its clock-drift tolerance would accept."""
    near = {totp_code(key, drift) for drift in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def submit_password(page: Page, username: str, password: str = TEST_PASSWORD) -> None:
    """The first sign-in step, from the login page."""
    page.goto("/accounts/login/")
    page.fill("[name='auth-username']", username)
    page.fill("[name='auth-password']", password)
    page.get_by_role("button", name="Continue").click()


def csp_violations(messages: list[str]) -> list[str]:
    """The browser errors that are Content Security Policy refusals (Chromium names the policy)."""
    return [m for m in messages if "Content Security Policy" in m]


def signed_in_tab(context: BrowserContext, user) -> tuple[Page, list[str]]:  # type: ignore[no-untyped-def]
    """A new tab of `context` signed in as `user` (password and authenticator code), with the
    console errors it logs from then on."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    submit_password(tab, user.username)
    tab.fill("[name='token-otp_token']", totp_code(TOTPDevice.objects.get(user=user).bin_key))
    tab.press("[name='token-otp_token']", "Enter")
    # signed in: the sign-out form is there (folded into the menu on a phone)
    expect(tab.locator("form[action='/accounts/logout/']")).to_be_attached()
    return tab, errors

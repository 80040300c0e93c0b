"""Password reset (SECURITY AUTH-08): limited per address and per account, and the same work for
a known and an unknown email while the request is answered.

The request only checks the limits and hands the email to a Celery task; whether anyone has that
email is looked up by the worker, which queues the link through the outbox. So the answer, and
how long it takes, are the same whoever asks about whom."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest
from django.template import loader
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_ratelimit.core import is_ratelimited

security_log = logging.getLogger("lantern.security")
logger = logging.getLogger(__name__)

SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
EMAIL_TEMPLATE = "registration/password_reset_email.html"


def _account_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


def over_limit(request: HttpRequest) -> bool:
    """Count this request against both limits; True if either is passed. Fails open without a
    cache (RATELIMIT_FAIL_OPEN): a reset link still needs the mailbox and the second factor."""
    by_address = is_ratelimited(
        request,
        group="password_reset.address",
        key="ip",
        rate=settings.PASSWORD_RESET_ADDRESS_RATE,
        increment=True,
    )
    by_account = is_ratelimited(
        request,
        group="password_reset.account",
        key=_account_key,
        rate=settings.PASSWORD_RESET_ACCOUNT_RATE,
        increment=True,
    )
    if by_address or by_account:
        security_log.warning(
            "password_reset_limited", extra={"by_address": by_address, "by_account": by_account}
        )
    return by_address or by_account


def request_reset(email: str) -> None:
    """Hand the email to the worker. Nothing here depends on whether it belongs to anyone."""
    from accounts.tasks import send_password_reset

    try:
        send_password_reset.delay(email)
    except Exception:  # the broker is down: the person asks again; nothing is said either way
        logger.warning("password_reset_publish_failed")


def send_reset_links(*, email: str) -> int:
    """In the worker: a reset link to each active member of staff with this email, through the
    outbox. Returns how many were queued."""
    from notifications.services import email_staff

    base = settings.PUBLIC_BASE_URL
    protocol, _, domain = base.partition("://")
    sent = 0
    for user in PasswordResetForm().get_users(email):
        context = {
            "email": user.email,
            "domain": domain,
            "site_name": "Lantern",
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "user": user,
            "token": default_token_generator.make_token(user),
            "protocol": protocol,
        }
        subject = "".join(loader.render_to_string(SUBJECT_TEMPLATE, context).splitlines())
        text = loader.render_to_string(EMAIL_TEMPLATE, context)
        if email_staff(user=user, kind="account.password_reset", subject=subject, text=text):
            sent += 1
    return sent

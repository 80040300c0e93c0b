"""Every write to organisations, staff and their credentials."""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken, BackupCodeDevice, Organisation, User
from accounts.roles import ROLE_PERMISSIONS, ROLES_BY_KIND
from project.history import attribute_change

security_log = logging.getLogger("lantern.security")


class AccountError(Exception):
    """A request about organisations or staff that cannot be carried out as asked."""


def sync_role_groups() -> None:
    """Make each role's group hold exactly the role's permissions (run after every migrate)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for name in names:
            app_label, codename = name.split(".")
            perms.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(perms)


@transaction.atomic
def create_organisation(
    *, slug: str, name: str, kind: str, actor: User | None = None
) -> Organisation:
    if kind not in Organisation.Kind.values:
        raise AccountError(
            f"Unknown kind {kind!r}: use one of {', '.join(Organisation.Kind.values)}."
        )
    if Organisation.objects.filter(slug=slug).exists():
        raise AccountError(f"An organisation with the slug {slug!r} already exists.")
    organisation = Organisation(slug=slug, name=name, kind=kind)
    organisation.full_clean()
    attribute_change(organisation, actor=actor, reason="Organisation created")
    organisation.save()
    return organisation


@transaction.atomic
def set_role(*, user: User, role: str, actor: User | None = None) -> None:
    """Give a user a role: the role field, the role's group, and admin-site access for admins."""
    if role not in User.Role.values:
        raise AccountError(f"Unknown role {role!r}: use one of {', '.join(User.Role.values)}.")
    if user.organisation and role not in ROLES_BY_KIND[user.organisation.kind]:
        raise AccountError(
            f"The role {role} does not belong in a {user.organisation.get_kind_display().lower()}."
        )
    user.role = role
    user.is_staff = role == User.Role.ADMIN
    attribute_change(user, actor=actor, reason=f"Role set to {role}")
    user.save(update_fields=["role", "is_staff"])
    user.groups.set([Group.objects.get(name=role)])


@transaction.atomic
def create_staff(
    *,
    username: str,
    organisation: Organisation,
    role: str,
    password: str,
    email: str = "",
    phone: str = "",
    actor: User | None = None,
) -> tuple[User, TOTPDevice]:
    """Create a member of staff with a confirmed TOTP device; returns both (the device's
    `config_url` is the otpauth:// URI to give the person, once)."""
    if User.objects.filter(username=username).exists():
        raise AccountError(f"The username {username!r} is taken.")
    user = User(username=username, email=email, phone=phone, organisation=organisation)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password", "role"])
    attribute_change(user, actor=actor, reason="Staff member created")
    user.save()
    set_role(user=user, role=role, actor=actor)
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user, device


@transaction.atomic
def reset_second_factor(*, users: list[User], actor: User) -> int:
    """Remove the users' OTP devices and backup codes (a lost phone); they enrol again at their
    next sign-in, and their open sessions end, since a session's verification named the removed
    device. Returns how many authenticator devices were removed."""
    deleted, _ = TOTPDevice.objects.filter(user__in=users).delete()
    BackupCodeDevice.objects.filter(user__in=users).delete()
    for user in users:
        attribute_change(user, actor=actor, reason="Two-step sign-in reset")
        user.save(update_fields=["last_login"])  # a history row saying who reset it and when
    return deleted


@transaction.atomic
def issue_api_token(*, user: User) -> str:
    """Create an API token and return it; only its digest is kept, so it cannot be shown again."""
    if not user.is_active:
        raise AccountError("Tokens are only issued to active staff.")
    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, digest=token_digest(token))
    return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def revoke_api_tokens(*, tokens: list[ApiToken], actor: User | None = None) -> int:
    """Stop these tokens working at once; the rows stay, to show when each was revoked.
    Returns how many were still live."""
    live = ApiToken.objects.filter(pk__in=[t.pk for t in tokens], revoked_at__isnull=True)
    ids = list(live.values_list("pk", flat=True))
    live.update(revoked_at=timezone.now())
    for token_id in ids:
        security_log.info(
            "api_token_revoked",
            extra={"token_id": token_id, "actor_id": actor.pk if actor else None},
        )
    return len(ids)


def set_on_duty(*, user: User, on_duty: bool) -> None:
    """Staff say they are on (or off) duty: new-report alerts, and the email or SMS alerts they
    asked for only while on duty, follow it. Kept in the user's history, who and when."""
    if user.on_duty == on_duty:
        return
    user.on_duty = on_duty
    attribute_change(user, actor=user, reason="On duty" if on_duty else "Off duty")
    user.save(update_fields=["on_duty"])

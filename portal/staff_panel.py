"""The victim portal's section on the case page (cases.panels): the portal's state in words, what
the latest invitation became, and what staff can do (invite, revoke, unlock; reply in the portal,
send an update, send a help article). Only for those who may change the case: monitors and CSOs
only looking at it see nothing of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.forms import Form
from django.http import HttpRequest
from django.utils import timezone

from cases.panels import Panel
from cases.policy import can_change_case
from notifications.selectors import status_in_words
from portal.invitations import accepted, latest_invitation
from portal.models import PortalAccess
from portal.rules import is_locked, may_sign_in
from portal.staff_forms import ArticleForm, ReplyForm, RevokeForm, UpdateForm


@dataclass(frozen=True)
class StateLine:
    label: str
    words: str
    at: datetime | None = None  # shown after the words, as a <time>
    warning: bool = False


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def state_lines(access: PortalAccess | None, now: datetime) -> list[StateLine]:
    """The access in words, the way staff ask about it: were they invited, have they been in,
    can they get in now."""
    if access is None:
        return [StateLine("Access", "Not invited")]
    invited = "Invited" if access.invitations_sent else "Access made, no invitation written"
    if access.invitations_sent:
        invited += f" ({_times(access.invitations_sent)}), first on"
    lines = [StateLine("Invited", invited, at=access.invited_at)]
    if access.last_signed_in_at:
        lines.append(StateLine("Signed in", "Last signed in", at=access.last_signed_in_at))
    else:
        lines.append(StateLine("Signed in", "Has not signed in yet"))
    if access.status == PortalAccess.Status.REVOKED:
        by = access.revoked_by.get_username() if access.revoked_by else "someone"
        lines.append(StateLine("Access", f"Revoked by {by} on", at=access.revoked_at, warning=True))
    elif not may_sign_in(access, now):
        lines.append(
            StateLine("Access", "Ended: the case no longer lets anyone sign in", warning=True)
        )
    elif is_locked(access, now):
        lines.append(
            StateLine("Access", "Sign-in locked after wrong codes, until", at=access.locked_until,
                      warning=True)
        )  # fmt: skip
    else:
        lines.append(StateLine("Access", "Active: they can sign in"))
    return lines


def context(request: HttpRequest, case: Any) -> dict[str, Any] | None:
    user = request.user
    if not can_change_case(user, case):
        return None
    now = timezone.now()
    access = PortalAccess.objects.select_related("revoked_by").filter(case=case).first()
    if access is not None:
        access.case = case
    invitation = latest_invitation(case)
    open_now = access is not None and may_sign_in(access, now)
    return {
        "accepted": accepted(case),
        "access": access,
        "lines": state_lines(access, now),
        "invitation": status_in_words(invitation, now) if invitation else "",
        "invitation_at": invitation.created_at if invitation else None,
        "invite_label": _invite_label(access),
        "revoke_form": RevokeForm() if open_now else None,
        "may_unlock": open_now and is_locked(access, now),
        "reply_form": ReplyForm() if open_now else None,
        "update_form": _with_choices(UpdateForm(), "update_type"),
        "article_form": _with_choices(ArticleForm(), "article"),
    }


def _with_choices(form: Form, name: str) -> Form | None:
    """The form, or None when its list has nothing to choose. The choices are fetched once and the
    form renders that list (was: one query to ask whether there are any, another to render them);
    posting it checks the choice against the database again, as ever."""
    field = form.fields[name]
    choices = [*iter(field.choices)]  # type: ignore[attr-defined]  # list() would COUNT first
    if len(choices) <= 1:  # only "Choose ..."
        return None
    field.widget.choices = choices  # type: ignore[attr-defined]
    return form


def _invite_label(access: PortalAccess | None) -> str:
    if access is None:
        return "Invite to the portal"
    if access.status == PortalAccess.Status.REVOKED:
        return "Invite again"
    return "Send the invitation again"


PANEL = Panel(name="portal", template="portal/staff/panel.html", context=context)

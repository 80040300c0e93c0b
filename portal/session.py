"""The portal's sign-in, kept in the Django session (never in a URL): which access and case it is
for, whether it is the decoy opened by a duress code, and when it was last used. The cookie ends
with the browser; the session ends after PORTAL_IDLE_MINUTES without a request, when the access
ends (portal.rules) and at sign-out or "Leave this site", which flush it on the server."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache

from accounts.access import public
from portal.models import PortalAccess
from portal.rules import may_sign_in
from project.crypto import fernet

KEY = "portal"
# Words a victim sent after the idle time had ended their session, kept for them (sealed), and
# the note the sign-in page shows once about it.
DRAFT_KEY = "portal_unsent"
SIGNED_OUT_KEY = "portal_idle_signed_out"
MAX_DRAFT = 2000
# Refresh the idle clock at most this often, rather than writing the session on every request.
TOUCH_EVERY = 30


@dataclass(frozen=True)
class Visitor:
    """Who is signed in to the portal. `decoy`: signed in with the duress code; every page shows
    the harmless decoy and nothing real is read or written."""

    access: PortalAccess
    decoy: bool

    @property
    def case(self):  # noqa: ANN201
        return self.access.case


def start(request: HttpRequest, access: PortalAccess, *, decoy: bool = False) -> None:
    """Sign in: a new session key (no fixation), a cookie that ends with the browser."""
    request.session.cycle_key()
    now = time.time()
    request.session[KEY] = {"access": access.pk, "decoy": decoy, "seen": now}
    request.session.set_expiry(0)


def end(request: HttpRequest) -> None:
    request.session.flush()


def current(request: HttpRequest) -> Visitor | None:
    """The signed-in visitor, or None (never signed in, idle too long, or access ended, in which
    case the session is flushed)."""
    data = request.session.get(KEY)
    if not isinstance(data, dict):
        return None
    now = time.time()
    if now - float(data.get("seen", 0)) > settings.PORTAL_IDLE_MINUTES * 60:
        end(request)
        _keep_unsent_words(request, data.get("access"))
        return None
    access = PortalAccess.objects.select_related("case").filter(pk=data.get("access")).first()
    if access is None or not may_sign_in(access):
        end(request)
        return None
    if now - float(data["seen"]) >= TOUCH_EVERY:
        request.session[KEY] = {**data, "seen": now}
    return Visitor(access=access, decoy=bool(data.get("decoy")))


def _keep_unsent_words(request: HttpRequest, access_id: object) -> None:
    """A message sent just after the idle time ended the session: its words wait, encrypted, in
    the new session for the same access to sign in again (portal.views offers them back once,
    unsent). WCAG 2.2.1: the time limit is a safety measure, so nothing typed is lost to it."""
    words = request.POST.get("text", "").strip() if request.method == "POST" else ""
    if not words or not isinstance(access_id, int):
        return
    sealed = fernet().encrypt(words[:MAX_DRAFT].encode()).decode()
    request.session[DRAFT_KEY] = {"access": access_id, "words": sealed}
    request.session[SIGNED_OUT_KEY] = True
    request.session.set_expiry(0)


def take_unsent_words(request: HttpRequest, access: PortalAccess) -> str:
    """The words kept at an idle sign-out, for this access only, once; "" when none."""
    kept = request.session.pop(DRAFT_KEY, None)
    if not isinstance(kept, dict) or kept.get("access") != access.pk:
        return ""
    try:
        return fernet().decrypt(str(kept.get("words", "")).encode()).decode()
    except InvalidToken:
        return ""


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for a signed-in victim: anyone else goes to the sign-in page. Never cached. The view
    gets the visitor as `request.portal`."""

    @public
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        visitor = current(request)
        if visitor is None:
            return redirect("portal:sign-in")
        request.portal = visitor  # type: ignore[attr-defined]
        if visitor.decoy:
            # Signed in with the duress code: whatever page was asked for, the harmless one.
            from portal import decoy

            return decoy.page(request)
        return view(request, *args, **kwargs)

    return wrapped

"""Signing in to the portal (case reference, then a one-time code sent to a safe way of contact),
signing out, the quick exit, and the victim's safety settings (the duress code).

The reference waits in the session between the two steps, never in a URL. Both steps answer the
same whether the reference is a real case or not (ASVS 6.3.8): a person who took the victim's
phone, or who guesses references, learns nothing from the portal. Every view is public (the
portal checks its own session), never cached, and counted against the client's address; the
codes sent are counted per reference as well (django-ratelimit, failing open like intake.web:
an unreachable cache never locks a victim out)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from accounts.access import public
from portal import codes, duress, session
from portal.menu import portal_nav
from portal.sign_in_forms import CodeForm, DuressForm, ReferenceForm
from project.proxy import client_key

logger = logging.getLogger(__name__)

# The reference typed at step 1, waiting for step 2 (normalised; the session is on the server).
PENDING_KEY = "portal_sign_in_reference"
# A word for the safety page after a change ("saved" / "removed"), shown once.
SAFETY_DONE_KEY = "portal_safety_done"
ADDRESS_GROUP = "portal.sign_in"
REFERENCE_GROUP = "portal.sign_in_code"
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
# Over the address limit: what the 429 page says ("Wait an hour") and its Retry-After.
RETRY_AFTER_SECONDS = 3600


@public
@never_cache
@sensitive_post_parameters("reference")
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _reference_page(request, ReferenceForm())
    if _over_limit(request, ADDRESS_GROUP, _address_key, settings.PORTAL_ADDRESS_RATE):
        return _too_many(request)
    form = ReferenceForm(request.POST)
    if not form.is_valid():
        return _reference_page(request, form)
    reference = codes.normalise_reference(form.cleaned_data["reference"])
    request.session[PENDING_KEY] = reference
    request.session.set_expiry(0)  # ends with the browser, like the signed-in session
    by_reference = _reference_counter(reference)
    if not _over_limit(request, REFERENCE_GROUP, by_reference, settings.PORTAL_CODE_RATE):
        codes.send_code(reference=reference)
    # Sent, not sent, no such case, too many codes: the same next page.
    return redirect("portal:sign-in-code")


@public
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    reference = request.session.get(PENDING_KEY)
    if not isinstance(reference, str):
        return redirect("portal:sign-in")
    if request.method != "POST":
        return _code_page(request, CodeForm(minutes=settings.PORTAL_CODE_MINUTES))
    if _over_limit(request, ADDRESS_GROUP, _address_key, settings.PORTAL_ADDRESS_RATE):
        return _too_many(request)
    form = CodeForm(request.POST, minutes=settings.PORTAL_CODE_MINUTES)
    if not form.is_valid():
        return _code_page(request, form)
    attempt = codes.try_code(reference=reference, typed=form.cleaned_data["code"])
    if attempt.outcome is codes.Outcome.REFUSED or attempt.access is None:
        form.refuse()
        return _code_page(request, form)
    del request.session[PENDING_KEY]
    session.start(request, attempt.access, decoy=attempt.outcome is codes.Outcome.DECOY)
    return redirect("portal:home")


@public
@never_cache
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """The session ends on the server, and the browser is told to forget this site's cookies,
    storage and cached pages."""
    session.end(request)
    response = redirect("portal:signed-out")
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@public
@never_cache
@require_GET
def signed_out(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/signed_out.html")
    # Said again here: a browser that did not act on it at the redirect acts on it now.
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@public
@never_cache
def leave(request: HttpRequest) -> HttpResponse:
    """ "Leave this site": the portal session ends on the server and the browser is told to forget
    this site's cookies and storage, then goes to the neutral site."""
    session.end(request)
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL)
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


@session.portal_page
@sensitive_post_parameters("duress_code")
@require_http_methods(["GET", "POST"])
def safety(request: HttpRequest) -> HttpResponse:
    """Set, change or remove the duress code. The page never says whether one is set: the person
    harming the victim may be the one looking at it."""
    access = request.portal.access  # type: ignore[attr-defined]
    form = DuressForm()
    if request.method == "POST":
        if "remove" in request.POST:
            duress.remove_duress_code(access=access)
            request.session[SAFETY_DONE_KEY] = "removed"
            return redirect("portal:safety")
        form = DuressForm(request.POST)
        if form.is_valid():
            duress.set_duress_code(access=access, typed=form.cleaned_data["duress_code"])
            request.session[SAFETY_DONE_KEY] = "saved"
            return redirect("portal:safety")
    done = request.session.pop(SAFETY_DONE_KEY, None)
    context = {"form": form, "done": done, "portal_nav": portal_nav("portal:safety")}
    return render(request, "portal/safety_settings.html", context)


def _reference_page(request: HttpRequest, form: ReferenceForm) -> HttpResponse:
    # said once, after the idle time ended the session as a message was sent (portal.session)
    idle = request.session.pop(session.SIGNED_OUT_KEY, False)
    context = {
        "form": form,
        "idle_signed_out": idle,
        "portal_idle_minutes": settings.PORTAL_IDLE_MINUTES,
    }
    return render(request, "portal/sign_in.html", context)


def _code_page(request: HttpRequest, form: CodeForm) -> HttpResponse:
    return render(request, "portal/sign_in_code.html", {"form": form})


def _too_many(request: HttpRequest) -> HttpResponse:
    context = {"emergency_number": getattr(settings, "EMERGENCY_NUMBER", "999")}
    response = render(request, "portal/sign_in_too_many.html", context, status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _over_limit(
    request: HttpRequest, group: str, key: Callable[[str, HttpRequest], str], rate: str
) -> bool:
    try:
        return is_ratelimited(
            request, group=group, key=key, rate=rate, method="POST", increment=True
        )
    except Exception as exc:  # the cache is down: let the victim in rather than lock them out
        logger.warning("portal_rate_limit_unavailable", extra={"error": type(exc).__name__})
        return False


def _reference_counter(reference: str) -> Callable[[str, HttpRequest], str]:
    # Counted by a keyed hash of the reference: the reference itself never reaches the cache.
    return lambda group, request: codes.reference_key(reference)


def _address_key(group: str, request: HttpRequest) -> str:
    return client_key(request)

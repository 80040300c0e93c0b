"""The public report pages (UX.md 5e, CONTRACT "Public web form"): no login, no JavaScript needed,
nothing cached, no case reference in any URL. Spam is dropped quietly and a real reporter is never
told they were blocked; the rate limit fails open, so a cache outage never refuses a victim."""

from __future__ import annotations

import ipaddress
import logging

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.access import public
from intake import services
from intake.forms import ReportForm, honeypot_filled, new_submission_id

logger = logging.getLogger(__name__)

# The reference waits here for the thank-you page, which shows it once.
REFERENCE_KEY = "public_report_reference"
RATE_GROUP = "intake.public_report"


@public
@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _form_page(request, ReportForm(initial={"submission_id": new_submission_id()}))
    if honeypot_filled(request.POST):
        logger.info("public_report_dropped", extra={"reason": "honeypot"})
        return _thanks(request, reference=None)
    form = ReportForm(request.POST)
    if not form.is_valid():
        form.renew_submission_id()
        return _form_page(request, form)
    if _over_rate_limit(request):
        logger.info("public_report_dropped", extra={"reason": "rate_limited"})
        return _thanks(request, reference=None)
    return _store(request, form)


@public
@never_cache
@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    reference = request.session.pop(REFERENCE_KEY, None)
    return render(request, "public/report_thanks.html", _context(reference=reference))


@public
@never_cache
@require_GET
def safety(request: HttpRequest) -> HttpResponse:
    return render(request, "public/safety.html", _context())


def _store(request: HttpRequest, form: ReportForm) -> HttpResponse:
    try:
        case, created = services.receive_web_report(**form.report_arguments())
    except services.IntakeError:
        # Set-up is incomplete. The reporter keeps what they wrote and can try again.
        logger.error("public_report_unroutable")
        form.add_error(None, "We could not send your message just now. Please try again later.")
        return _form_page(request, form, status=503)
    logger.info("public_report_received", extra={"stored_now": created})
    return _thanks(request, reference=case.number)


def _form_page(request: HttpRequest, form: ReportForm, status: int = 200) -> HttpResponse:
    return render(request, "public/report_form.html", _context(form=form), status=status)


def _context(**extra: object) -> dict[str, object]:
    # UK by default (the deployment's region); a deployment elsewhere sets EMERGENCY_NUMBER.
    return {"emergency_number": getattr(settings, "EMERGENCY_NUMBER", "999"), **extra}


def _thanks(request: HttpRequest, *, reference: str | None) -> HttpResponse:
    if reference:
        request.session[REFERENCE_KEY] = reference
        # Ends with the browser: nothing of this visit outlives it on a shared device.
        request.session.set_expiry(0)
    elif REFERENCE_KEY in request.session:
        del request.session[REFERENCE_KEY]
    response = HttpResponseRedirect(reverse("report-thanks"))
    response.status_code = 303  # the thank-you page is fetched with GET, so reload never resends
    return response


def _over_rate_limit(request: HttpRequest) -> bool:
    """Counts only reports that would be stored; a form sent back with errors costs nothing."""
    try:
        return is_ratelimited(
            request,
            group=RATE_GROUP,
            key=_client_key,
            rate=settings.INTAKE_FORM_RATE,
            method="POST",
            increment=True,
        )
    except Exception as exc:  # the cache is down: store the report rather than refuse a victim
        logger.warning("public_report_rate_limit_unavailable", extra={"error": type(exc).__name__})
        return False


def _client_key(group: str, request: HttpRequest) -> str:
    """The client's address as the lock-out sees it (behind PROXY_COUNT proxies); an IPv6 client
    is its /64, which one household or phone usually owns whole."""
    address = get_client_ip_address(request) or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)

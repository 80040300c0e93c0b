"""The public report pages (UX.md 5e, CONTRACT "Public web form"): no login, no JavaScript needed,
nothing cached, no case reference in any URL. A report is never dropped without a word: over the
rate limit the reporter is asked one simple question (intake.human_check) and keeps everything they
typed; the limit fails open, so a cache outage never refuses a victim; with the database down they
keep their words and are asked to send again in a minute. Only the honeypot, which no person
sees, is dropped quietly."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from accounts.access import public
from intake import human_check, services
from intake.forms import ReportForm, honeypot_filled, new_submission_id
from project.faults import RETRY_AFTER_SECONDS
from project.proxy import client_key

logger = logging.getLogger(__name__)
security_log = logging.getLogger("lantern.security")

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
    try:
        return _receive(request)
    except OperationalError:
        # The database is down or restarting. Nothing was stored; the reporter's words go back to
        # them in a page that needs no database (the form's lists come from it).
        logger.warning("public_report_database_unavailable")
        response = render(
            request, "public/report_retry.html", _context(sent=request.POST), status=503
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


def _receive(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST)
    if not form.is_valid():
        form.renew_submission_id()
        return _form_page(request, form)
    try:
        # A resend of a stored report is answered before anything is counted against the sender.
        already = services.web_report_received(**form.report_arguments())
    except services.SubmissionReusedError:
        return _submission_reused(request, form)
    if already is not None:
        return _thanks(request, reference=already.number)
    submission_id = form.cleaned_data["submission_id"]
    token = request.POST.get(human_check.TOKEN_FIELD, "")
    if token:
        answer = request.POST.get(human_check.ANSWER_FIELD, "")
        if human_check.passed(token, answer, submission_id):
            logger.info("public_report_human_check_passed")
            return _store(request, form)
        logger.info("public_report_human_check_failed")
        return _ask_human_check(request, form, wrong=True)
    if _over_rate_limit(request):
        logger.info("public_report_human_check_asked")
        return _ask_human_check(request, form)
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


def _ask_human_check(
    request: HttpRequest, form: ReportForm, *, wrong: bool = False
) -> HttpResponse:
    """The form again, as typed, with one question to answer before it is stored."""
    challenge = human_check.new_challenge(form.cleaned_data["submission_id"])
    return render(
        request,
        "public/report_form.html",
        _context(form=form, human_check=challenge, human_check_wrong=wrong),
    )


def _store(request: HttpRequest, form: ReportForm) -> HttpResponse:
    try:
        case, created = services.receive_web_report(**form.report_arguments())
    except services.SubmissionReusedError:  # the first of two racing sends won with other words
        return _submission_reused(request, form)
    except services.IntakeError:
        # Set-up is incomplete. The reporter keeps what they wrote and can try again.
        logger.error("public_report_unroutable")
        form.add_error(None, "We could not send your message just now. Please try again later.")
        return _form_page(request, form, status=503)
    logger.info("public_report_received", extra={"stored_now": created})
    return _thanks(request, reference=case.number)


def _submission_reused(request: HttpRequest, form: ReportForm) -> HttpResponse:
    """IN-04: the id of a report already stored, with other words. Nothing is stored over it; the
    writer keeps their words and may send them as a new report (a new id)."""
    security_log.warning("public_report_submission_id_reused")
    form.data = form.data.copy()
    form.data["submission_id"] = new_submission_id()
    form.add_error(
        None,
        "This form was already sent, with different words. Nothing was changed. To send what is "
        "below as a new report, press Send.",
    )
    return _form_page(request, form, status=400)


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
    return client_key(request)

"""Audit review pages: every read of one case (/cases/<number>/access-log/, itself audited as
ACCESS_REPORT) and the unusual-access alerts (/privacy/access/) with "reviewed" marking. Both for
reviewers only (privacy.review_access); anyone else who can see the case gets 403, anyone who
cannot see it 404, as for every case page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases.models import AccessLog
from cases.policy import visible_cases
from cases.selectors import access_case
from privacy.audit_report import PAGE_ROWS, case_reads, may_review
from privacy.unusual import alerts_for, mark_reviewed

TEMPLATES = "privacy/audit/"


@never_cache
def case_access_log(request: HttpRequest, number: str) -> HttpResponse:
    if not may_review(request.user):
        if visible_cases(request.user).filter(number=number).exists():
            raise PermissionDenied
        raise Http404("No such case.")
    case = access_case(request.user, number, request=request, action=AccessLog.Action.ACCESS_REPORT)
    reads = case_reads(case)
    return render(
        request,
        TEMPLATES + "case_log.html",
        {"case": case, "reads": list(reads[:PAGE_ROWS]), "total": reads.count()},
    )


def _reviewer(request: HttpRequest):  # noqa: ANN202 - the signed-in reviewer
    if not may_review(request.user):
        raise PermissionDenied
    return request.user


@never_cache
def alerts(request: HttpRequest) -> HttpResponse:
    reviewer = _reviewer(request)
    return render(
        request,
        TEMPLATES + "alerts.html",
        {"alerts": alerts_for(reviewer)[:200], "window": settings.UNUSUAL_WINDOW_MINUTES},
    )


@require_POST
def review_alert(request: HttpRequest, alert_id: int) -> HttpResponse:
    reviewer = _reviewer(request)
    alert = get_object_or_404(alerts_for(reviewer), pk=alert_id)
    mark_reviewed(alert=alert, reviewer=reviewer)
    messages.success(request, "Alert marked reviewed.")
    return redirect("privacy:access-alerts")

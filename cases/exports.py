"""The case file: everything on a case the user may read, printed to PDF for a paper file. The
print is audited like a read (DESIGN rule 8) and goes only to those who work on the case. Each
person may print CASE_PRINT_RATE case files: a long case takes seconds to lay out, and many files
in a row is not what casework looks like.

Phone numbers, addresses and dates of birth are printed masked, as on screen, unless the printer
ticks "Include phone numbers, addresses and dates of birth" (`?full=1`, a yes or no, not data); the
print's access-log row says which ("with contact details" or "masked")."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited

from cases import selectors
from cases.models import AccessLog
from cases.policy import can_export_case, can_see_identities
from cases.timeline import readable
from project.pdf import pdf_response, render_pdf

PRINTED_FULL = "with contact details"
PRINTED_MASKED = "masked"


@never_cache
@require_GET
def case_print(request: HttpRequest, number: str) -> HttpResponse:
    if is_ratelimited(
        request,
        group="case-print",
        key="user",
        rate=settings.CASE_PRINT_RATE,
        method="GET",
        increment=True,
    ):
        return render(request, "cases/print_limited.html", status=429)
    # Whether they may print is settled before anything is read, so a refusal audits no print.
    if not can_export_case(request.user, selectors.get_case_to_act_on(request.user, number)):
        raise PermissionDenied("Case files are printed by those who work on the case.")
    full = request.GET.get("full") == "1"
    case = selectors.access_case(
        request.user,
        number,
        request=request,
        action=AccessLog.Action.PRINT,
        detail=PRINTED_FULL if full else PRINTED_MASKED,
    )
    pdf = render_pdf(
        "cases/case_print.html",
        {
            "case": case,
            "identities": can_see_identities(request.user),
            "full": full,
            # the same words as the case page's timeline (cases.timeline)
            "history": readable(selectors.case_history(request.user, case)),
            "generated_at": timezone.localtime(),
            "generated_by": request.user.get_username(),
        },
    )
    return pdf_response(pdf, f"{case.number}.pdf")

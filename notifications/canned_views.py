"""The canned replies offered while writing to a case's victim (static/js/canned.js asks for them
as the writer types `/shortcut`). JSON, read-only; the case is named by its number and the query
is a few letters of a shortcut, never logged (project.logging drops query strings)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cases.policy import can_change_case
from cases.selectors import get_case_to_act_on
from notifications.canned import canned_replies


@never_cache
@require_GET
def case_replies(request: HttpRequest, number: str) -> JsonResponse:
    """Only for those who may write to the case's victim (an invisible case is 404). Not an
    audited read: nothing of the case is returned but its number, in a reply's {case_ref}."""
    case = get_case_to_act_on(request.user, number)
    if not can_change_case(request.user, case):
        raise PermissionDenied
    replies = canned_replies(case=case, operator=request.user, query=request.GET.get("q", ""))
    return JsonResponse({"replies": replies})

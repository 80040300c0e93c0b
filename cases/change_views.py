"""The case page's "Change details" (issue 12 item 1): a form of the parts this user may change,
prefilled, with a required reason. A form that went stale while the user typed is shown again
over the case as it is now, their changes kept, with who changed it, when and what: never a
silent overwrite. The incident's location and the victim's address can be matched to gazetteer
places (cases.places) in the same change."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases import places, selectors
from cases.change_forms import ChangeForm, initial_for, rebased
from cases.changes import StaleVersionError
from cases.drafts import discard_draft
from cases.policy import changeable_details
from cases.timeline import readable
from cases.workflow import CaseError


def _stale_words(stale: StaleVersionError) -> str:
    """ "Changed by joan at 10:42 while you were editing: Priority: Standard → High"."""
    said = [
        change for entry in readable(stale.entries) for change in (entry.changes or [entry.what])
    ]
    at = time_format(timezone.localtime(stale.changed_at), "H:i") if stale.changed_at else ""
    who = f" by {stale.changed_by}" if stale.changed_by else ""
    return f"Changed{who}{f' at {at}' if at else ''} while you were editing: {'; '.join(said)}."


@never_cache
@require_http_methods(["GET", "POST"])
def change_details(request: HttpRequest, number: str) -> HttpResponse:
    case = selectors.access_case(request.user, number, request=request)
    parts = changeable_details(request.user, case)
    if not parts:
        raise PermissionDenied("You cannot change this case's details now.")
    form = ChangeForm(request.POST or None, case=case, parts=parts, initial=initial_for(case))
    stale, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            places.change_with_places(
                case=case,
                actor=request.user,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                changes=form.changes(),
                **form.place_matches(),
            )
        except StaleVersionError as error:
            stale, status = _stale_words(error), 409
            case = selectors.access_case(request.user, number, request=request)
            form = rebased(form, case)
        except CaseError as error:
            form.add_error(None, str(error))
            status = error.http_status
        else:
            discard_draft(request.user, "change", case)  # its work is saved
            messages.success(request, "Details changed. The history keeps what they were.")
            return redirect("cases:detail", number=case.number)
    elif request.method == "POST":
        status = 400
    return render(
        request, "cases/change.html", {"case": case, "form": form, "stale": stale}, status=status
    )

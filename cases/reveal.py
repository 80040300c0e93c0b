"""The "Show" of a masked detail (UX.md 19): one field of one person (or a report's sender), for
those who may see who is in the case, each written to the access log with which field it was
(never the value), in the request that shows it: a reveal that cannot be logged does not happen.
Anything else is 404, as for a case one may not see. The answer is the value in
place of its mask (htmx), or a small page of it without JavaScript; the next page masks it again."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cases import masking
from cases.models import Case, Person, Report
from cases.policy import can_see_identities, visible_cases, visible_people
from cases.selectors import audit_reveal


@never_cache
@require_POST
def reveal_on_case(request: HttpRequest, number: str) -> HttpResponse:
    """POST person=<id>&field=phone|address|date_of_birth, or report=<id>&field=sender."""
    user = request.user
    if not can_see_identities(user):
        raise Http404("No such case.")
    case = visible_cases(user).filter(number=number).first()
    if case is None:
        raise Http404("No such case.")
    field = request.POST.get("field", "")
    if "report" in request.POST:
        report = _one(Report.objects.filter(case=case), request.POST["report"])
        if field != "sender" or not report.sender:
            raise Http404("Nothing to show.")
        audit_reveal(user, request, case, f"report {report.pk} sender")
        return _answer(request, "Sender", report.sender, case)
    person = _one(Person.objects.filter(cases__case=case).distinct(), request.POST.get("person"))
    return _reveal_person(request, person, field, case)


@never_cache
@require_POST
def reveal_person(request: HttpRequest, person_id: int) -> HttpResponse:
    """A person's page (people/): POST field=phone|address|date_of_birth."""
    person = _one(visible_people(request.user), person_id)
    return _reveal_person(request, person, request.POST.get("field", ""), None)


def _reveal_person(
    request: HttpRequest, person: Person, field: str, case: Case | None
) -> HttpResponse:
    if field not in masking.MASKED_FIELDS or not getattr(person, field):
        raise Http404("Nothing to show.")
    audit_reveal(request.user, request, case, f"person {person.pk} {field}")
    return _answer(request, masking.MASKED_FIELDS[field], masking.shown(person, field), case)


def _one(queryset, pk: object):  # type: ignore[no-untyped-def]
    try:
        found = queryset.filter(pk=int(str(pk))).first()
    except ValueError:
        found = None
    if found is None:
        raise Http404("Nothing to show.")
    return found


def _answer(request: HttpRequest, label: str, value: str, case: Case | None) -> HttpResponse:
    context = {"label": label, "value": value, "case": case, "revealed": True}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "cases/_masked.html", context)
    return render(request, "cases/revealed.html", context)

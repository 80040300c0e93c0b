"""The person page: who they are, every way of reaching them with its dates (previous addresses
included), other agencies' references, and the cases of theirs this user may see; with forms to
add and end contacts and references for those who may change the person (cases.references)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases import masking, places, references
from cases.models import AccessLog, ContactType, PersonContact
from cases.policy import can_see_identities, shows_person_details, visible_people
from cases.reference_forms import (
    AddContactForm,
    AddReferenceForm,
    EndContactForm,
    RemoveReferenceForm,
)
from cases.refusals import attempt
from people.place_views import MatchPlaceForm
from people.selectors import person_of, person_record


def _page(
    request: HttpRequest, person_id: int, *, status: int = 200, **bound: forms.Form
) -> HttpResponse:
    record = person_record(request.user, person_id, request=request)
    if not shows_person_details(request.user, record.person):
        return render(
            request,
            "privacy/erasure/person_restricted.html",
            {"person": record.person, "record": record},
            status=status,
        )
    may_change = references.may_change_person(request.user, record.person)
    contacts = record.contacts
    for contact in contacts:
        contact.mask = _mask(contact)  # type: ignore[attr-defined]
    addresses = [c for c in contacts if c.kind.shape == ContactType.Shape.ADDRESS]
    context: dict[str, Any] = {
        "record": record,
        "person": record.person,
        "identities": can_see_identities(request.user),
        "current_contacts": [c for c in contacts if c.valid_to is None and c not in addresses],
        "ended_contacts": [c for c in contacts if c.valid_to is not None and c not in addresses],
        "addresses": addresses,
        "may_change": may_change,
    }
    if may_change:
        context |= {
            "contact_form": bound.get("contact_form") or AddContactForm(),
            "end_form": bound.get("end_form") or EndContactForm(),
            "reference_form": bound.get("reference_form") or AddReferenceForm(),
            "remove_form": bound.get("remove_form") or RemoveReferenceForm(),
            "failed": next(iter(bound), ""),
        }
        # an address matched to the gazetteer (cases.places): its form, for those who match
        if places.may_match_places(request.user):
            context["place_form"] = bound.get("place_form") or MatchPlaceForm()
    return render(request, "people/person.html", context, status=status)


def _mask(contact: PersonContact) -> str:
    """The contact as shown until someone asks to see it ("" when its kind is not masked)."""
    if not contact.kind.masked:
        return ""
    if contact.kind.shape == ContactType.Shape.PHONE:
        return masking.mask_phone(contact.value)
    if contact.kind.shape == ContactType.Shape.ADDRESS:
        return masking.mask_address(contact.value)
    return masking.DOT * 6


@never_cache
@require_GET
def person_page(request: HttpRequest, person_id: int) -> HttpResponse:
    return _page(request, person_id)


def _submit(
    request: HttpRequest, person_id: int, name: str, form: forms.Form,
    action: Callable[[dict[str, Any]], object], done: str,
) -> HttpResponse:  # fmt: skip
    """Validate, make the one service call, and go back to the page (or show it again with the
    reason it was refused and its status code)."""
    status = 400
    if form.is_valid():
        status = attempt(form, lambda: action(form.cleaned_data))
        if not status:
            messages.success(request, done)
            return redirect("people:person", person_id=person_id)
    return _page(request, person_id, status=status, **{name: form})


@never_cache
@require_POST
def add_contact(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_of(request.user, person_id)
    return _submit(
        request, person_id, "contact_form", AddContactForm(request.POST),
        lambda data: references.add_contact(
            actor=request.user, person=person, kind=data["kind"], value=data["value"],
            valid_from=data["valid_from"], reason=data["reason"],
        ),
        "Contact added.",
    )  # fmt: skip


@never_cache
@require_POST
def end_contact(request: HttpRequest, person_id: int, contact_id: int) -> HttpResponse:
    person = person_of(request.user, person_id)
    contact = get_object_or_404(person.contacts, pk=contact_id)
    return _submit(
        request, person_id, "end_form", EndContactForm(request.POST),
        lambda data: references.end_contact(
            actor=request.user, contact=contact, ended_on=data["ended_on"], reason=data["reason"]
        ),
        "Contact ended; it stays on the record.",
    )  # fmt: skip


@never_cache
@require_POST
def add_reference(request: HttpRequest, person_id: int) -> HttpResponse:
    person = person_of(request.user, person_id)
    return _submit(
        request, person_id, "reference_form", AddReferenceForm(request.POST),
        lambda data: references.add_reference(
            actor=request.user, person=person, kind=data["kind"], value=data["value"],
            issued_by=data["issued_by"], reason=data["reason"],
        ),
        "Reference added.",
    )  # fmt: skip


@never_cache
@require_POST
def remove_reference(request: HttpRequest, person_id: int, reference_id: int) -> HttpResponse:
    person = person_of(request.user, person_id)
    reference = get_object_or_404(person.references, pk=reference_id)
    return _submit(
        request, person_id, "remove_form", RemoveReferenceForm(request.POST),
        lambda data: references.remove_reference(
            actor=request.user, reference=reference, reason=data["reason"]
        ),
        "Reference taken off; the history keeps it.",
    )  # fmt: skip


@never_cache
@require_POST
def reveal_contact(request: HttpRequest, person_id: int, contact_id: int) -> HttpResponse:
    """The "Show" of one masked contact, written to the access log (which one, never the value)."""
    person = person_of(request.user, person_id)
    contact = get_object_or_404(person.contacts.select_related("kind"), pk=contact_id)
    AccessLog.objects.create(
        user=request.user,
        action=AccessLog.Action.REVEAL,
        via="web",
        detail=f"person {person.pk} contact {contact.pk}",
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )
    context = {"label": contact.kind.label, "value": contact.value, "revealed": True}
    template = "cases/_masked.html" if request.htmx else "cases/revealed.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@never_cache
@require_POST
def match_address(request: HttpRequest, contact_id: int) -> HttpResponse:
    """Match one of a person's addresses to a gazetteer place (cases.places.set_contact_place)."""
    if not places.may_match_places(request.user):
        raise Http404("No such page.")
    contact = get_object_or_404(
        PersonContact.objects.filter(person__in=visible_people(request.user)), pk=contact_id
    )
    form = MatchPlaceForm(request.POST)
    form.contact_id = contact.pk  # type: ignore[attr-defined]  # which address's form failed
    response = _submit(
        request, contact.person_id, "place_form", form,
        lambda data: places.set_contact_place(
            actor=request.user, contact=contact, place=data["uprn"], reason=data["reason"]
        ),
        "Address matched to the gazetteer." if form.data.get("place-uprn") else "Match taken off.",
    )  # fmt: skip
    if response.status_code == 302:
        response["Location"] += "#addresses"
    return response

"""The "New case" page (/cases/new/, issue 12 item 2): someone walked in, rang an outside line, a
partner called, an email came, and the operator opens the case themselves (cases.manual). The
victim's questions, safe-contact answers included, are the verify form's own (helpline.forms), so a
preference means the same wherever it was given; someone else reporting for them is recorded as the
case's reporter. A hidden one-time token makes a double submit open one case."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cases.drafts import discard_draft
from cases.manual import STAFF_CHANNELS, NewReporter, NewVictim, StaffReport, open_staff_case
from cases.models import Case, Language, Relationship
from cases.policy import can_open_case
from cases.refusals import attempt
from helpline.forms import VerifyForm, _active, _text
from intake.contact import not_in_future, phone_or_error, start_of


class NewCaseForm(VerifyForm):
    """The verify form's incident, victim and safe-contact questions; the case is classed (category,
    priority, area) when it is verified."""

    category = None
    priority = None
    area = None

    channel = forms.ChoiceField(
        label="How did it reach you?",
        choices=[(channel.value, channel.label) for channel in STAFF_CHANNELS],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how it reached you"},
    )
    incident_description = forms.CharField(
        label="What happened",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Say what happened"},
    )
    victim_date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"],
        error_messages={"invalid": "Enter a real date, like 27/3/1990"},
    )
    victim_language = _active(
        Language,
        label="Language they speak",
        required=False,
        empty_label="Not known",
        error_messages={"invalid_choice": "Choose a language from the list"},
    )
    someone_else = forms.BooleanField(label="Someone else is reporting for them", required=False)
    reporter_name = _text("Reporter's name", 300)
    reporter_phone = _text("Reporter's phone", 40)
    reporter_relationship = _active(
        Relationship,
        label="Who they are to the victim",
        required=False,
        empty_label="Not known",
        error_messages={"invalid_choice": "Choose from the list"},
    )
    claim = forms.BooleanField(
        label="Claim it now: I will work on it next", required=False, initial=True
    )
    token = forms.UUIDField(widget=forms.HiddenInput)

    REPORTER_FIELDS = ("reporter_name", "reporter_phone", "reporter_relationship")

    def clean_victim_date_of_birth(self) -> Any:
        return not_in_future(self.cleaned_data["victim_date_of_birth"])

    def clean_reporter_phone(self) -> str:
        return phone_or_error(self.cleaned_data["reporter_phone"], "07700 900982")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        reporter_given = data.get("reporter_name") or data.get("reporter_phone")
        if data.get("someone_else") and not reporter_given and "reporter_name" not in self.errors:
            self.add_error("reporter_name", "Give the reporter's name or phone")
        return data

    def staff_report(self) -> StaffReport:
        data = self.cleaned_data
        born = data.get("victim_date_of_birth")
        reporter = (
            NewReporter(
                name=data.get("reporter_name", ""),
                phone=data.get("reporter_phone", ""),
                relationship=data.get("reporter_relationship"),
            )
            if data.get("someone_else")
            else None
        )
        return StaffReport(
            channel=data["channel"],
            description=data["incident_description"],
            occurred_at=start_of(data.get("incident_date")),
            location=data.get("incident_place", ""),
            victim=NewVictim(
                name=data.get("victim_name", ""),
                phone=data.get("victim_phone", ""),
                age=data.get("victim_age"),
                ethnicity=data.get("victim_ethnicity", ""),
                address=data.get("victim_address", ""),
                date_of_birth=born.isoformat() if born else "",
                language=data.get("victim_language"),
                contact_preferences=self.contact_preferences(),
            ),
            reporter=reporter,
            claim=bool(data.get("claim")),
            source_id=str(data["token"]),
        )


@never_cache
@require_http_methods(["GET", "POST"])
def new_case(request: HttpRequest) -> HttpResponse:
    if not can_open_case(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = NewCaseForm(request.POST)
        status = 400
        if form.is_valid():
            opened: list[Case] = []
            status = attempt(
                form,
                lambda: opened.append(
                    open_staff_case(actor=request.user, report=form.staff_report())[0]
                ),
            )
            if not status:
                discard_draft(request.user, "new-case")  # its work is saved
                return redirect("cases:detail", number=opened[0].number)
    else:
        form, status = NewCaseForm(initial={"token": uuid.uuid4(), "claim": True}), 200
    return render(request, "cases/new_case.html", {"form": form}, status=status)

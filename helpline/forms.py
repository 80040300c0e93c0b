"""The console's triage forms: verify (incident, victim with safe-contact preferences,
perpetrators) and discard; a supervisor's reinstate and reassign are helpline.team_forms. They
only validate and shape input for triage.services; the services decide whether the move is
allowed."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from cases.models import (
    Area,
    Case,
    CasePerson,
    Category,
    DiscardReason,
    Flag,
    Language,
    Relationship,
)
from cases.services import IncidentDetails
from intake.contact import (
    HALF_HOURS,
    NO_EMAIL,
    NO_PHONE,
    NO_WAYS,
    TEXT_AND_NO_TEXT,
    Channel,
    Contact,
    add_problems,
    not_in_future,
    phone_or_error,
    preferences,
    safe_hour_field,
    start_of,
)
from triage.services import PerpetratorDetails, Verification, VictimRecord

MAX_PERPETRATORS = 20

PROBLEMS = {
    NO_WAYS: "Choose the ways that are safe",
    NO_PHONE: "Enter a phone number to call or text them on",
    NO_EMAIL: "Enter an email address to write to them at",
    TEXT_AND_NO_TEXT: "Text message is chosen as safe and also 'do not text'.",
    HALF_HOURS: "Give both safe times, from and until, or neither",
}


def _active(model: type, *, many: bool = False, **kwargs: Any) -> forms.ModelChoiceField:
    # Lookups are chosen by their stable code; retired entries are never offered. `many`: ticks.
    if many:
        kwargs.update(required=False, widget=forms.CheckboxSelectMultiple)
    return (forms.ModelMultipleChoiceField if many else forms.ModelChoiceField)(
        queryset=model.objects.filter(is_active=True),  # type: ignore[attr-defined]
        to_field_name="code",
        **kwargs,
    )


def _text(label: str, max_length: int, *, rows: int = 0, **kwargs: Any) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput
    return forms.CharField(
        label=label, required=False, max_length=max_length, widget=widget, **kwargs
    )


def _age(label: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=130,
        error_messages={"invalid": "Enter the age as a number, like 34"},
    )


class ConsoleForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # "Category", not "Category:"
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Victim details must not be offered back by the browser to the next person at
            # this desk.
            field.widget.attrs.setdefault("autocomplete", "off")
            if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                field.widget.attrs["class"] = "form-check-input"

    def error_links(self) -> list[tuple[str, str]]:
        """(anchor, message) for the error summary at the top of the page, in page order; each
        anchor is the first input of its question, so the link puts the cursor where the answer
        goes (the GOV.UK error summary pattern)."""
        links: list[tuple[str, str]] = []
        for name, field in self.fields.items():
            bound = self[name]
            anchor = bound.auto_id
            if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
                anchor = f"{anchor}_0"
            links += [(f"#{anchor}", message) for message in self.errors.get(name, [])]
        return links


class VerifyForm(ConsoleForm):
    """Everything but the perpetrators (a formset). Field names are what the tests post."""

    category = _active(
        Category,
        label="Category",
        empty_label="Choose a category",
        error_messages={
            "required": "Choose a category",
            "invalid_choice": "Choose a category from the list",
        },
    )
    priority = forms.ChoiceField(
        label="Priority",
        choices=Case.Priority.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a priority"},
    )
    area = _active(
        Area,
        label="Area",
        required=False,
        empty_label="Not known",
        help_text="Where the case is counted in reports.",
        error_messages={"invalid_choice": "Choose an area from the list"},
    )
    categories = _active(
        Category, many=True, label="Other problems", help_text="Any further ones to record."
    )
    flags = _active(Flag, many=True, label="Flags", help_text="What everyone on the case must see.")
    incident_date = forms.DateField(
        label="When it happened",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"],
        error_messages={"invalid": "Enter a real date, like 27/3/2026"},
    )
    incident_place = _text("Where it happened", 2000)
    incident_description = _text("What happened", 20000, rows=5)

    victim_name = _text("Name", 300)
    victim_age = _age("Age")
    victim_ethnicity = _text("Ethnicity", 100)
    victim_phone = _text(
        "Phone",
        40,
        help_text="Only a number that is safe to use.",
    )
    victim_address = _text("Address", 2000, rows=2)
    victim_language = _active(
        Language,
        label="Language they speak",
        required=False,
        empty_label="Not known",
        error_messages={"invalid_choice": "Choose a language from the list"},
    )

    contact = forms.ChoiceField(
        label="May we contact them?",
        # The public form's values, worded for the operator rather than the victim.
        choices=[
            (Contact.NONE, "Do not contact them"),
            (Contact.ONLY_IF_I_CONTACT_FIRST, "Only if they contact us first"),
            (Contact.ALLOWED, "Yes, contact is allowed"),
        ],
        required=False,
        widget=forms.RadioSelect,
        help_text="Leave unanswered if they have not said: nobody will contact them.",
    )
    channels = forms.MultipleChoiceField(
        label="Safe ways to contact them",
        choices=Channel.CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    no_voicemail = forms.BooleanField(label="Do not leave a voicemail", required=False)
    no_text = forms.BooleanField(label="Do not send text messages", required=False)
    no_org_name = forms.BooleanField(label="Do not name the organisation", required=False)
    updates = forms.BooleanField(
        label="They want automatic updates (a short neutral message at each step)",
        required=False,
    )
    # No help text: the console's checkbox partial shows none, and a hint nobody sees is worse.
    portal = forms.BooleanField(
        label="They want to follow their report online (the victim portal: a sign-in code goes "
        "to a safe way of contact each time)",
        required=False,
    )
    safe_from = safe_hour_field("Safe to contact from", "Messages are held until then.")
    safe_until = safe_hour_field("Safe until")
    language = forms.ChoiceField(
        label="Language for messages",
        choices=[("en", "English"), ("cy", "Cymraeg (Welsh)"), ("pl", "Polski (Polish)")],
        required=False,
    )
    safe_times = _text("Other notes on safe times", 200, help_text="For example, not on Sundays.")
    email = forms.EmailField(
        label="Email address (only if safe)",
        required=False,
        max_length=254,
        error_messages={"invalid": "Enter an email address, like name@example.com"},
    )

    VICTIM_FIELDS = ("victim_name", "victim_age", "victim_ethnicity", "victim_phone")
    VICTIM_FIELDS += ("victim_address", "victim_language")
    CONTACT_FIELDS = ("contact", "channels", "no_voicemail", "no_text", "no_org_name", "updates")
    CONTACT_FIELDS += ("portal", "safe_from", "safe_until", "language", "safe_times", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident_date"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_incident_date(self) -> date | None:
        return not_in_future(self.cleaned_data["incident_date"])

    def clean_victim_phone(self) -> str:
        return phone_or_error(self.cleaned_data["victim_phone"], "07700 900982")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        add_problems(self, phone_field="victim_phone", wording=PROBLEMS)
        return data

    # What the service needs ------------------------------------------------------------------

    def contact_preferences(self) -> dict[str, Any]:
        """{} when nobody asked: the stored preferences, if any, are then kept."""
        contact = self.cleaned_data.get("contact")
        return preferences(self.cleaned_data, contact) if contact else {}

    def victim(self) -> VictimRecord | None:
        data = self.cleaned_data
        preferences = self.contact_preferences()
        given = any(data.get(name) not in ("", None) for name in self.VICTIM_FIELDS)
        if not given and not preferences:
            return None
        return VictimRecord(
            name=data.get("victim_name", ""),
            phone=data.get("victim_phone", ""),
            age=data.get("victim_age"),
            ethnicity=data.get("victim_ethnicity", ""),
            address=data.get("victim_address", ""),
            contact_preferences=preferences,
            language=data.get("victim_language"),
        )

    def verification(self, perpetrators: list[PerpetratorDetails]) -> Verification:
        data = self.cleaned_data
        day = data.get("incident_date")
        # An unchanged date is passed as "no new date", so a stored time of day is not reset to
        # midnight just because the form only shows the day.
        occurred_at = start_of(day) if day and "incident_date" in self.changed_data else None
        return Verification(
            category=data["category"],
            priority=data["priority"],
            incident=IncidentDetails(
                occurred_at=occurred_at,
                location=data.get("incident_place", ""),
                description=data.get("incident_description", ""),
            ),
            victim=self.victim(),
            perpetrators=perpetrators,
            area=data.get("area"),
            categories=tuple(category.code for category in data.get("categories", ())),
            flags=tuple({flag.code for flag in data.get("flags", ())} | self._unoffered_flags()),
        )

    def _unoffered_flags(self) -> set[str]:
        """Flags the case carries that have been retired since: not offered, so kept as they are."""
        offered = self.fields["flags"].queryset.values_list("code", flat=True)
        return set(self.initial.get("flags", ())) - set(offered)

    def values(self) -> dict[str, Any]:
        """What was typed, as initial values for an unbound copy (adding a perpetrator row
        without JavaScript re-shows the form without error messages)."""
        return {name: self[name].value() for name in self.fields}


def initial_for(case: Case) -> dict[str, Any]:
    """What the reports already told us (UX.md 49: never ask twice), for the verify form."""
    victim_link = next(
        (link for link in case.people.all() if link.role == CasePerson.Role.VICTIM), None
    )
    person = victim_link.person if victim_link else None
    preferences = (person.contact_preferences if person else None) or {}
    occurred = case.incident_occurred_at
    phone = person.phone if person else ""
    if not phone and victim_link is None:
        # An SMS or a call came from a number: offered, clearly labelled on the page, because it
        # may be a reporter's or a shared phone rather than the victim's own safe number.
        phone = next((report.sender for report in case.reports.all() if report.sender), "")
    return {
        "category": case.category,
        "priority": case.priority,
        "area": case.area,
        "incident_date": timezone.localdate(occurred) if occurred else None,
        "incident_place": case.incident_location,
        "incident_description": case.incident_description,
        "victim_name": person.name if person else "",
        "victim_age": person.age if person else None,
        "victim_ethnicity": person.ethnicity if person else "",
        "victim_phone": phone,
        "victim_address": person.address if person else "",
        "victim_language": person.language if person else None,
        "categories": [link.category.code for link in case.other_categories.all()],
        "flags": [link.flag.code for link in case.flag_links.all()],
        "contact": preferences.get("contact", ""),
        "channels": preferences.get("channels", []),
        "no_voicemail": preferences.get("no_voicemail", False),
        "no_text": preferences.get("no_text", False),
        "no_org_name": preferences.get("no_org_name", False),
        "updates": preferences.get("updates", False),
        "portal": preferences.get("portal", False),
        "safe_from": preferences.get("safe_from", ""),
        "safe_until": preferences.get("safe_until", ""),
        "language": preferences.get("language", "en"),
        "safe_times": preferences.get("safe_times", ""),
        "email": preferences.get("email", ""),
    }


class PerpetratorForm(ConsoleForm):
    """One perpetrator. A row left empty is skipped; a row with anything in it needs the
    relationship, which is what the statistics count."""

    name = _text("Name", 300)
    age = _age("Age")
    ethnicity = _text("Ethnicity", 100)
    relationship = _active(
        Relationship,
        label="Relationship to the victim",
        required=False,
        empty_label="Choose",
        error_messages={"invalid_choice": "Choose a relationship from the list"},
    )

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return all(data.get(name) in ("", None) for name in self.fields)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            not self.is_blank()
            and not data.get("relationship")
            and not self.has_error("relationship")
        ):
            self.add_error("relationship", "Choose how they are related to the victim")
        return data

    def details(self) -> PerpetratorDetails:
        data = self.cleaned_data
        return PerpetratorDetails(
            name=data.get("name", ""),
            age=data.get("age"),
            ethnicity=data.get("ethnicity", ""),
            relationship=data.get("relationship"),
        )


class BasePerpetratorFormSet(forms.BaseFormSet):
    def perpetrators(self) -> list[PerpetratorDetails]:
        return [form.details() for form in self.forms if not form.is_blank()]

    def values(self) -> list[dict[str, Any]]:
        return [{name: form[name].value() for name in form.fields} for form in self.forms]


PerpetratorFormSet = forms.formset_factory(
    PerpetratorForm,
    formset=BasePerpetratorFormSet,
    extra=1,  # always at least one row on screen
    max_num=MAX_PERPETRATORS,
    absolute_max=MAX_PERPETRATORS,
    validate_max=True,
)
PERPETRATOR_PREFIX = "perp"


def perpetrator_formset_with_extra_row(bound: BasePerpetratorFormSet) -> BasePerpetratorFormSet:
    """The rows as typed plus an empty one, unbound: "Add another perpetrator" without
    JavaScript."""
    rows = [*bound.values(), {}][:MAX_PERPETRATORS]
    unbound = forms.formset_factory(
        PerpetratorForm,
        formset=BasePerpetratorFormSet,
        extra=0,
        max_num=MAX_PERPETRATORS,
        absolute_max=MAX_PERPETRATORS,
    )
    return unbound(initial=rows, prefix=PERPETRATOR_PREFIX)


class DiscardForm(ConsoleForm):
    reason = _active(
        DiscardReason,
        label="Why is this not a case?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a reason",
            "invalid_choice": "Choose a reason from the list",
        },
    )
    note = _text("Note (optional)", 2000, rows=3, help_text="Anything a supervisor should know.")

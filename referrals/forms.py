"""The casework forms: refer, answer a referral, log a service, set a follow-up, write a note,
resolve, close, send back and reopen. They only check the shape of what was typed and hand it to
referrals.services / cases.services in the shape those take; the services decide what is allowed."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import Organisation, User
from cases.models import Case, FollowUpKind, ServiceType
from cases.services import VictimCheck
from helpline.forms import ConsoleForm
from helpline.team_forms import StaffChoiceField, staff_label
from project.forms import LocalDateTimeField
from referrals.follow_ups import FollowUpsLeft
from referrals.models import FollowUp
from referrals.selectors import colleagues, organisations_that_completed, people_taking_referrals
from referrals.services import (
    MAX_SERVICE_MINUTES,
    FollowUpEntry,
    ReferralRequest,
    ServiceEntry,
)

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# A follow-up given a day and no time is due by the end of that day.
END_OF_DAY = time(23, 59)


def _required_text(label: str, missing: str, *, rows: int = 3, **kwargs: Any) -> forms.CharField:
    # CharField strips spaces, so an answer of only spaces counts as missing.
    return forms.CharField(
        label=label,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": missing},
        **kwargs,
    )


def _optional_text(label: str, **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        **kwargs,
    )


def _lookup(model: type, label: str, missing: str, **kwargs: Any) -> forms.ModelChoiceField:
    # Chosen by stable code; retired entries are never offered.
    return forms.ModelChoiceField(
        label=label,
        queryset=model.objects.filter(is_active=True),  # type: ignore[attr-defined]
        to_field_name="code",
        error_messages={"required": missing, "invalid_choice": f"{missing} from the list"},
        **kwargs,
    )


class OrganisationField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Organisation.objects.none(), to_field_name="slug", **kwargs)


# Referring ---------------------------------------------------------------------------------------


class ReferForm(ConsoleForm):
    organisation = OrganisationField(
        label="Refer to",
        empty_label="Choose an organisation",
        error_messages={
            "required": "Choose the organisation to refer to",
            "invalid_choice": "Choose an organisation from the list",
        },
    )
    assignee = forms.ChoiceField(
        label="Named person (optional)",
        required=False,
        help_text="Only if you agreed with someone there who takes it. Otherwise anyone at the "
        "organisation can accept it.",
    )
    reason = _required_text(
        "Why you refer the case, and what help is needed",
        "Say why you refer the case and what help is needed",
        help_text="The organisation reads this with the case. Do not repeat what the case "
        "already says: they see it.",
    )
    consent = forms.ChoiceField(
        label="Has the victim agreed to this referral?",
        choices=[("yes", "Yes, the victim agreed to this referral"), ("no", "No")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the victim agreed to this referral"},
        help_text="Ask the victim first, if it is safe to contact them. Without their "
        "agreement only a supervisor can refer, giving the reason.",
    )
    consent_override = _optional_text(
        "Refer without consent: why",
        help_text="Only a supervisor, only when the victim's safety needs it. The reason is "
        "recorded and shown to everyone working on the case.",
    )

    def __init__(self, *args: Any, user: User, supervisor: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisations = Organisation.objects.filter(
            kind=Organisation.Kind.CSO, is_active=True
        ).exclude(pk=user.organisation_id)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.people = {p.get_username(): p for p in people_taking_referrals(organisations)}
        groups: dict[str, list[tuple[str, str]]] = {}
        for username, person in self.people.items():
            groups.setdefault(str(person.organisation), []).append((username, staff_label(person)))
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone at the organisation"),
            *groups.items(),
        ]
        if not supervisor:
            del self.fields["consent_override"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        organisation, username = data.get("organisation"), data.get("assignee")
        person = self.people.get(username or "")
        if organisation and person and person.organisation_id != organisation.pk:
            self.add_error("assignee", f"Choose someone at {organisation}, or anyone there")
        return data

    def request(self) -> ReferralRequest:
        data = self.cleaned_data
        return ReferralRequest(
            organisation=data["organisation"],
            reason=data["reason"],
            consent=data["consent"] == "yes",
            assignee=self.people.get(data.get("assignee") or ""),
            consent_override=data.get("consent_override", ""),
        )


class DeclineForm(ConsoleForm):
    reason = _required_text(
        "Why you decline",
        "Say why you decline, so the helpline can refer elsewhere",
        help_text="The helpline reads this to find another organisation.",
    )


# Services and follow-ups -------------------------------------------------------------------------


def _now_local() -> str:
    return timezone.localtime().strftime(DATETIME_LOCAL)


class ServiceForm(ConsoleForm):
    service_type = _lookup(
        ServiceType, "Service", "Choose the service given", empty_label="Choose a service"
    )
    provided_at = LocalDateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        input_formats=[DATETIME_LOCAL, f"{DATETIME_LOCAL}:%S", "%Y-%m-%d %H:%M"],
        error_messages={
            "required": "Say when the service was given",
            "invalid": "Enter a date and time, like 27/03/2026 14:30",
        },
    )
    duration_minutes = forms.IntegerField(
        label="How long, in minutes (optional)",
        required=False,
        min_value=1,
        max_value=MAX_SERVICE_MINUTES,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*"}),
        error_messages={
            "invalid": "Enter the minutes as a number, like 45",
            "min_value": "Enter at least 1 minute",
            "max_value": "Enter at most a day (1440 minutes)",
        },
    )
    notes = _optional_text(
        "Notes (optional)", help_text="Only your organisation's staff can read these."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("provided_at", _now_local())
        super().__init__(*args, **kwargs)
        self.fields["provided_at"].widget.attrs["max"] = _now_local()

    def entry(self) -> ServiceEntry:
        data = self.cleaned_data
        return ServiceEntry(
            service_type=data["service_type"],
            provided_at=data["provided_at"],
            duration_minutes=data["duration_minutes"],
            notes=data["notes"],
        )


class FollowUpForm(ConsoleForm):
    kind = _lookup(FollowUpKind, "What to do", "Choose what to do", empty_label="Choose")
    due_date = forms.DateField(
        label="Due on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": "Say when it is due",
            "invalid": "Enter a real date, like 27/03/2026",
        },
    )
    due_time = forms.TimeField(
        label="At (optional)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        input_formats=["%H:%M", "%H:%M:%S"],
        help_text="Leave empty for any time that day.",
        error_messages={"invalid": "Enter a time, like 14:30"},
    )
    assignee = StaffChoiceField(
        label="For",
        queryset=User.objects.none(),
        to_field_name="username",
        required=False,
        empty_label="Me",
        error_messages={"invalid_choice": "Choose a colleague from the list"},
    )
    notes = _optional_text(
        "Notes (optional)", help_text="Only your organisation's staff can read these."
    )
    for_victim = forms.BooleanField(
        label="Meant for the victim: show it in the portal",
        required=False,
        help_text="They see what it is and when, never the notes. Tick it for an appointment "
        "or a call they expect.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("due_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = colleagues(user)  # type: ignore[attr-defined]

    def entry(self) -> FollowUpEntry:
        data = self.cleaned_data
        due_at = datetime.combine(data["due_date"], data["due_time"] or END_OF_DAY)
        return FollowUpEntry(
            kind=data["kind"],
            due_at=timezone.make_aware(due_at),
            notes=data["notes"],
            assignee=data["assignee"],
            for_victim=data["for_victim"],
        )


# Notes and the end of a case ---------------------------------------------------------------------


class NoteForm(ConsoleForm):
    text = _required_text("Note", "Write the note first", rows=4)
    shared = forms.BooleanField(
        label="Share with everyone working on this case",
        required=False,
        help_text="Unticked, only your organisation's staff can read it.",
    )


class ResolveForm(ConsoleForm):
    remark = _required_text(
        "What was done",
        "Say what was done, for the helpline that closes the case",
        help_text="The helpline reads this before checking with the victim and closing. Your "
        "organisation's access to the case ends when you resolve it.",
    )
    follow_ups = forms.ChoiceField(
        label="Your open follow-ups on this case",
        choices=FollowUpsLeft.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="Your access ends when you resolve: handed over, they go to whoever holds the "
        "case at the helpline, with their notes.",
    )

    def __init__(self, *args: Any, open_follow_ups: list[FollowUp], **kwargs: Any) -> None:
        """Asks about follow-ups only when the resolver's organisation has open ones on the case."""
        super().__init__(*args, **kwargs)
        self.open_follow_ups = open_follow_ups
        if open_follow_ups:
            self.fields["follow_ups"].required = True
            self.fields["follow_ups"].error_messages["required"] = (
                "Say whether your open follow-ups are done or go to the helpline"
            )
        else:
            del self.fields["follow_ups"]


class CloseForm(ConsoleForm):
    victim_check = forms.ChoiceField(
        label="Did you check with the victim?",
        choices=VictimCheck.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether you checked with the victim"},
        help_text="Contact them only in the ways and at the times shown as safe.",
    )
    remark = _optional_text("Closing remark (optional)")


class SendBackForm(ConsoleForm):
    organisation = OrganisationField(
        label="Send back to",
        empty_label=None,
        error_messages={
            "required": "Choose the organisation to send it back to",
            "invalid_choice": "Choose an organisation from the list",
        },
    )
    remark = _required_text(
        "Why it goes back",
        "Say why the case goes back, for the organisation that gets it",
        help_text="The organisation reads this.",
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        completed = organisations_that_completed(case)
        last = completed.first()
        if last is not None:
            kwargs.setdefault("initial", {}).setdefault("organisation", last.slug)
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = completed  # type: ignore[attr-defined]


class ReopenForm(ConsoleForm):
    reason = _required_text(
        "Why the case is reopened",
        "Say why the case is reopened",
        help_text="It goes back to verified, to be referred again.",
    )

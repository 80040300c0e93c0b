"""The supervisor's forms (reinstate, reassign) and the helpline's staff as a choice, which the
referral form reuses for a CSO's people."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Organisation, User
from helpline.forms import ConsoleForm


class ReinstateForm(ConsoleForm):
    reason = forms.CharField(
        label="Why is it a case after all?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why the case is put back in the queue"},
    )

    def clean_reason(self) -> str:
        value = self.cleaned_data["reason"].strip()
        if not value:
            raise forms.ValidationError("Say why the case is put back in the queue")
        return value


def helpline_staff(helpline: Organisation | None) -> Any:
    """Who can hold a helpline's cases: its active operators and supervisors."""
    return User.objects.filter(
        organisation=helpline,
        is_active=True,
        role__in=[User.Role.OPERATOR, User.Role.SUPERVISOR],
    ).order_by("username")


def staff_label(user: User) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return staff_label(obj)


class ReassignForm(ConsoleForm):
    to = StaffChoiceField(
        label="Hand the case to",
        queryset=User.objects.none(),
        to_field_name="username",
        empty_label="Choose a colleague",
        error_messages={
            "required": "Choose who takes the case",
            "invalid_choice": "Choose a colleague from the list",
        },
    )

    def __init__(
        self,
        *args: Any,
        helpline: Organisation | None,
        holder_id: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        staff = helpline_staff(helpline)
        if holder_id is not None:
            staff = staff.exclude(pk=holder_id)
        self.fields["to"].queryset = staff  # type: ignore[attr-defined]

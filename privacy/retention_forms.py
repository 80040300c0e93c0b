"""The legal-hold forms of the retention page and the case panel."""

from __future__ import annotations

from django import forms

from cases.models import Case, Person

REASON = forms.CharField(
    label="Why",
    widget=forms.Textarea(attrs={"rows": 2}),
    help_text="The court order, claim or request that needs it kept. Kept encrypted.",
)


class HoldForm(forms.Form):
    """Place or lift a hold: a reason is required."""

    reason = REASON


class PlaceHoldForm(forms.Form):
    """A hold on a case (by its number) or a person (by their number in Lantern), on the
    retention page; `cases` and `people` are what the user may see."""

    case_number = forms.CharField(label="Case number", required=False, max_length=32)
    person_id = forms.IntegerField(
        label="Person number",
        required=False,
        min_value=1,
        help_text="Instead of a case: the person's number (on their person page).",
    )
    reason = REASON

    def __init__(self, *args: object, cases=None, people=None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.cases = cases if cases is not None else Case.objects.none()
        self.people = people if people is not None else Person.objects.none()

    def clean(self) -> dict:
        data = super().clean()
        number, person_id = data.get("case_number", "").strip(), data.get("person_id")
        if bool(number) == bool(person_id):
            raise forms.ValidationError("Give a case number or a person number, not both.")
        if number:
            data["case"] = self.cases.filter(number=number).first()
            if data["case"] is None:
                self.add_error("case_number", "No case you can see has this number.")
        else:
            data["person"] = self.people.filter(pk=person_id).first()
            if data["person"] is None:
                self.add_error("person_id", "No person you can see has this number.")
        return data

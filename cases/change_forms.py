"""The case page's "Change details" form: the parts of the case this user may change, prefilled with
what the case says now. Every field carries the value it was shown with (a hidden initial), so only
what the user changed is sent to cases.changes, and a form that went stale while they typed can be
shown again on top of the case as it is now, keeping just their changes."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from cases.addresses import current_address
from cases.change_serializers import CONTACT_PROBLEMS
from cases.changes import CaseChanges
from cases.contact import CONTACT_WORDS, Channel, preferences, problems
from cases.models import Area, Case, CasePerson, Category, Flag, Language, Place, Relationship
from cases.people_changes import PersonChange
from cases.places import place_by_uprn
from project.phones import to_e164

CONTACT_FIELDS = ("contact", "channels", "no_voicemail", "no_text", "no_org_name", "updates",
                  "portal", "safe_from", "safe_until", "contact_language", "safe_times", "email")  # fmt: skip
PERSON_FIELDS = ("name", "phone", "age", "ethnicity", "address", "moved_on", "date_of_birth",
                 "language", "relationship")  # fmt: skip


def _code(model: type, label: str, **kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=model.objects.filter(is_active=True),  # type: ignore[attr-defined]
        to_field_name="code", label=label, required=False, **kwargs,
    )  # fmt: skip


def _text(label: str, max_length: int, rows: int = 0) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else None
    return forms.CharField(label=label, max_length=max_length, required=False, widget=widget)


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label, required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a real date, like 27/3/2026"},
    )  # fmt: skip


def _uprn(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=12, required=False,
        help_text="Choose one of the places suggested as you type the address (Lantern's own "
        "gazetteer; nothing is sent elsewhere), or type its UPRN. Empty: not matched.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )  # fmt: skip


def _suggests(field: forms.Field, uprn_name: str) -> None:
    """The address box asks for gazetteer suggestions as it is typed in (static/js/places.js)."""
    field.widget.attrs |= {
        "data-places-suggest": reverse("places:suggest"),
        "data-places-uprn": f"id_{uprn_name}",
        "data-places-fill": "",
    }


def _age(label: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, min_value=0, max_value=130)


def _person_fields(prefix: str, *, address: bool) -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {
        f"{prefix}name": _text("Name", 300),
        f"{prefix}phone": _text("Phone (only a number that is safe to use)", 40),
        f"{prefix}age": _age("Age"),
        f"{prefix}ethnicity": _text("Ethnicity", 100),
    }
    if address:
        fields[f"{prefix}address"] = _text("Address", 2000, rows=2)
        fields[f"{prefix}moved_on"] = _date("Living there since (when the address changed)")
        fields[f"{prefix}date_of_birth"] = _date("Date of birth")
        fields[f"{prefix}language"] = _code(Language, "Language", empty_label="Not known")
    return fields


class ChangeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why are you changing it?", max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the case's history with the change.",
        error_messages={"required": "Say why you change it."},
    )  # fmt: skip

    def __init__(self, *args: Any, case: Case, parts: frozenset[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case, self.parts = case, parts
        self.perpetrators = [
            link for link in case.people.all() if link.role == CasePerson.Role.PERPETRATOR
        ]
        fields: dict[str, forms.Field] = {}
        if "category" in parts:
            fields["category"] = _code(Category, "Category", empty_label=None)
        if "categories" in parts:
            fields["categories"] = forms.ModelMultipleChoiceField(
                queryset=Category.objects.filter(is_active=True), to_field_name="code",
                required=False, label="Further categories", widget=forms.CheckboxSelectMultiple,
            )  # fmt: skip
        if "priority" in parts:
            fields["priority"] = forms.ChoiceField(
                choices=Case.Priority.choices, label="Priority", widget=forms.RadioSelect
            )
        if "area" in parts:
            fields["area"] = _code(Area, "Area", empty_label="Not known")
        if "incident" in parts:
            fields["incident_date"] = _date("When it happened")
            fields["incident_place"] = _text("Where it happened", 2000)
            fields["incident_uprn"] = _uprn("Matched place (UPRN)")
            _suggests(fields["incident_place"], "incident_uprn")
            fields["incident_description"] = _text("What happened", 20000, rows=4)
        if "victim" in parts:
            fields |= _person_fields("victim_", address=True) | self._contact_fields()
            fields["victim_uprn"] = _uprn("Address matched to the place (UPRN)")
            _suggests(fields["victim_address"], "victim_uprn")
        if "perpetrators" in parts:
            for link in self.perpetrators:
                fields |= _person_fields(f"p{link.pk}_", address=False)
                fields[f"p{link.pk}_relationship"] = _code(
                    Relationship, "Relationship to the victim"
                )
                fields[f"p{link.pk}_remove"] = forms.BooleanField(
                    label="Take off the case (kept in the history)", required=False
                )
            fields |= _person_fields("new_", address=False)
            fields["new_relationship"] = _code(Relationship, "Relationship to the victim")
        if "reporter" in parts:
            fields |= {k: v for k, v in _person_fields("reporter_", address=False).items()
                       if not k.endswith(("age", "ethnicity"))}  # fmt: skip
            fields["reporter_relationship"] = _code(
                Relationship, "Their relationship to the victim"
            )
            fields["reporter_remove"] = forms.BooleanField(
                label="Take the reporter off the case", required=False
            )
        if "flags" in parts:
            fields["flags"] = forms.ModelMultipleChoiceField(
                queryset=Flag.objects.filter(is_active=True), to_field_name="code",
                required=False, label="Flags", widget=forms.CheckboxSelectMultiple,
            )  # fmt: skip
        for field in fields.values():
            field.show_hidden_initial = True  # what the user was shown: only changes are sent
        self.fields |= fields

    def hidden_initials(self) -> SafeString:
        """What each field showed when the page was drawn, posted back with the form."""
        return mark_safe(  # noqa: S308 (widgets' own escaped HTML)
            "".join(
                str(self[name].as_hidden(only_initial=True))
                for name, field in self.fields.items()
                if field.show_hidden_initial
            )
        )

    def person_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The perpetrators' rows on the page: each one on the case, then one to add."""
        prefixes = [f"p{link.pk}_" for link in self.perpetrators] + ["new_"]
        labels = [f"Perpetrator {n}" for n in range(1, len(prefixes))] + ["Add a perpetrator"]
        return [
            (label, [self[name] for name in self.fields if name.startswith(prefix)])
            for label, prefix in zip(labels, prefixes, strict=True)
        ]

    @staticmethod
    def _contact_fields() -> dict[str, forms.Field]:
        return {
            "contact": forms.ChoiceField(
                label="May we contact them?", required=False, widget=forms.RadioSelect,
                choices=[(key, words) for key, words in CONTACT_WORDS.items()],
            ),  # fmt: skip
            "channels": forms.MultipleChoiceField(
                label="Safe ways to contact them", choices=Channel.CHOICES, required=False,
                widget=forms.CheckboxSelectMultiple,
            ),  # fmt: skip
            "no_voicemail": forms.BooleanField(label="Do not leave a voicemail", required=False),
            "no_text": forms.BooleanField(label="Do not send text messages", required=False),
            "no_org_name": forms.BooleanField(label="Do not name the organisation", required=False),
            "updates": forms.BooleanField(label="They want automatic updates", required=False),
            "portal": forms.BooleanField(
                label="They want to follow their report online (the victim portal)",
                required=False,
            ),
            "safe_from": forms.TimeField(label="Safe to contact from", required=False,
                                         widget=forms.TimeInput(attrs={"type": "time"})),
            "safe_until": forms.TimeField(label="Safe until", required=False,
                                          widget=forms.TimeInput(attrs={"type": "time"})),
            "contact_language": forms.ChoiceField(
                label="Language for messages", required=False,
                choices=[("en", "English"), ("cy", "Cymraeg (Welsh)"), ("pl", "Polski (Polish)")],
            ),  # fmt: skip
            "safe_times": _text("Other notes on safe times", 200),
            "email": forms.EmailField(label="Email address (only if safe)", required=False),
        }  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("incident_uprn", "victim_uprn"):
            if data.get(name):
                data[name] = place_by_uprn(data[name])
                if data[name] is None:
                    self.add_error(name, "No place in the gazetteer has that UPRN")
        for name in [n for n in self.fields if n.endswith("phone")]:
            if data.get(name) and not (phone := to_e164(data[name])):
                self.add_error(name, "Enter a phone number, like 07700 900123")
            elif data.get(name):
                data[name] = phone
        for name in ("victim_moved_on", "victim_date_of_birth"):
            if data.get(name) and data[name] > timezone.localdate():
                self.add_error(name, "The date must be today or in the past")
        if "contact" in self.fields and self._changed(CONTACT_FIELDS):
            answers = {**data, "phone": data.get("victim_phone")}
            for name, problem in problems(answers, phone_field="phone"):
                self.add_error(
                    "victim_phone" if name == "phone" else name, CONTACT_PROBLEMS[problem]
                )
        new = [data.get(f"new_{name}") for name in ("name", "phone", "age", "ethnicity")]
        if any(value not in ("", None) for value in new) and not data.get("new_relationship"):
            self.add_error("new_relationship", "Say how the perpetrator is related to the victim.")
        return data

    # What cases.changes needs ------------------------------------------------------------------

    def _changed(self, names: tuple[str, ...] | list[str]) -> list[str]:
        return [name for name in names if name in self.changed_data]

    def _person(self, prefix: str) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            name: data[f"{prefix}{name}"]
            for name in PERSON_FIELDS
            if f"{prefix}{name}" in self.changed_data
        }
        fields.pop("moved_on", None)
        if "address" in fields:
            fields["moved_on"] = data.get(f"{prefix}moved_on")
        return fields

    def place_matches(self) -> dict[str, Place | None]:
        """The gazetteer matches changed (cases.places.change_with_places), None: taken off."""
        data = self.cleaned_data
        return {
            f"{part}_place": data[f"{part}_uprn"] or None
            for part in ("incident", "victim")
            if f"{part}_uprn" in self.changed_data
        }

    def changes(self) -> CaseChanges:
        data, parts = self.cleaned_data, {}
        for name in ("category", "priority", "area"):
            if name in self.changed_data:
                parts[name] = data[name]
        if "categories" in self.changed_data:
            parts["categories"] = list(data["categories"])
        if "flags" in self.changed_data:
            parts["flags"] = [flag.code for flag in data["flags"]]
        incident = {}
        if "incident_date" in self.changed_data:
            day = data["incident_date"]
            incident["occurred_at"] = (
                timezone.make_aware(datetime.combine(day, time.min)) if day else None
            )
        for key, name in (("location", "incident_place"), ("description", "incident_description")):
            if name in self.changed_data:
                incident[key] = data[name]
        if incident:
            parts["incident"] = incident
        if "victim_name" in self.fields:
            victim = self._person("victim_")
            if self._changed(CONTACT_FIELDS):
                answers = {**data, "language": data.get("contact_language")}
                victim["contact"] = preferences(answers, data["contact"]) if data["contact"] else {}
            if victim:
                parts["victim"] = victim
        if "new_name" in self.fields:
            perpetrators = [
                PersonChange(id=link.pk, remove=data[f"p{link.pk}_remove"],
                             fields=self._person(f"p{link.pk}_"))
                for link in self.perpetrators
                if self._changed([n for n in self.fields if n.startswith(f"p{link.pk}_")])
            ]  # fmt: skip
            if data.get("new_relationship"):
                perpetrators.append(PersonChange(fields=self._person("new_")))
            if perpetrators:
                parts["perpetrators"] = perpetrators
        if "reporter_name" in self.fields:
            if data["reporter_remove"]:
                parts["reporter"] = None
            elif reporter := self._person("reporter_"):
                parts["reporter"] = reporter
        return CaseChanges(**parts)


def initial_for(case: Case) -> dict[str, Any]:
    """What the case says now, in the form's fields."""
    initial: dict[str, Any] = {
        "version": case.version, "category": case.category, "priority": case.priority,
        "area": case.area, "categories": [link.category for link in case.other_categories.all()],
        "flags": [link.flag for link in case.flag_links.all()],
        "incident_date": timezone.localdate(case.incident_occurred_at)
        if case.incident_occurred_at else None,
        "incident_place": case.incident_location,
        "incident_description": case.incident_description,
        "incident_uprn": case.place.uprn if case.place else "",
    }  # fmt: skip
    for link in case.people.all():
        prefix = {"victim": "victim_", "reporter": "reporter_"}.get(link.role, f"p{link.pk}_")
        person = link.person
        initial |= {f"{prefix}{name}": getattr(person, name) for name in
                    ("name", "phone", "age", "ethnicity", "address", "language")}  # fmt: skip
        initial[f"{prefix}date_of_birth"] = person.date_of_birth or None
        initial[f"{prefix}relationship"] = link.relationship
        if link.role == "victim":
            address = current_address(person)
            initial["victim_uprn"] = address.place.uprn if address and address.place else ""
            prefs = person.contact_preferences or {}
            initial |= {name: prefs.get(name) for name in CONTACT_FIELDS if name in prefs}
            initial["contact_language"] = prefs.get("language", "en")
    return initial


def _raw(value: Any) -> list[str]:
    """A value as a form posts it."""
    if value in (None, "", False):
        return []
    if value is True:
        return ["on"]
    if isinstance(value, list | tuple):
        return [item for entry in value for item in _raw(entry)]
    if hasattr(value, "code"):
        return [value.code]
    if hasattr(value, "isoformat"):
        return [value.strftime("%H:%M") if isinstance(value, time) else value.isoformat()]
    return [str(value)]


def rebased(stale: ChangeForm, case: Case) -> ChangeForm:
    """A stale form again, on top of the case as it is now: the fields the user changed keep
    their input, every other field shows the case's current value (so sending it again changes
    only what they changed, now knowingly over the other change)."""
    current = initial_for(case)
    fresh = ChangeForm(case=case, parts=stale.parts, initial=current)
    data = QueryDict(mutable=True)
    for name in fresh.fields:
        if name in ("version", "reason"):
            continue
        source = stale if name in stale.changed_data else fresh
        data.setlist(name, _raw(source[name].value()))
        data.setlist(fresh.add_initial_prefix(name), _raw(fresh[name].value()))
    data["version"] = str(case.version)
    data["reason"] = stale.data.get("reason", "")
    return ChangeForm(data, case=case, parts=stale.parts, initial=current)

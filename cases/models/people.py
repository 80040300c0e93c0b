"""What is known about a person beyond their name: contact details with their history (previous
addresses with dates) and external reference numbers (a crime number and its force, the officer
in charge, a housing reference), on people and on cases. Values are encrypted; a blind index of
each normalised value makes them searchable by exact value."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.models.core import Case, Lookup, Person
from project.crypto import EncryptedTextField, blind_index, normalise_text


class ContactType(Lookup):
    """A kind of contact detail (mobile, landline, email, address, ...)."""

    class Shape(models.TextChoices):
        PHONE = "phone", "Phone number"
        EMAIL = "email", "Email address"
        ADDRESS = "address", "Postal address"
        OTHER = "other", "Other"

    shape = models.CharField(max_length=8, choices=Shape.choices, default=Shape.OTHER)
    # masked on screen until someone chooses to see it (the reveal is audited)
    masked = models.BooleanField(default=True)
    history = HistoricalRecords()


class ReferenceType(Lookup):
    """A kind of number another agency gave (crime number, officer in charge, housing reference)."""

    class Applies(models.TextChoices):
        CASE = "case", "Cases"
        PERSON = "person", "People"
        BOTH = "both", "Cases and people"

    applies_to = models.CharField(max_length=8, choices=Applies.choices, default=Applies.BOTH)
    # what the "issued by" box is called for this kind ("Force", "Council"); blank: not asked
    issuer_label = models.CharField(max_length=60, blank=True)
    history = HistoricalRecords()


def value_index(value: str) -> str:
    """The searchable form of a contact detail or reference: case and spacing do not count."""
    return blind_index("detail\x00" + "".join(normalise_text(value).split())) if value else ""


class PersonContact(models.Model):
    """One way of reaching a person, with the dates it held: an address that changed keeps its
    row with `valid_to` set, so previous addresses stay on the record, not only in history."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contacts")
    kind = models.ForeignKey(ContactType, on_delete=models.PROTECT)
    value = EncryptedTextField()
    value_index = models.CharField(max_length=64, db_index=True, editable=False)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)  # None: current
    # an address matched to the gazetteer (cases.places)
    place = models.ForeignKey(
        "cases.Place", on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["valid_to", "-valid_from", "-pk"]  # current first, then newest

    def __str__(self) -> str:
        return f"{self.kind} of person {self.person_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.value_index = value_index(self.value)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "value_index"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ExternalReference(models.Model):
    """A reference another agency uses for a case or a person, searchable by its exact value."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="references"
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="references"
    )
    kind = models.ForeignKey(ReferenceType, on_delete=models.PROTECT)
    value = EncryptedTextField()
    value_index = models.CharField(max_length=64, db_index=True, editable=False)
    issued_by = models.CharField(max_length=120, blank=True)  # a force or agency, not a person
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind__position", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) ^ models.Q(person__isnull=False),
                name="reference_on_a_case_or_a_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} reference {self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.value_index = value_index(self.value)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "value_index"}  # type: ignore[misc]
        super().save(*args, **kwargs)  # type: ignore[arg-type]

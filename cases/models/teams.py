"""Teams within a helpline and the rules that put each new case in a team's queue, and the
gazetteer of places (addresses with their UPRN) that incidents and addresses can be matched to.
Routing and places live here, below the apps that fill them (feeds) and show them (helpline),
because a case points at its team and its place."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import Organisation
from cases.models.core import Area, Category, Language
from project.crypto import EncryptedJSONField


class Team(models.Model):
    """A group of a helpline's staff who work one share of its cases (an area, a language, a kind
    of harm). A case with no team is in the helpline's shared queue."""

    helpline = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=120)
    areas = models.ManyToManyField(Area, blank=True, related_name="teams")
    languages = models.ManyToManyField(Language, blank=True, related_name="teams")
    # case channels this team answers (Case.Channel values); empty: any
    channels = models.JSONField(default=list, blank=True)
    specialisms = models.ManyToManyField(Category, blank=True, related_name="teams")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["helpline", "name"], name="one_team_name_per_helpline")
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """One rule of a helpline's routing: a new case that matches every condition set goes to
    `team`. Rules are tried by `position`; the first match wins; no match leaves the case in the
    shared queue."""

    helpline = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=100)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="rules")
    # conditions; blank or null means "any"
    force = models.CharField(
        max_length=120, blank=True, help_text="The police force a feed row falls within."
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, null=True, blank=True)
    language = models.ForeignKey(Language, on_delete=models.PROTECT, null=True, blank=True)
    channel = models.CharField(max_length=8, blank=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["helpline", "position", "pk"]

    def __str__(self) -> str:
        return f"Rule {self.position} to {self.team}"


class Place(models.Model):
    """An entry of the gazetteer: an addressable place and its UPRN (Unique Property Reference
    Number), imported from open data through the feeds engine. Public reference data, not a
    victim's address: a case or a contact detail only points at it."""

    uprn = models.CharField(max_length=12, unique=True)
    address = models.CharField(max_length=500, blank=True)
    postcode = models.CharField(max_length=8, blank=True, db_index=True)
    # the normalised address (cases.places), for suggestions as someone types
    search_text = models.CharField(max_length=500, blank=True, db_index=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    easting = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    northing = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # the import batch (feeds.ImportBatch) that created or last changed it; no key, as feeds sits
    # above cases
    batch_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uprn"]

    def __str__(self) -> str:
        return f"UPRN {self.uprn}"


class ExternalEvent(models.Model):
    """Something another agency's system told us about a case (a crime system: "suspect charged",
    "court date set"): an entry of the case's timeline. What came with it is encrypted."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="external_events")
    source = models.CharField(max_length=200)  # who told us: a partner system's name
    kind = models.CharField(max_length=64)  # the event type's code
    label = models.CharField(max_length=200)  # the event in words, as admins named its type
    occurred_at = models.DateTimeField()
    data = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = "crime system update"

    def __str__(self) -> str:
        return f"{self.label} on case {self.case_id}"

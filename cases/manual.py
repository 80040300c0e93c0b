"""A case opened by staff themselves (issue 12 item 2): someone walked in, rang an outside line, a
partner called, an email came. The first report is what the opener typed, stored like any other
report (unique per source id, so a double submit opens one case), then the victim and, when
someone else is reporting for them, the reporter (role `reporter`, with their relationship), and
the opener may claim it at once. One transaction; the console hears of it after commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from accounts.models import User
from cases.addresses import move_address
from cases.models import Case, CasePerson, Language, Person, Relationship, Report
from cases.moves import move_case, organisation_of
from cases.policy import can_open_case
from cases.routing import assign_team
from cases.services import IncomingReport, open_case
from cases.workflow import CaseError, NotAllowedError
from project.history import attribute_change

# The channels a member of staff opens a case from; sms, voice, web, feed and api arrive by
# themselves.
STAFF_CHANNELS = (
    Case.Channel.WALK_IN,
    Case.Channel.PHONE,
    Case.Channel.PARTNER,
    Case.Channel.EMAIL,
    Case.Channel.OTHER,
)


@dataclass(frozen=True)
class NewVictim:
    """What the opener learnt about the victim (all optional: a walk-in may give nothing yet)."""

    name: str = ""
    phone: str = ""  # E.164
    age: int | None = None
    ethnicity: str = ""
    address: str = ""
    date_of_birth: str = ""  # ISO date
    language: Language | None = None
    contact_preferences: dict[str, Any] = field(default_factory=dict)

    def is_blank(self) -> bool:
        return not any(
            (self.name, self.phone, self.age is not None, self.ethnicity, self.address,
             self.date_of_birth, self.language, self.contact_preferences)
        )  # fmt: skip


@dataclass(frozen=True)
class NewReporter:
    """Someone reporting for the victim (a friend, a professional)."""

    name: str = ""
    phone: str = ""  # E.164
    relationship: Relationship | None = None


@dataclass(frozen=True)
class StaffReport:
    channel: str
    description: str
    occurred_at: datetime | None = None
    location: str = ""
    victim: NewVictim = field(default_factory=NewVictim)
    reporter: NewReporter | None = None  # None: the victim is reporting themselves
    claim: bool = False
    # the page's one-time token: the same submission twice opens one case
    source_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def open_staff_case(*, actor: User, report: StaffReport) -> tuple[Case, bool]:
    """Open the case (and claim it if asked). Returns (case, opened now); a repeat of the same
    submission returns the case it opened and False."""
    if not can_open_case(actor):
        raise NotAllowedError("You cannot open cases.")
    if report.channel not in STAFF_CHANNELS:
        raise CaseError(f"Staff cannot open a case from the channel {report.channel!r}.")
    if not report.description.strip():
        raise CaseError("Say what happened.")
    if report.reporter is not None and not (report.reporter.name or report.reporter.phone):
        raise CaseError("Give the reporter's name or phone, or say the victim is reporting.")
    with transaction.atomic():
        case, created = open_case(
            helpline=organisation_of(actor),  # can_open_case: a helpline's worker
            report=IncomingReport(
                channel=report.channel,
                source_id=report.source_id,
                # The sender drives "repeat contact": a later text from this number joins the
                # case. Only the victim's own number may do that, never a reporter's.
                sender=report.victim.phone if report.reporter is None else "",
                body=report.description,
                raw={"opened_by": actor.pk},
            ),
            actor=actor,
        )
        if not created:
            return _repeated(case, actor, report), False
        reason = f"Opened by hand ({case.get_channel_display()})"
        case.incident_description = report.description
        case.incident_occurred_at = report.occurred_at
        case.incident_location = report.location
        attribute_change(case, actor=actor, reason=reason)
        case.save(
            update_fields=[
                "incident_description",
                "incident_occurred_at",
                "incident_location",
                "updated_at",
            ]
        )
        if not report.victim.is_blank():
            victim = _link(case, _victim(report.victim), CasePerson.Role.VICTIM, actor).person
            if report.victim.address:  # its own dated row, so a later move keeps it
                move_address(victim, report.victim.address, actor, reason)
        if report.reporter is not None:
            reporter = Person(name=report.reporter.name, phone=report.reporter.phone)
            _link(case, reporter, CasePerson.Role.REPORTER, actor, report.reporter.relationship)
        assign_team(case, actor=actor)  # the victim's language is known now
        if report.claim:
            case = move_case(
                case=case,
                to=Case.Status.IN_TRIAGE,
                actor=actor,
                reason="Claimed by the person who opened it",
                action="claim",
            )
    return case, True


def _repeated(case: Case, actor: User, report: StaffReport) -> Case:
    """The same submission again: its case, only for the one who opened it."""
    first = Report.objects.filter(channel=report.channel, source_id=report.source_id).first()
    if first is None or (first.raw or {}).get("opened_by") != actor.pk:
        raise CaseError("This form was already used. Open the new case page again.")
    return case


def _victim(victim: NewVictim) -> Person:
    return Person(
        name=victim.name,
        phone=victim.phone,
        age=victim.age,
        ethnicity=victim.ethnicity,
        date_of_birth=victim.date_of_birth,
        language=victim.language,
        contact_preferences=victim.contact_preferences,
    )


def _link(
    case: Case, person: Person, role: str, actor: User, relationship: Relationship | None = None
) -> CasePerson:
    reason = f"{CasePerson.Role(role).label} recorded when the case was opened"
    attribute_change(person, actor=actor, reason=reason)
    person.save()
    link = CasePerson(case=case, person=person, role=role, relationship=relationship)
    attribute_change(link, actor=actor, reason=reason)
    link.save()
    return link

"""Triage: claiming a new case, handing it back, taking the next one, verifying it as genuine or
discarding it, and the supervisor's reinstating and reassigning. Every move goes through
cases.services.move_case (the state machine, history, events after commit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Case as Cases
from django.db.models import IntegerField, Q, Value, When
from django.utils import timezone

from accounts.models import User
from accounts.selectors import staff_with
from cases import events, targets
from cases.addresses import move_address
from cases.flags import apply_categories, apply_flags, bump_version
from cases.known_people import alert_known_perpetrators
from cases.models import (
    Area,
    Case,
    CasePerson,
    Category,
    DiscardReason,
    Language,
    Person,
    Relationship,
)
from cases.policy import can_work_case
from cases.routing import assign_team
from cases.services import (
    IncidentDetails,
    VictimDetails,
    case_summary,
    lock_case,
    move_case,
    require,
)
from cases.targets import DEFAULT_SLA_MINUTES  # noqa: F401  (helpline.queue and helpline.team read it)
from cases.teams import queue_scope
from cases.workflow import CaseError, IllegalMoveError, NotAllowedError, check_action
from notifications import realtime
from notifications.services import notify_staff
from project.history import attribute_change


class TriageError(CaseError):
    """A triage action refused for a reason the person acting can see."""


class ClaimedByOtherError(TriageError):
    """Someone else holds the case (the API answers 409 and says who, since when)."""

    http_status = 409

    @property
    def details(self) -> dict[str, object]:
        return {"claimed_by": self.holder, "claimed_at": self.since}

    def __init__(self, case: Case) -> None:
        self.holder = case.claimed_by.get_username() if case.claimed_by else ""
        self.since = case.claimed_at
        super().__init__(f"Already claimed by {self.holder}.")


@dataclass(frozen=True)
class PerpetratorDetails:
    name: str = ""
    age: int | None = None
    ethnicity: str = ""
    relationship: Relationship | None = None


@dataclass(frozen=True)
class VictimRecord(VictimDetails):
    age: int | None = None
    ethnicity: str = ""
    address: str = ""
    language: Language | None = None  # None: leave as it is


@dataclass(frozen=True)
class Verification:
    category: Category
    priority: str
    incident: IncidentDetails = field(default_factory=IncidentDetails)
    victim: VictimRecord | None = None
    perpetrators: list[PerpetratorDetails] = field(default_factory=list)
    area: Area | None = None
    # codes, all of them wanted (cases.flags); None: leave them as they are
    categories: tuple[str, ...] | None = None  # the further ones (the primary is `category`)
    flags: tuple[str, ...] | None = None


def _lock(case: Case, actor: User) -> Case:
    locked = (
        Case.objects.select_for_update(of=("self",)).select_related("claimed_by").get(pk=case.pk)
    )
    require(can_work_case(actor, locked), locked, "You cannot work on this case.")
    return locked


def _is_supervisor(actor: User) -> bool:
    return actor.has_perm("cases.supervise_case")


def _require_holder(locked: Case, actor: User, action: str) -> None:
    """The case is in triage (409 with its status otherwise: CONTRACT.md) and the actor holds it,
    or supervises."""
    check_action(locked.status, action)
    if locked.claimed_by_id != actor.pk and not _is_supervisor(actor):
        raise ClaimedByOtherError(locked)


@transaction.atomic
def claim_case(*, case: Case, actor: User) -> Case:
    """Take a new case. Claiming one's own claim again is a no-op; someone else's is refused."""
    locked = _lock(case, actor)
    if locked.status == Case.Status.IN_TRIAGE:
        if locked.claimed_by_id == actor.pk:
            return locked
        raise ClaimedByOtherError(locked)
    return move_case(
        case=locked, to=Case.Status.IN_TRIAGE, actor=actor, reason="Claimed", action="claim"
    )


@transaction.atomic
def release_case(*, case: Case, actor: User, reason: str = "Released") -> Case:
    """Hand a claimed case back to the queue: its holder, or a supervisor (force-release)."""
    locked = _lock(case, actor)
    _require_holder(locked, actor, "release")
    return move_case(case=locked, to=Case.Status.NEW, actor=actor, reason=reason, action="release")


@transaction.atomic
def release_idle_claim(
    *, case: Case, holder_id: int, idle_minutes: int, still_idle: Callable[[Case], bool]
) -> Case | None:
    """Lantern hands a claim left idle back to the queue (UX.md 3; live.idle_claims decides when).
    A system release: no actor, the reason says why. Nothing happens (None) if, under the case's
    lock, it is no longer held by `holder_id` in triage or `still_idle(locked)` says the holder
    came back (checked under the lock, so work saved meanwhile keeps the claim)."""
    locked = lock_case(case)
    if locked.status != Case.Status.IN_TRIAGE or locked.claimed_by_id != holder_id:
        return None
    if not still_idle(locked):
        return None
    reason = f"Returned to the queue: idle {idle_minutes} minutes"
    return move_case(case=locked, to=Case.Status.NEW, actor=None, reason=reason, action="release")


def sla_minutes() -> dict[str, int]:
    """Minutes an unclaimed case of each priority may wait: the admin's deadlines by priority."""
    return targets.sla_minutes()


def overdue_unclaimed(now: datetime) -> Q:
    """New cases nobody has claimed within their priority's target."""
    targets = sla_minutes()
    late = Q(pk__in=[])
    for priority in Case.Priority.values:
        minutes = targets.get(priority, DEFAULT_SLA_MINUTES["standard"])
        late |= Q(priority=priority, created_at__lt=now - timedelta(minutes=minutes))
    return Q(status=Case.Status.NEW) & late


def alert_sla_breaches(*, now: datetime | None = None) -> int:
    """Tell each helpline's supervisors, once per case, about new cases waiting past their target.
    Returns how many cases were reported."""
    from notifications.models import Notification

    now = now or timezone.now()
    told = Notification.objects.filter(kind="queue.sla_breach").values("case_number")
    reported = 0
    for case in Case.objects.filter(overdue_unclaimed(now)).exclude(number__in=told):
        with transaction.atomic():
            notify_staff(
                users=staff_with(case.helpline_id, "cases.supervise_case"),
                kind="queue.sla_breach",
                case_number=case.number,
                text=f"{case.get_priority_display()} report {case.number} waits past its target",
            )
        reported += 1
    return reported


PRIORITY_RANK = Cases(
    When(priority=Case.Priority.HIGH, then=Value(0)),
    When(priority=Case.Priority.MEDIUM, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


@transaction.atomic
def take_next(*, actor: User) -> Case | None:
    """Claim the most urgent, oldest unclaimed case of the actor's helpline, or None. Rows another
    operator is claiming right now are skipped, not waited for, so no case is given twice."""
    # from the queue the actor works: their teams' and the shared queue (cases.teams)
    candidate = (
        queue_scope(actor)
        .apply(Case.objects.select_for_update(skip_locked=True))
        .filter(helpline_id=actor.organisation_id, status=Case.Status.NEW)
        .order_by(PRIORITY_RANK.asc(), "created_at")
        .first()
    )
    if candidate is None or not can_work_case(actor, candidate):
        return None
    return move_case(
        case=candidate, to=Case.Status.IN_TRIAGE, actor=actor, reason="Taken next", action="claim"
    )


@transaction.atomic
def verify_case(*, case: Case, actor: User, verification: Verification) -> Case:
    """Record a genuine case: category, priority, incident, victim, perpetrators; then verified."""
    locked = _lock(case, actor)
    _require_holder(locked, actor, "verify")
    if verification.priority not in Case.Priority.values:
        raise TriageError(f"Unknown priority {verification.priority!r}.")
    incident = verification.incident
    locked.category = verification.category
    locked.priority = verification.priority
    locked.area = verification.area or locked.area
    locked.incident_occurred_at = incident.occurred_at or locked.incident_occurred_at
    locked.incident_location = incident.location or locked.incident_location
    locked.incident_description = incident.description or locked.incident_description
    # a change of the case's details like any other: a writer who read it before is refused (409)
    bump_version(
        locked, actor, "Details recorded at verification",
        fields=["category", "priority", "area", "incident_occurred_at", "incident_location",
                "incident_description"],
    )  # fmt: skip
    _record_flags_and_categories(locked, verification, actor)
    if verification.victim is not None:
        _record_victim(locked, verification.victim, actor)
    for perpetrator in verification.perpetrators:
        _add_person(
            locked,
            Person(name=perpetrator.name, age=perpetrator.age, ethnicity=perpetrator.ethnicity),
            CasePerson.Role.PERPETRATOR,
            actor,
            relationship=perpetrator.relationship,
        )
    alert_known_perpetrators(case=locked, people=_perpetrators(locked), actor=actor)
    # the details now known (category, area, the victim's language) may route it to a team
    assign_team(locked, actor=actor)
    verified = move_case(
        case=locked,
        to=Case.Status.VERIFIED,
        actor=actor,
        reason="Verified as genuine",
        action="verify",
    )
    events.case_event(case=verified, event=events.CASE_TAKEN_ON, actor=actor)
    return verified


def _record_flags_and_categories(locked: Case, verification: Verification, actor: User) -> None:
    """Part of the record from the start: each flag set or cleared and each further category added
    or taken off leaves its history row (cases.flags); an unknown code refuses the verification."""
    why = "Recorded at verification"
    if verification.categories is not None:
        apply_categories(locked, actor=actor, codes=verification.categories, reason=why)
    if verification.flags is not None:
        have = set(locked.flag_links.values_list("flag__code", flat=True))
        wanted = set(verification.flags)
        apply_flags(locked, actor=actor, add=wanted - have, remove=have - wanted, reason=why)


def _perpetrators(case: Case) -> list[Person]:
    return list(Person.objects.filter(cases__case=case, cases__role=CasePerson.Role.PERPETRATOR))


def _record_victim(case: Case, victim: VictimRecord, actor: User) -> None:
    """Update the victim the report already named (the web form), or add one."""
    link = case.people.select_related("person").filter(role=CasePerson.Role.VICTIM).first()
    person = link.person if link else Person()
    for name in ("name", "phone", "age", "ethnicity"):
        value = getattr(victim, name)
        if value not in ("", None):
            setattr(person, name, value)
    if victim.contact_preferences:
        person.contact_preferences = victim.contact_preferences
    if victim.language is not None:
        person.language = victim.language
    if link:
        attribute_change(person, actor=actor, reason="Victim's details recorded at verification")
        person.save()
    else:
        _add_person(case, person, CasePerson.Role.VICTIM, actor)
    if victim.address:
        # the address they had stays on the record with its dates (cases.addresses)
        move_address(person, victim.address, actor, "Victim's address recorded at verification")


def _add_person(
    case: Case, person: Person, role: str, actor: User, relationship: Relationship | None = None
) -> None:
    attribute_change(person, actor=actor, reason=f"{role.capitalize()} recorded at verification")
    person.save()
    link = CasePerson(case=case, person=person, role=role, relationship=relationship)
    attribute_change(link, actor=actor, reason=f"{role.capitalize()} recorded at verification")
    link.save()


@transaction.atomic
def discard_case(*, case: Case, actor: User, reason: DiscardReason, note: str = "") -> Case:
    """Not a case (prank, wrong number...): a reason code is required; a supervisor can reinstate."""
    locked = _lock(case, actor)
    _require_holder(locked, actor, "discard")
    locked.discard_reason = reason
    locked.discard_note = note
    locked.save(update_fields=["discard_reason", "discard_note", "updated_at"])
    return move_case(
        case=locked,
        to=Case.Status.DISCARDED,
        actor=actor,
        reason=f"Discarded: {reason.label}",
        action="discard",
    )


@transaction.atomic
def reinstate_case(*, case: Case, actor: User, reason: str) -> Case:
    """A supervisor puts a wrongly discarded case back in the queue, saying why."""
    locked = _lock(case, actor)
    if not _is_supervisor(actor):
        raise NotAllowedError("Only a supervisor can reinstate a discarded case.")
    check_action(locked.status, "reinstate")
    if not reason.strip():
        raise TriageError("Say why the case is reinstated.")
    return move_case(
        case=locked,
        to=Case.Status.NEW,
        actor=actor,
        reason=f"Reinstated: {reason}",
        action="reinstate",
    )


@transaction.atomic
def reassign_case(*, case: Case, actor: User, to: User) -> Case:
    """A supervisor hands a claimed case to another operator of the same helpline."""
    locked = _lock(case, actor)
    if not _is_supervisor(actor):
        raise NotAllowedError("Only a supervisor can reassign a case.")
    if locked.status != Case.Status.IN_TRIAGE:
        raise IllegalMoveError(locked.status, locked.status, "reassigned: only a claimed case can")
    if not can_work_case(to, locked):
        raise TriageError(f"{to.get_username()} cannot work on this case.")
    locked.claimed_by, locked.claimed_at = to, timezone.now()
    attribute_change(locked, actor=actor, reason=f"Reassigned to {to.get_username()}")
    locked.save(update_fields=["claimed_by", "claimed_at", "updated_at"])
    notify_staff(
        users=[to],
        kind="case.assigned",
        case_number=locked.number,
        text=f"{actor.get_username()} handed case {locked.number} to you",
    )
    realtime.broadcast_case_event(
        locked.helpline_id,
        realtime.CaseEvent(type="case.claimed", case=case_summary(locked)),
    )
    return locked

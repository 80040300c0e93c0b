"""Changing a case's details after triage (issue 12 item 1): category, further categories,
priority, area, incident, victim, perpetrators, reporter and flags, in one change with one reason.

The writer sends the case's `version` they read: a stale one is refused (StaleVersionError, 409)
with who changed it, when and what, so nobody overwrites a colleague's change unseen. Each part
changed writes its own history row(s) with the reason, old and new values kept by the history
tables; the version goes up once; the console hears after commit. Who may change which part is
the policy's (cases.policy.changeable_details)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.models import User
from cases import people_changes
from cases.flags import apply_categories, apply_flags, bump_version, require_reason
from cases.models import Area, Case, Category
from cases.moves import lock_case
from cases.people_changes import PersonChange
from cases.policy import changeable_details
from cases.selectors import case_history
from cases.workflow import CaseError, ConflictError, NotAllowedError, ReadOnlyError
from project.history import attribute_change


class _NotSent:
    """A part the writer did not send (None is a value: "no area", "no reporter")."""

    def __repr__(self) -> str:
        return "NOT_SENT"


NOT_SENT: Any = _NotSent()

# The parts in the order a page lists them, with the words a refusal uses.
PART_WORDS = {
    "category": "category",
    "categories": "further categories",
    "priority": "priority",
    "area": "area",
    "incident": "incident",
    "victim": "victim's details",
    "perpetrators": "perpetrators",
    "reporter": "reporter",
    "flags": "flags",
}


@dataclass(frozen=True)
class CaseChanges:
    """What the writer sent. Person parts are mappings of only the fields sent (name, phone, age,
    ethnicity, address, moved_on, date_of_birth, language, contact, relationship)."""

    category: Category | None = NOT_SENT
    categories: Sequence[Category] = NOT_SENT
    priority: str = NOT_SENT
    area: Area | None = NOT_SENT
    incident: Mapping[str, Any] = NOT_SENT  # occurred_at, location, description
    victim: Mapping[str, Any] = NOT_SENT
    perpetrators: Sequence[PersonChange] = NOT_SENT
    reporter: Mapping[str, Any] | None = NOT_SENT  # None: take the reporter off the case
    flags: Sequence[str] = NOT_SENT  # the codes wanted, all of them

    def parts(self) -> list[str]:
        return [name for name in PART_WORDS if getattr(self, name) is not NOT_SENT]


class StaleVersionError(ConflictError):
    """The case changed since the writer read it (409): who changed it, when, and what."""

    def __init__(self, case: Case, read: int, entries: list[dict[str, Any]]) -> None:
        self.version, self.status = case.version, case.status
        # Who and when come from the case's newest history row: every change of its details
        # (a merge, a reference, a risk assessment too) bumps the version with one.
        latest = (
            case.history.select_related("history_user").order_by("-history_date", "-history_id")
        ).first()
        user = latest.history_user if latest else None
        self.changed_by = user.get_username() if user else None
        self.changed_at = latest.history_date if latest else None
        self.reason = (latest.history_change_reason or "") if latest else ""
        # Without a field of its own to show (a reference added, a merge), the change says why.
        self.entries = entries or [
            {"record": "case", "action": "changed", "by": self.changed_by, "at": self.changed_at,
             "reason": self.reason, "changes": [{"field": "details"}]}
        ]  # fmt: skip
        by = f" by {self.changed_by}" if self.changed_by else ""
        super().__init__(
            f"The case changed{by} since you read it (version {read}, now {case.version}): "
            "read the changes, then make yours again."
        )

    @property
    def details(self) -> dict[str, object]:
        return {
            "status": self.status,
            "version": self.version,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat() if self.changed_at else None,
            "reason": self.reason,
            "changes": [
                {
                    "record": entry["record"],
                    "field": change["field"],
                    "from": change.get("from"),
                    "to": change.get("to"),
                }
                for entry in self.entries
                for change in entry["changes"] or [{"field": entry["action"]}]
                if change["field"] not in BOOKKEEPING
            ],  # fmt: skip
        }


# The records a change of details writes (cases.selectors.case_history names them so).
CHANGED_RECORDS = frozenset(
    {"case", "person", "case person", "case flag", "further category", "person contact"}
)


def changes_since(user: User, case: Case, version: int) -> list[dict[str, Any]]:
    """The history entries of changes to the case's details made after `version` (the timeline's
    entries, so a value shows only where the timeline would show it to this user)."""
    rows = list(
        case.history.order_by("history_date", "history_id").values("version", "history_date")
    )
    seen = [row["history_date"] for row in rows if row["version"] <= version]
    since = seen[-1] if seen else None
    return [
        entry
        for entry in case_history(user, case)
        if entry["record"] in CHANGED_RECORDS
        and (since is None or entry["at"] > since)
        and not (entry["record"] == "case" and _only_bookkeeping(entry))
    ]


BOOKKEEPING = ("version", "updated_at")


def _only_bookkeeping(entry: dict[str, Any]) -> bool:
    return all(change["field"] in BOOKKEEPING for change in entry["changes"])


def _check(actor: User, locked: Case, version: int, parts: list[str]) -> None:
    if locked.is_read_only:
        raise ReadOnlyError(locked.number, locked.status)
    allowed = changeable_details(actor, locked)
    if not allowed:
        raise NotAllowedError("You cannot change this case's details now.")
    if refused := [part for part in parts if part not in allowed]:
        words = ", ".join(PART_WORDS[part] for part in refused)
        raise NotAllowedError(f"You cannot change the {words} of this case.")
    if locked.version != version:
        raise StaleVersionError(locked, version, changes_since(actor, locked, version))


INCIDENT_FIELDS = {
    "occurred_at": "incident_occurred_at",
    "location": "incident_location",
    "description": "incident_description",
}


def _case_fields(locked: Case, changes: CaseChanges) -> list[str]:
    """Set the case's own fields that differ; the names of those changed."""
    wanted: dict[str, Any] = {}
    for name in ("category", "priority", "area"):
        if (value := getattr(changes, name)) is not NOT_SENT:
            wanted[name] = value
    if changes.incident is not NOT_SENT:
        for key, value in changes.incident.items():
            wanted[INCIDENT_FIELDS[key]] = (
                value if value is not None or key == "occurred_at" else ""
            )
    if "category" in wanted and wanted["category"] is None:
        raise CaseError("A case keeps its category: choose another one rather than none.")
    if "priority" in wanted and wanted["priority"] not in Case.Priority.values:
        raise CaseError(f"Unknown priority {wanted['priority']!r}.")
    changed = [name for name, value in wanted.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, wanted[name])
    return changed


@transaction.atomic
def change_case(
    *, case: Case, actor: User, version: int, reason: str, changes: CaseChanges
) -> Case:
    """Change the details sent, all or none. Refusals: nothing sent or nothing different, or no
    reason (400); a part this actor may not change (403); a stale version, or a case read-only
    (409)."""
    parts = changes.parts()
    if not parts:
        raise CaseError("Nothing to change.")
    why = f"Changed: {require_reason(reason)}"
    locked = lock_case(case)
    _check(actor, locked, version, parts)
    fields = _case_fields(locked, changes)
    changed = bool(fields)
    if changes.categories is not NOT_SENT:
        codes = [category.code for category in changes.categories]
        changed |= apply_categories(locked, actor=actor, codes=codes, reason=why)
    if changes.flags is not NOT_SENT:
        have = set(locked.flag_links.values_list("flag__code", flat=True))
        wanted = set(changes.flags)
        changed |= apply_flags(
            locked, actor=actor, add=wanted - have, remove=have - wanted, reason=why
        )
    people = people_changes.PeopleChange(locked, actor, why)
    if changes.victim is not NOT_SENT:
        changed |= people.victim(changes.victim)
    if changes.perpetrators is not NOT_SENT:
        changed |= people.perpetrators(changes.perpetrators)
    if changes.reporter is not NOT_SENT:
        changed |= people.reporter(changes.reporter)
    if not changed:
        raise CaseError("Nothing to change: what you sent is what the case already says.")
    attribute_change(locked, actor=actor, reason=why)
    bump_version(locked, actor, why, fields=fields)
    people.after_save()
    return locked

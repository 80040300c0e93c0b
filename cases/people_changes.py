"""The people part of a change to a case's details (cases.changes): the victim's details, the
perpetrators added, changed or taken off, and the reporter. Works on a case the caller locked, in
the caller's transaction; each record changed writes its own history row with the reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from accounts.models import User
from cases.addresses import move_address
from cases.known_people import alert_known_perpetrators
from cases.models import Case, CasePerson, Person
from cases.workflow import CaseError
from project.history import attribute_change


@dataclass(frozen=True)
class PersonChange:
    """A perpetrator to change (`id`: their CasePerson id, or their person id), to take off the
    case (`remove`: the link goes, the person and the history stay) or, without an id, to add."""

    id: int | None = None
    remove: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)


def _stored(name: str, value: Any) -> tuple[str, Any]:
    if name == "date_of_birth":
        return name, value.isoformat() if isinstance(value, date) else (value or "")
    if name == "contact":
        return "contact_preferences", dict(value or {})
    if name in ("name", "ethnicity", "phone"):
        return name, value or ""
    return name, value


class PeopleChange:
    def __init__(self, case: Case, actor: User, reason: str) -> None:
        self.case, self.actor, self.reason = case, actor, reason
        self.added_perpetrators: list[Person] = []
        self.links = list(self.case.people.select_related("person", "relationship"))

    def _links(self, role: str) -> list[CasePerson]:
        return [link for link in self.links if link.role == role]

    # one person ------------------------------------------------------------------------------

    def _update(self, person: Person, fields: Mapping[str, Any]) -> bool:
        """Set the fields sent that differ (one history row); the address through its own rows."""
        changed = []
        for name, value in fields.items():
            if name in ("address", "moved_on", "relationship"):
                continue
            attribute, stored = _stored(name, value)
            if getattr(person, attribute) != stored:
                setattr(person, attribute, stored)
                changed.append(attribute)
        if changed:
            attribute_change(person, actor=self.actor, reason=self.reason)
            person.save(update_fields=changed)
        address = fields.get("address")
        moved = address is not None and (address or "").strip() != person.address
        if moved:
            move_address(person, address, self.actor, self.reason, fields.get("moved_on"))
        return bool(changed) or moved

    def _add(self, role: str, fields: Mapping[str, Any]) -> Person:
        person = Person()
        for name, value in fields.items():
            if name not in ("address", "moved_on", "relationship"):
                attribute, stored = _stored(name, value)
                setattr(person, attribute, stored)
        attribute_change(person, actor=self.actor, reason=self.reason)
        person.save()
        if fields.get("address"):
            move_address(person, fields["address"], self.actor, self.reason, fields.get("moved_on"))
        link = CasePerson(
            case=self.case, person=person, role=role, relationship=fields.get("relationship")
        )
        attribute_change(link, actor=self.actor, reason=self.reason)
        link.save()
        self.links.append(link)
        return person

    def _relate(self, link: CasePerson, fields: Mapping[str, Any]) -> bool:
        if "relationship" not in fields or link.relationship_id == (
            fields["relationship"].pk if fields["relationship"] else None
        ):
            return False
        link.relationship = fields["relationship"]
        attribute_change(link, actor=self.actor, reason=self.reason)
        link.save(update_fields=["relationship"])
        return True

    def _remove(self, link: CasePerson) -> None:
        """The person leaves the case; the person, and the history of the link, stay."""
        attribute_change(link, actor=self.actor, reason=self.reason)
        link.delete()
        self.links.remove(link)

    # the parts -------------------------------------------------------------------------------

    def victim(self, fields: Mapping[str, Any]) -> bool:
        links = self._links(CasePerson.Role.VICTIM)
        if links:
            return self._update(links[0].person, fields)
        if not any(value not in ("", None, {}) for value in fields.values()):
            return False
        self._add(CasePerson.Role.VICTIM, fields)
        return True

    def perpetrators(self, changes: Sequence[PersonChange]) -> bool:
        changed = False
        for change in changes:
            if change.id is None:
                if change.remove:
                    raise CaseError("Only a perpetrator on the case can be taken off it.")
                if change.fields.get("relationship") is None:
                    raise CaseError("Say how a perpetrator added is related to the victim.")
                self.added_perpetrators.append(
                    self._add(CasePerson.Role.PERPETRATOR, change.fields)
                )
                changed = True
                continue
            link = self._perpetrator(change.id)
            if change.remove:
                self._remove(link)
                changed = True
            else:
                changed |= self._update(link.person, change.fields)
                changed |= self._relate(link, change.fields)
        return changed

    def _perpetrator(self, id: int) -> CasePerson:
        links = self._links(CasePerson.Role.PERPETRATOR)
        link = next((link for link in links if link.pk == id), None) or next(
            (link for link in links if link.person_id == id), None
        )
        if link is None:
            raise CaseError(f"No perpetrator {id} on this case.")
        return link

    def reporter(self, fields: Mapping[str, Any] | None) -> bool:
        links = self._links(CasePerson.Role.REPORTER)
        if fields is None:
            for link in links:
                self._remove(link)
            return bool(links)
        if links:
            return self._update(links[0].person, fields) | self._relate(links[0], fields)
        self._add(CasePerson.Role.REPORTER, fields)
        return True

    def after_save(self) -> None:
        """Supervisors hear of perpetrators just added who are named on other open cases."""
        if self.added_perpetrators:
            alert_known_perpetrators(
                case=self.case, people=self.added_perpetrators, actor=self.actor
            )

"""What an erasure would do, shown to the deciding officer BEFORE they approve (SECURITY DP-09): on
each case the person is on, their part, what goes and what stays; and what goes of their own
details. Counts and kinds only, never a value: the preview names nobody. Cases the officer may not
see are counted, not listed (privacy.erasure_data says what the erasure itself does)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q

from cases.models import CasePerson, Draft, Person, Report
from cases.policy import visible_cases
from notifications.models import Notification
from portal.models import PortalAccess
from privacy.erasure import is_exempt
from privacy.erasure_data import phones_of
from project.crypto import blind_index
from risk.models import Assessment


@dataclass
class CaseEffect:
    number: str
    role: str
    goes: list[str] = field(default_factory=list)
    stays: list[str] = field(default_factory=list)


@dataclass
class ErasurePreview:
    exempt: bool
    own: list[str]
    cases: list[CaseEffect]
    hidden_cases: int  # cases of theirs this officer may not see (erased too)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _own(person: Person) -> list[str]:
    own = [
        "their name, phone, address, date of birth, age, ethnicity, language and safe-contact answers"
    ]
    contacts, references = person.contacts.count(), person.references.count()
    if contacts:
        own.append(
            _plural(
                contacts,
                "contact detail (with its history)",
                "contact details (with their history)",
            )
        )
    if references:
        own.append(
            _plural(references, "reference of another agency", "references of other agencies")
        )
    messages = Notification.objects.filter(person=person).count()
    if messages:
        own.append(_plural(messages, "message we sent them", "messages we sent them"))
    return own


def _effect(link: CasePerson, indexes: set[str]) -> CaseEffect:
    case = link.case
    effect = CaseEffect(number=case.number, role=link.get_role_display())
    victim = link.role == CasePerson.Role.VICTIM
    sent = Report.objects.filter(case=case).filter(
        Q(sender_index__in=indexes) | Q(channel=Report.PORTAL)
        if victim
        else Q(sender_index__in=indexes)
    )
    if count := sent.count():
        effect.goes.append(
            _plural(
                count,
                "report they sent (words, media, recording)",
                "reports they sent (words, media, recordings)",
            )
        )
    if victim and PortalAccess.objects.filter(case=case).exists():
        effect.goes.append("their portal access and the updates sent to it")
    if victim and (count := Assessment.objects.filter(case=case).count()):
        effect.goes.append(
            _plural(
                count,
                "risk assessment's answers and notes (the level stays)",
                "risk assessments' answers and notes (the levels stay)",
            )
        )
    if Draft.objects.filter(case=case).exists():
        effect.goes.append("unsent form drafts of this case")
    effect.goes.append(
        "their name, phone and address wherever staff's notes repeat them, as [erased]"
    )
    others = CasePerson.objects.filter(case=case).exclude(person=link.person)
    for role, label in CasePerson.Role.choices:
        if count := others.filter(role=role).count():
            effect.stays.append(
                _plural(count, label.lower(), f"{label.lower()}s") + " and their details"
            )
    effect.stays += ["the case, its notes, referrals and history", "the link: a person, erased"]
    return effect


def erasure_preview(user: AbstractBaseUser, person: Person) -> ErasurePreview:
    """The effect of erasing `person` (read by an officer who may see the person)."""
    links = CasePerson.objects.filter(person=person).select_related("case", "person")
    seen = links.filter(case__in=visible_cases(user)).order_by("-case__created_at", "pk")
    indexes = {blind_index(phone) for phone in phones_of(person)}
    return ErasurePreview(
        exempt=is_exempt(person),
        own=_own(person),
        cases=[_effect(link, indexes) for link in seen],
        hidden_cases=links.exclude(pk__in=seen.values("pk")).values("case").distinct().count(),
    )

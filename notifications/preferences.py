"""How each alert reaches a member of staff besides the app: by email, by SMS, perhaps only while on
duty. Decided when the alert is sent, in this order: what the person chose themselves
(AlertPreference, /notifications/settings/), else what their organisation's admin set for their
role (AlertDefault, in the admin), else the built-in defaults below (issue 11.9, seed 003).

Lazy defaults, not a data migration: rows written once would miss everyone created later (by the
admin, `create_staff` or the API), freeze today's defaults for people who never chose, and ignore
a later change of role or of the organisation's defaults. Read when needed, the defaults reach new
staff and people who never saved their settings, and stop the moment they choose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from notifications.models import AlertDefault, AlertPreference


@dataclass(frozen=True)
class Ways:
    email: bool = False
    sms: bool = False
    only_on_duty: bool = True

    @property
    def beyond_the_app(self) -> bool:
        return self.email or self.sms


OFF = Ways()

# Per role: kind -> how it arrives by default. Operators learn of a new report by text and email
# while on duty; a CSO's representatives hear of a referral by email whether on duty or not;
# supervisors hear of reports waiting past their target and of messages that failed.
ROLE_ALERT_DEFAULTS: dict[str, dict[str, Ways]] = {
    "operator": {
        "case.new": Ways(email=True, sms=True, only_on_duty=True),
        "portal.duress": Ways(email=True, sms=True, only_on_duty=False),
    },
    "cso_rep": {"referral.received": Ways(email=True, only_on_duty=False)},
    "supervisor": {
        "queue.sla_breach": Ways(email=True, only_on_duty=False),
        "outbox.failed": Ways(email=True, only_on_duty=False),
        "feed.pull_failed": Ways(email=True, only_on_duty=False),
        "partner.webhook_failed": Ways(email=True, only_on_duty=False),
        # someone may be making a victim sign in to the portal: nobody may miss it
        "portal.duress": Ways(email=True, sms=True, only_on_duty=False),
        # data protection: reviewed within the day by whoever is in
        "case.break_glass": Ways(email=True, only_on_duty=False),
        "access.unusual": Ways(email=True, only_on_duty=False),
    },
    "dpo": {
        "case.break_glass": Ways(email=True, only_on_duty=False),
        "access.unusual": Ways(email=True, only_on_duty=False),
    },
}


def role_default(organisation_defaults: dict[tuple[str, str], Ways], role: str, kind: str) -> Ways:
    return organisation_defaults.get((role, kind)) or ROLE_ALERT_DEFAULTS.get(role, {}).get(
        kind, OFF
    )


def _ways(row: AlertPreference | AlertDefault) -> Ways:
    return Ways(email=row.email, sms=row.sms, only_on_duty=row.only_on_duty)


def ways_for(users: Iterable[AbstractBaseUser], kind: str) -> dict[int, Ways]:
    """How `kind` reaches each of these users, by their pk. One query for their own choices and,
    only if someone has not chosen, one for their organisations' defaults."""
    people = {user.pk: user for user in users}
    chosen = {
        row.user_id: _ways(row)
        for row in AlertPreference.objects.filter(user_id__in=people, kind=kind)
    }
    undecided = [user for pk, user in people.items() if pk not in chosen]
    if not undecided:
        return chosen
    organisations = {user.organisation_id for user in undecided if user.organisation_id}
    defaults = {
        (row.organisation_id, row.role): _ways(row)
        for row in AlertDefault.objects.filter(organisation_id__in=organisations, kind=kind)
    }
    for user in undecided:
        set_here = defaults.get((user.organisation_id, user.role))
        chosen[user.pk] = set_here or ROLE_ALERT_DEFAULTS.get(user.role, {}).get(kind, OFF)
    return chosen


def all_ways(user: AbstractBaseUser, kinds: Iterable[str]) -> dict[str, tuple[Ways, bool]]:
    """Every kind for one user (their settings page): how it arrives and whether they chose it
    themselves (False: their role's default)."""
    own = {row.kind: _ways(row) for row in AlertPreference.objects.filter(user_id=user.pk)}
    defaults = {
        (row.role, row.kind): _ways(row)
        for row in AlertDefault.objects.filter(
            organisation_id=getattr(user, "organisation_id", None), role=getattr(user, "role", "")
        )
    }
    role = getattr(user, "role", "")
    return {
        kind: (own[kind], True) if kind in own else (role_default(defaults, role, kind), False)
        for kind in kinds
    }

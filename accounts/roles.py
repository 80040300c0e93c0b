"""Roles expressed as Django permissions: each role is a group holding exactly these permissions.
Which *cases* a role reaches is decided by the access policy (cases.policy), not here."""

from __future__ import annotations

from accounts.models import User

Role = User.Role

_CASEWORK = ["cases.view_case", "cases.view_identities"]
_CONFIGURATION = [
    f"{app}.{action}_{model}"
    for app, model in [
        ("accounts", "organisation"),
        ("accounts", "user"),
        ("cases", "category"),
        ("cases", "servicetype"),
        ("cases", "discardreason"),
        ("cases", "relationship"),
        ("cases", "area"),
        ("notifications", "messagetemplate"),
        ("notifications", "alertdefault"),
    ]
    for action in ("view", "add", "change")
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OPERATOR: [*_CASEWORK, "cases.work_case"],
    Role.SUPERVISOR: [*_CASEWORK, "cases.work_case", "cases.supervise_case", "cases.view_figures"],
    Role.CSO_REP: [*_CASEWORK, "referrals.respond_referral", "referrals.log_service"],
    Role.MONITOR: ["cases.view_case", "cases.view_figures"],
    Role.ADMIN: _CONFIGURATION,
}

# Which roles make sense in which kind of organisation.
ROLES_BY_KIND: dict[str, set[str]] = {
    "helpline": {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN},
    "cso": {Role.CSO_REP, Role.ADMIN},
    "monitor": {Role.MONITOR, Role.ADMIN},
}

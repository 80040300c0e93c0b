"""Roles expressed as Django permissions: each role is a group holding exactly these permissions.
Which *cases* a role reaches is decided by the access policy (cases.policy), not here."""

from __future__ import annotations

from accounts.models import User

Role = User.Role

_CASEWORK = ["cases.view_case", "cases.view_identities"]
# Every organisation's admin holds these; the system-wide ones among them (the lookups, message
# templates, deadlines and periodic jobs) are narrowed to superusers and helpline administrators by
# their admin pages (accounts.admin_access), as each organisation's own rows are by accounts.admin.
_CONFIGURATION = [
    *(
        f"{app}.{action}_{model}"
        for app, model in [
            ("accounts", "user"),
            ("cases", "category"),
            ("cases", "servicetype"),
            ("cases", "discardreason"),
            ("cases", "relationship"),
            ("cases", "area"),
            ("cases", "followupkind"),
            ("cases", "flag"),
            ("cases", "language"),
            ("cases", "contacttype"),
            ("cases", "referencetype"),
            ("risk", "questionnaire"),
            ("risk", "question"),
            # update message types and their words (portal.admin_updates)
            ("portal", "updatetype"),
            ("portal", "updatetext"),
            ("notifications", "alertdefault"),
            # canned replies staff insert with / (notifications.admin: their own helpline's; the
            # shared ones are a superuser's, read-only to them); retired with is_active
            ("notifications", "cannedreply"),
            # how each helpline's calls ring (live.admin: their own helpline's row only)
            ("live", "linesettings"),
            # teams and routing rules: their own helpline's only (cases.admin)
            ("cases", "team"),
            ("cases", "routingrule"),
            # how long each kind of data is kept (privacy.admin_retention: days only)
            ("privacy", "retentionrule"),
            # police and partner feeds, the gazetteer and crime-system event types (feeds.admin)
            ("feeds", "feedsource"),
            ("feeds", "partnereventtype"),
            ("cases", "place"),
            # the help library's articles, their texts and tags (portal.admin_articles); articles
            # are unpublished, never deleted
            ("portal", "article"),
            ("portal", "articletext"),
            ("portal", "articletag"),
        ]
        for action in ("view", "add", "change")
    ),
    # their own organisation only (accounts.admin); new organisations come from create_org
    "accounts.view_organisation",
    "accounts.change_organisation",
    # their own staff's API tokens, to revoke them; tokens are issued by manage.py issue_token
    "accounts.view_apitoken",
    "accounts.change_apitoken",
    # imports and partners are read in the admin; they are made by their pages and commands
    "feeds.view_importbatch",
    "feeds.view_rowerror",
    "feeds.view_partner",
    # portal accesses: a read-only list of their own helpline's (portal.admin_access); invite,
    # revoke and unlock are the case page's
    "portal.view_portalaccess",
    # deadlines by priority (cases.targets); periodic jobs: whether and when they run, and their
    # timings (project.schedules.ScheduleAdmin: what a job runs stays a superuser's)
    "cases.view_prioritytarget",
    "cases.change_prioritytarget",
    "django_celery_beat.view_periodictask",
    "django_celery_beat.change_periodictask",
    *(
        f"django_celery_beat.{action}_{model}"
        for model in ("intervalschedule", "crontabschedule")
        for action in ("view", "add", "change")
    ),
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.OPERATOR: [*_CASEWORK, "cases.work_case"],
    Role.SUPERVISOR: [
        *_CASEWORK,
        "cases.work_case",
        "cases.supervise_case",
        "cases.view_figures",
        "privacy.review_access",
        "privacy.manage_retention",
    ],
    Role.CSO_REP: [*_CASEWORK, "referrals.respond_referral", "referrals.log_service"],
    Role.MONITOR: ["cases.view_case", "cases.view_figures"],
    Role.ADMIN: _CONFIGURATION,
    # reads cases to answer for them (erasure, subject access, who read what), works none
    Role.DPO: [
        *_CASEWORK,
        "privacy.manage_erasure",
        "privacy.export_subject_data",
        "privacy.review_access",
        "privacy.manage_retention",
    ],
}

# Which roles make sense in which kind of organisation.
ROLES_BY_KIND: dict[str, set[str]] = {
    "helpline": {Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN, Role.DPO},
    "cso": {Role.CSO_REP, Role.ADMIN},
    "monitor": {Role.MONITOR, Role.ADMIN},
}

# Permissions that reach cases or their figures. They come from a role's group only: a superuser
# (createsuperuser) configures everything but reads no case unless they also hold a case role.
CASE_PERMISSIONS: frozenset[str] = frozenset(
    name for role, names in ROLE_PERMISSIONS.items() if role != Role.ADMIN for name in names
)


def grantable_roles(actor: User, organisation_kind: str) -> set[str]:
    """The roles `actor` may give to staff of an organisation of this kind in the admin: the
    kind's roles, for a superuser or for an admin of an organisation of that kind; else none."""
    if not actor.is_active:
        return set()
    if actor.is_superuser:
        return set(ROLES_BY_KIND.get(organisation_kind, set()))
    if actor.role != Role.ADMIN or actor.organisation is None:
        return set()
    if actor.organisation.kind != organisation_kind:
        return set()
    return set(ROLES_BY_KIND[organisation_kind])

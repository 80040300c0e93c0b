from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

# the data-protection home's sections (privacy.views); named here because accounts sits below it
PRIVACY_PERMISSIONS = (
    "privacy.manage_retention",
    "privacy.manage_erasure",
    "privacy.export_subject_data",
    "privacy.review_access",
)


def uses_data_protection(user: object) -> bool:
    return any(user.has_perm(name) for name in PRIVACY_PERMISSIONS)  # type: ignore[attr-defined]


def navigation(request: HttpRequest) -> dict[str, list[tuple[str, str]]]:
    """The header links a signed-in, verified user's role gives them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"nav_links": []}
    links = []
    if user.has_perm("cases.work_case"):
        links.append(("Queue", reverse("helpline:queue")))
    if user.has_perm("cases.view_case") and (
        user.has_perm("cases.work_case") or user.has_perm("referrals.log_service")
    ):
        links.append(("Casework", reverse("referrals:workspace")))
    if user.has_perm("cases.view_figures"):
        links.append(("Dashboard", reverse("dashboards:live")))
    if user.has_perm("cases.view_case"):
        links.append(("Cases", reverse("cases:list")))
    if user.has_perm("cases.view_figures"):
        links.append(("Reports", reverse("reports:snapshot")))
    if user.has_perm("cases.supervise_case"):  # texts to numbers no helpline claims
        links.append(("Unrouted texts", reverse("intake:unrouted")))
    if uses_data_protection(user):
        links.append(("Data protection", reverse("privacy:home")))
    if user.is_staff:
        links.append(("Administration", reverse("admin:index")))
    links.append(("Backup codes", reverse("backup_codes")))  # for a lost phone, made in advance
    return {"nav_links": links}

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse


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
    if user.is_staff:
        links.append(("Administration", reverse("admin:index")))
    links.append(("Backup codes", reverse("backup_codes")))  # for a lost phone, made in advance
    return {"nav_links": links}

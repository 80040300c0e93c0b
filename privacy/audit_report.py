"""Who read a case (SECURITY AU-06): the case's access-log rows, newest first, for the case page's
panel and the full page. Only for reviewers (privacy.review_access: supervisors and DPOs)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from cases.models import AccessLog, Case

PANEL_ROWS = 5
PAGE_ROWS = 500


def may_review(user: object) -> bool:
    return isinstance(user, User) and user.has_perm("privacy.review_access")


def case_reads(case: Case) -> QuerySet[AccessLog]:
    """Every read of the case: who (and their role), when, what. The caller has already been
    let in to the case (access_case), which wrote its own row."""
    return AccessLog.objects.filter(case=case).select_related("user").order_by("-at", "-id")

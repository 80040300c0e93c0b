"""The data-protection home (/privacy/): each section this user may use, with what waits in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from accounts.context_processors import uses_data_protection
from cases.models import BreakGlass
from privacy.models import AccessAlert, ErasureRequest, SubjectAccessRequest


@dataclass(frozen=True)
class Section:
    title: str
    url: str
    says: str
    waiting: str


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _sections(user: object, organisation_id: int | None) -> list[Section]:
    sections = []
    has = user.has_perm  # type: ignore[attr-defined]
    if has("privacy.review_access"):
        pending = BreakGlass.objects.filter(
            outcome=BreakGlass.Outcome.PENDING, case__helpline_id=organisation_id
        ).count()
        sections.append(
            Section(
                "Break-glass reviews",
                reverse("privacy:break-glass-queue"),
                "Who opened a sealed case without being named on it, and why.",
                _plural(pending, "waits for review", "wait for review"),
            )
        )
        unreviewed = AccessAlert.objects.filter(
            reviewed_at__isnull=True, user__organisation_id=organisation_id
        ).count()
        sections.append(
            Section(
                "Unusual access",
                reverse("privacy:access-alerts"),
                "Reading that looked unusual: many cases, outside a queue, at odd hours.",
                _plural(unreviewed, "alert not reviewed", "alerts not reviewed"),
            )
        )
    if has("privacy.manage_retention"):
        sections.append(
            Section(
                "Retention",
                reverse("privacy:retention"),
                "What is removed in the next month, and the legal holds that stop it.",
                "",
            )
        )
    if has("privacy.manage_erasure"):
        waiting = ErasureRequest.objects.filter(status=ErasureRequest.Status.PENDING).count()
        sections.append(
            Section(
                "Erasure requests",
                reverse("privacy:erasure-list"),
                "People who asked to be erased: a second officer approves each.",
                _plural(waiting, "waits for approval", "wait for approval"),
            )
        )
    if has("privacy.export_subject_data"):
        soon = timezone.localdate() + timedelta(days=7)
        due = SubjectAccessRequest.objects.filter(
            status=SubjectAccessRequest.Status.OPEN, due_on__lte=soon
        ).count()
        sections.append(
            Section(
                "Subject access requests",
                reverse("privacy:sar-list"),
                "Copies of everything held about a person, due within a calendar month.",
                _plural(due, "is due within a week", "are due within a week"),
            )
        )
    return sections


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    if not uses_data_protection(request.user):
        raise PermissionDenied
    sections = _sections(request.user, request.user.organisation_id)
    return render(request, "privacy/home.html", {"sections": sections})

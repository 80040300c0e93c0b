"""Reads of referrals, services and follow-ups, always through the access policy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.db.models import F, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.selectors import with_permissions
from cases.models import Case
from cases.policy import visible_cases
from referrals.models import FollowUp, Referral


def get_referral_to_act_on(user: AbstractBaseUser, referral_id: int) -> Referral:
    """The referral if the user may see its case (else Http404, never 403), for a write: whether
    they may do the write is the service's to decide."""
    referral = (
        Referral.objects.select_related("case", "organisation")
        .filter(pk=referral_id, case__in=visible_cases(user))
        .first()
    )
    if referral is None:
        raise Http404("No such referral.")
    return referral


def get_follow_up_to_act_on(user: AbstractBaseUser, follow_up_id: int) -> FollowUp:
    """A follow-up of the user's own organisation on a case they may see, else Http404."""
    follow_up = (
        FollowUp.objects.select_related("case", "kind")
        .filter(
            pk=follow_up_id,
            organisation_id=getattr(user, "organisation_id", None),
            case__in=visible_cases(user),
        )
        .first()
    )
    if follow_up is None:
        raise Http404("No such follow-up.")
    return follow_up


def referrals_for_organisation(user: AbstractBaseUser, *, status: str = "") -> QuerySet[Referral]:
    """Referrals to the user's organisation, or made by it, on cases the user may see."""
    org_id = getattr(user, "organisation_id", None)
    referrals = (
        Referral.objects.select_related("case", "organisation", "assignee", "referred_by")
        .filter(
            Q(organisation_id=org_id) | Q(referred_by_organisation_id=org_id),
            case__in=visible_cases(user),
        )
        .order_by("deadline", "pk")
    )
    if status in Referral.Status.values:
        referrals = referrals.filter(status=status)
    return referrals


# The casework lists: what a CSO has to answer and is working on, and what a helpline has to
# close or chase. Rows name the case by number only; no list needs anyone's personal details.


def _own_organisation(user: AbstractBaseUser) -> int | None:
    return getattr(user, "organisation_id", None)


# Each list takes `visible`, the user's visible_cases, when its caller has it already: the
# workspace builds four lists and the policy's query once for all of them (most of the lists' build
# time was building it again).


def _visible(user: AbstractBaseUser, visible: QuerySet[Case] | None) -> QuerySet[Case]:
    return visible_cases(user) if visible is None else visible


def _referrals(user: AbstractBaseUser, visible: QuerySet[Case] | None) -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "case", "case__category", "organisation", "assignee"
    ).filter(case__in=_visible(user, visible))


def referrals_to_answer(
    user: AbstractBaseUser, *, visible: QuerySet[Case] | None = None
) -> QuerySet[Referral]:
    """Pending referrals to the user's organisation, the soonest deadline first."""
    return (
        _referrals(user, visible)
        .filter(organisation_id=_own_organisation(user), status=Referral.Status.PENDING)
        .order_by(F("deadline").asc(nulls_last=True), "created_at", "pk")
    )


def my_referred_cases(
    user: AbstractBaseUser, *, visible: QuerySet[Case] | None = None
) -> QuerySet[Referral]:
    """Accepted referrals to the user's organisation that name the user."""
    return (
        _referrals(user, visible)
        .filter(
            organisation_id=_own_organisation(user),
            status=Referral.Status.ACCEPTED,
            assignee_id=user.pk,
        )
        .order_by("-responded_at", "-pk")
    )


def organisation_referred_cases(
    user: AbstractBaseUser, *, visible: QuerySet[Case] | None = None
) -> QuerySet[Referral]:
    """Every live referral to the user's organisation: the ones to answer and the ones in hand."""
    return (
        _referrals(user, visible)
        .filter(organisation_id=_own_organisation(user), status__in=Referral.GRANTS_ACCESS)
        .order_by("-created_at", "-pk")
    )


def overdue_referrals(
    user: AbstractBaseUser,
    *,
    now: datetime | None = None,
    visible: QuerySet[Case] | None = None,
) -> QuerySet[Referral]:
    """Pending referrals of the user's helpline's cases past their acceptance deadline, the most
    overdue first (the queue's panel and the helpline's casework list)."""
    return (
        _referrals(user, visible)
        .filter(
            case__helpline_id=_own_organisation(user),
            status=Referral.Status.PENDING,
            deadline__lt=now or timezone.now(),
        )
        .order_by("deadline", "pk")
    )


def cases_to_close(
    user: AbstractBaseUser, *, visible: QuerySet[Case] | None = None
) -> QuerySet[Case]:
    """The user's helpline's resolved cases: to check with the victim and close, or send back."""
    return (
        _visible(user, visible)
        .filter(helpline_id=_own_organisation(user), status=Case.Status.RESOLVED)
        .select_related("category")
        .order_by("updated_at", "pk")
    )


def my_follow_ups(
    user: AbstractBaseUser, *, visible: QuerySet[Case] | None = None
) -> QuerySet[FollowUp]:
    """The user's open follow-ups on cases they may still see, the earliest due (so the overdue)
    first."""
    return (
        FollowUp.objects.select_related("case", "case__category", "kind")
        .filter(
            assignee_id=user.pk,
            organisation_id=_own_organisation(user),
            done_at=None,
            case__in=_visible(user, visible),
        )
        .order_by("due_at", "pk")
    )


def people_taking_referrals(organisations: Iterable[Organisation]) -> QuerySet[User]:
    """Active staff of these organisations who may answer a referral and then serve the case:
    the people a referral can name."""
    staff = User.objects.filter(organisation__in=organisations, is_active=True)
    return (
        with_permissions(staff, "referrals.respond_referral", "referrals.log_service")
        .select_related("organisation")
        .order_by("organisation__name", "username")
    )


def colleagues(user: AbstractBaseUser) -> QuerySet[User]:
    """Active staff of the user's organisation who work on cases: whom a follow-up can be for."""
    return (
        User.objects.filter(organisation_id=_own_organisation(user), is_active=True)
        .filter(role__in=[User.Role.OPERATOR, User.Role.SUPERVISOR, User.Role.CSO_REP])
        .exclude(pk=user.pk)
        .order_by("username")
    )


def organisations_that_completed(case: Case) -> QuerySet[Organisation]:
    """Organisations whose work on the case is completed, the most recent first: where a resolved
    case can be sent back to."""
    return (
        Organisation.objects.filter(
            referrals__case=case, referrals__status=Referral.Status.COMPLETED
        )
        .annotate(last_completed=Max("referrals__ended_at"))
        .order_by(F("last_completed").desc(nulls_last=True), "name")
    )


def counts(lists: dict[str, QuerySet]) -> dict[str, int]:
    """How many rows each list has, in one query (`SELECT (SELECT COUNT(*) ...), ...`) rather than a
    query per list: the workspace's tabs count four lists on every visit."""
    parts, params = [], []
    for i, rows in enumerate(lists.values()):
        sql, list_params = rows.order_by().values("pk").query.sql_with_params()
        # the ORM's own SQL for each list; every value in it is a parameter
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS list_{i})")  # noqa: S608
        params.extend(list_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return dict(zip(lists, cursor.fetchone(), strict=True))

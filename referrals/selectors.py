"""Reads of referrals, services and follow-ups, always through the access policy."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import Http404

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

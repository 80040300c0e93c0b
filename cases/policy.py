"""The access policy (DESIGN rule 4): which cases a member of staff may see, change, and whose
identities they may see. Every view, API call, consumer, export and report asks here.

- Helpline operators and supervisors: their own helpline's cases.
- CSO staff: only cases referred to their organisation (while the referral is live).
- Monitors: every case, read-only and without identities.
- Administrators: configuration, no case content.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import Organisation, User
from cases.models import Case

# Kept here as literals because cases sits below referrals (referrals.models.Referral.GRANTS_ACCESS
# names the same statuses; tests/cases/test_policy.py checks the two agree).
REFERRAL_STATUSES_GRANTING_ACCESS = ("pending", "accepted", "completed")


def _staff(user: AbstractBaseUser | AnonymousUser) -> User | None:
    if not isinstance(user, User) or not user.is_active:
        return None
    if user.organisation is None or not user.organisation.is_active:
        return None
    return user


def visible_cases(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    staff = _staff(user)
    if staff is None or not staff.has_perm("cases.view_case"):
        return Case.objects.none()
    organisation = staff.organisation
    if organisation is None:  # _staff checked it; this tells the type checker
        return Case.objects.none()
    if organisation.kind == Organisation.Kind.HELPLINE:
        return Case.objects.filter(helpline=organisation)
    if organisation.kind == Organisation.Kind.CSO:
        return Case.objects.filter(
            pk__in=Case.objects.filter(
                referrals__organisation=organisation,
                referrals__status__in=REFERRAL_STATUSES_GRANTING_ACCESS,
            ).values("pk")
        )
    if organisation.kind == Organisation.Kind.MONITOR:
        return Case.objects.all()
    return Case.objects.none()


def can_work_case(user: AbstractBaseUser | AnonymousUser, case: Case) -> bool:
    """Claim, verify, discard, update: the case's own helpline staff with the permission."""
    staff = _staff(user)
    return (
        staff is not None
        and staff.has_perm("cases.work_case")
        and staff.organisation_id == case.helpline_id
    )


def can_see_identities(user: AbstractBaseUser | AnonymousUser) -> bool:
    staff = _staff(user)
    return staff is not None and staff.has_perm("cases.view_identities")

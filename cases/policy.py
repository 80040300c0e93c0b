"""The access policy (DESIGN rule 4): which cases a member of staff may see, what they may do to
them, and which parts they may read. Every view, API call, consumer, export and report asks here.

- Helpline operators and supervisors: their own helpline's cases; they triage, refer, close and
  reopen them.
- CSO staff: only cases with a pending or accepted referral to their organisation (need to know).
  While it is accepted they log services, set follow-ups, write notes, refer onward and resolve.
  When the referral ends, so does their access; the history keeps what they did.
- Monitors: every case, read-only and without identities; no case files, no notes.
- Administrators: configuration, no case content.
- Archived and merged cases are read-only to everyone (a supervisor may undo a merge).
- Sealed cases (SECURITY AC-06): of those above, only the people named on the case read it, and
  anyone else while a break-glass of theirs lasts (cases.sealing); to everyone else it does not
  exist (404, in no list, search, queue or export). Its helpline's supervisors and DPOs manage the
  seal and review the break-glass.
- A case's details (issue 12) are changed by its helpline's workers (in triage, only the one
  holding it or a supervisor); a CSO serving it changes what it learns working with the victim:
  the people and their details, flags and references, never how the helpline classed the case.

Notes and follow-ups belong to the organisation that wrote them: another organisation never sees
its internal ones.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Organisation, User
from cases.models import BreakGlass, Case, CaseSeal, Person

# Kept here as literals because cases sits below referrals (referrals.models.Referral.GRANTS_ACCESS
# names the same statuses; tests/cases/test_policy.py checks the two agree).
REFERRAL_STATUSES_GRANTING_ACCESS = ("pending", "accepted")
ACCEPTED = "accepted"

AnyUser = AbstractBaseUser | AnonymousUser


def _staff(user: AnyUser) -> User | None:
    if not isinstance(user, User) or not user.is_active:
        return None
    if user.organisation is None or not user.organisation.is_active:
        return None
    return user


def _kind(user: User) -> str:
    return user.organisation.kind if user.organisation else ""


def _reachable(staff: User) -> QuerySet[Case]:
    """The cases the user's role reaches, seal or no seal."""
    kind = _kind(staff)
    if kind == Organisation.Kind.HELPLINE:
        return Case.objects.filter(helpline_id=staff.organisation_id)
    if kind == Organisation.Kind.CSO:
        return Case.objects.filter(
            pk__in=Case.objects.filter(
                referrals__organisation_id=staff.organisation_id,
                referrals__status__in=REFERRAL_STATUSES_GRANTING_ACCESS,
            ).values("pk")
        )
    if kind == Organisation.Kind.MONITOR:
        return Case.objects.all()
    return Case.objects.none()


def _unsealed_for(staff: User) -> Q:
    """Not sealed, or sealed with this user named on it or inside a break-glass of theirs: a
    condition in the list's own query (two EXISTS), so every list keeps its one query shape."""
    named = CaseSeal.objects.filter(case=OuterRef("pk"), user=staff)
    glass = BreakGlass.objects.filter(
        case=OuterRef("pk"), user=staff, expires_at__gt=timezone.now()
    )
    return Q(sealed=False) | Q(Exists(named)) | Q(Exists(glass))


def visible_cases(user: AnyUser) -> QuerySet[Case]:
    staff = _staff(user)
    if staff is None or not staff.has_perm("cases.view_case"):
        return Case.objects.none()
    return _reachable(staff).filter(_unsealed_for(staff))


def counted_cases(user: AnyUser) -> QuerySet[Case]:
    """The cases the user's figures count (dashboards): those their role reaches, sealed ones
    included, since a figure names no case and a seal must not change the totals."""
    staff = _staff(user)
    if staff is None or not staff.has_perm("cases.view_case"):
        return Case.objects.none()
    return _reachable(staff)


def may_break_glass(user: AnyUser, case: Case) -> bool:
    """A sealed case the user's role would reach but the seal keeps from them: they may open it
    by giving a reason (cases.sealing.break_glass). Not monitors: their role reads no case file,
    so there is nothing behind the glass for them."""
    staff = _staff(user)
    return (
        staff is not None
        and case.sealed
        and staff.has_perm("cases.view_identities")
        and _reachable(staff).filter(pk=case.pk).exists()
        and not visible_cases(staff).filter(pk=case.pk).exists()
    )


def can_manage_seal(user: AnyUser, case: Case) -> bool:
    """Seal or unseal a case, name people on it or take them off: a supervisor or data-protection
    officer of its helpline (both review access)."""
    staff = _staff(user)
    return (
        staff is not None
        and staff.organisation_id == case.helpline_id
        and staff.has_perm("privacy.review_access")
    )


def shows_person_details(user: AnyUser, person: Person) -> bool:
    """Whether `user` may see what identifies `person`: a person under restricted processing
    (exempt from erasure, privacy.erasure_restrict) only to those who decide erasures, the
    data-protection officers; everyone else sees that the person is restricted."""
    return not person.processing_restricted or user.has_perm("privacy.manage_erasure")


def can_see_identities(user: AnyUser) -> bool:
    staff = _staff(user)
    return staff is not None and staff.has_perm("cases.view_identities")


def can_work_case(user: AnyUser, case: Case) -> bool:
    """Claim, verify, discard, refer, close, reopen: the case's own helpline staff."""
    staff = _staff(user)
    return (
        staff is not None
        and staff.has_perm("cases.work_case")
        and staff.organisation_id == case.helpline_id
        and not case.is_read_only
    )


def can_supervise_case(user: AnyUser, case: Case) -> bool:
    """Override consent, force-release, reassign: a supervisor of the case's helpline."""
    return can_work_case(user, case) and user.has_perm("cases.supervise_case")


def can_move_team(user: AnyUser, case: Case) -> bool:
    """Move a case to another team's queue (or the shared one): a supervisor of its helpline, or
    the operator holding it, who knows best who should work it."""
    if can_supervise_case(user, case):
        return True
    return (
        can_work_case(user, case)
        and case.status == Case.Status.IN_TRIAGE
        and case.claimed_by_id == user.pk
    )


def has_accepted_referral(user: AnyUser, case: Case) -> bool:
    """The user's organisation holds an accepted referral of the case (a CSO serving it)."""
    staff = _staff(user)
    if staff is None or _kind(staff) != Organisation.Kind.CSO:
        return False
    # Read through the case's referrals: prefetched on a page (cases.selectors.access_case), so
    # the many questions a page asks cost no query; fetched afresh for a locked case in a service.
    return any(
        referral.organisation_id == staff.organisation_id and referral.status == ACCEPTED
        for referral in case.referrals.all()
    )


def can_serve_case(user: AnyUser, case: Case) -> bool:
    """Log services, resolve, refer onward: CSO staff whose organisation accepted the case."""
    return (
        not case.is_read_only
        and user.has_perm("referrals.log_service")
        and has_accepted_referral(user, case)
    )


def can_change_case(user: AnyUser, case: Case) -> bool:
    """Write on the case (notes, follow-ups, services): its helpline's workers, or a CSO serving
    it. Whether the case's state allows the particular change is the service's to decide."""
    return can_work_case(user, case) or can_serve_case(user, case)


def can_refer(user: AnyUser, case: Case) -> bool:
    """Refer to an organisation: the helpline, or a CSO serving the case (onward referral)."""
    return can_work_case(user, case) or (
        can_serve_case(user, case) and user.has_perm("referrals.respond_referral")
    )


def can_respond_to_referral(user: AnyUser, organisation_id: int) -> bool:
    """Accept or decline a referral to this organisation: its staff with the permission."""
    staff = _staff(user)
    return (
        staff is not None
        and staff.organisation_id == organisation_id
        and staff.has_perm("referrals.respond_referral")
    )


def can_withdraw_referral(user: AnyUser, case: Case, referred_by_organisation_id: int) -> bool:
    """Withdraw a pending referral: staff of the organisation that made it, still able to refer."""
    staff = _staff(user)
    return (
        staff is not None
        and staff.organisation_id == referred_by_organisation_id
        and can_refer(staff, case)
    )


def can_export_case(user: AnyUser, case: Case) -> bool:
    """Print or export the case file: those who work on the case and may see who is in it. The
    caller has already found the case through visible_cases."""
    if not can_see_identities(user):
        return False
    staff = _staff(user)
    if staff is None:
        return False
    if _kind(staff) == Organisation.Kind.HELPLINE:
        return staff.organisation_id == case.helpline_id
    return _kind(staff) == Organisation.Kind.CSO


def own_records(user: AnyUser) -> Q:
    """Notes and follow-ups this user may read: their organisation's (monitors: none)."""
    staff = _staff(user)
    if staff is None or not can_see_identities(staff):
        return Q(pk__in=[])
    return Q(organisation_id=staff.organisation_id)


def notes_visible(user: AnyUser) -> Q:
    """A case's notes this user may read: their organisation's, and the ones shared with
    everyone working on the case (a resolution remark, why it was sent back)."""
    mine = own_records(user)
    if not can_see_identities(user):
        return mine
    return mine | Q(shared=True)


def can_view_figures(user: AnyUser) -> bool:
    """Dashboards and snapshot reports, over the cases visible_cases gives: supervisors (their
    helpline's) and monitors (all)."""
    staff = _staff(user)
    return staff is not None and staff.has_perm("cases.view_figures")


def can_export_case_list(user: AnyUser) -> bool:
    """A list of their helpline's case numbers with status, channel and kind (no people, no notes):
    supervisors. Monitors get figures only."""
    staff = _staff(user)
    return (
        staff is not None
        and _kind(staff) == Organisation.Kind.HELPLINE
        and staff.has_perm("cases.view_figures")
        and staff.has_perm("cases.supervise_case")
    )


def can_take_unrouted(user: AnyUser) -> bool:
    """Texts to a number no helpline claims wait in intake's unrouted queue: a helpline's
    supervisors see when and where they arrived (never who sent them or what they say, as they
    are nobody's case yet) and take one into their own helpline."""
    staff = _staff(user)
    return (
        staff is not None
        and _kind(staff) == Organisation.Kind.HELPLINE
        and staff.has_perm("cases.supervise_case")
    )


# What PATCH /api/v1/cases/{n}/ and the case page's "Change details" may change, by who changes.
CASE_DETAILS = frozenset(
    {"category", "categories", "priority", "area", "incident", "victim", "perpetrators",
     "reporter", "flags", "references"}
)  # fmt: skip
SERVING_DETAILS = frozenset({"victim", "perpetrators", "reporter", "flags", "references"})


def changeable_details(user: AnyUser, case: Case) -> frozenset[str]:
    """The details of the case this user may change now (empty: none)."""
    if case.is_read_only or case.status == Case.Status.DISCARDED:
        return frozenset()
    if can_work_case(user, case):
        held_by_other = (
            case.status == Case.Status.IN_TRIAGE
            and case.claimed_by_id != user.pk
            and not user.has_perm("cases.supervise_case")
        )
        return frozenset() if held_by_other else CASE_DETAILS
    if can_serve_case(user, case):
        return SERVING_DETAILS
    return frozenset()


def can_open_case(user: AnyUser) -> bool:
    """Open a case by hand (walk-in, an outside line, a partner's call): a helpline's workers."""
    staff = _staff(user)
    return (
        staff is not None
        and _kind(staff) == Organisation.Kind.HELPLINE
        and staff.has_perm("cases.work_case")
    )


def can_assess_risk(user: AnyUser, case: Case) -> bool:
    """Complete a risk assessment: whoever may change the case's people and flags."""
    return "flags" in changeable_details(user, case)


def can_merge(user: AnyUser, case: Case) -> bool:
    """Merge a case into another or move a report between cases: its helpline's workers (both
    cases must pass this)."""
    return "category" in changeable_details(user, case)


def can_unmerge(user: AnyUser, case: Case) -> bool:
    """Undo a merge: a supervisor of the helpline holding the merged case."""
    staff = _staff(user)
    return (
        staff is not None
        and case.status == Case.Status.MERGED
        and staff.organisation_id == case.helpline_id
        and staff.has_perm("cases.supervise_case")
    )


def visible_people(user: AnyUser) -> QuerySet[Person]:
    """People on a case this user may see, for those who may see who is in a case (others: none;
    a person page without identities would say nothing)."""
    if not can_see_identities(user):
        return Person.objects.none()
    return Person.objects.filter(
        pk__in=Person.objects.filter(cases__case__in=visible_cases(user)).values("pk")
    )

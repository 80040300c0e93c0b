"""What the case page offers a user: the access policy's answer for this user, in the state the case
is in now. Only what to show: every service checks again and is the one that refuses."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import reverse

from cases.models import Case
from cases.policy import (
    can_change_case,
    can_export_case,
    can_refer,
    can_respond_to_referral,
    can_serve_case,
    can_supervise_case,
    can_withdraw_referral,
    can_work_case,
)
from cases.workflow import WORK
from referrals.models import Referral

S = Case.Status


@dataclass(frozen=True)
class CaseOffers:
    triage: bool = False
    refer: bool = False
    override_consent: bool = False
    serve: bool = False  # log services and set follow-ups
    note: bool = False
    resolve: bool = False
    close: bool = False
    send_back: bool = False
    reopen: bool = False
    print_file: bool = False
    # referral ids this user may accept or decline, or withdraw
    answer: frozenset[int] = field(default_factory=frozenset)
    withdraw: frozenset[int] = field(default_factory=frozenset)

    @property
    def any_action(self) -> bool:
        return any(
            (
                self.triage,
                self.refer,
                self.serve,
                self.note,
                self.resolve,
                self.close,
                self.send_back,
                self.reopen,
                self.answer,
                self.withdraw,
            )
        )


def offers_for(user: AbstractBaseUser, case: Case) -> CaseOffers:
    """Reads the case's prefetched referrals (cases.selectors.access_case)."""
    works = can_work_case(user, case)
    pending = [r for r in case.referrals.all() if r.status == Referral.Status.PENDING]
    return CaseOffers(
        triage=works and case.status in (S.NEW, S.IN_TRIAGE),
        refer=case.status in WORK["refer"].sources and can_refer(user, case),
        override_consent=can_supervise_case(user, case),
        serve=case.status in WORK["serve"].sources and can_change_case(user, case),
        note=can_change_case(user, case),
        resolve=case.status == S.IN_SERVICE and can_serve_case(user, case),
        close=works and case.status == S.RESOLVED,
        send_back=works and case.status == S.RESOLVED,
        reopen=works and case.status == S.CLOSED,
        print_file=can_export_case(user, case),
        answer=frozenset(
            r.pk
            for r in pending
            if not case.is_read_only and can_respond_to_referral(user, r.organisation_id)
        ),
        withdraw=frozenset(
            r.pk
            for r in pending
            if r.referred_by_organisation_id is not None
            and can_withdraw_referral(user, case, r.referred_by_organisation_id)
        ),
    )


@dataclass(frozen=True)
class NextStep:
    """The one thing this user should do next on the case (UX.md 21), or what the case waits for."""

    text: str
    action: str = ""
    url: str = ""


def next_step(case: Case, offers: CaseOffers) -> NextStep:
    number = case.number
    if case.is_read_only:
        return NextStep("Archived: read-only. Nothing more can be done on this case.")
    if offers.answer:
        return NextStep(
            "A referral to your organisation waits for your answer.",
            "Accept or decline",
            "#referrals",
        )
    if case.status == S.DISCARDED:
        return NextStep("Discarded: not a case. A supervisor can put it back in the queue.")
    if case.status in (S.NEW, S.IN_TRIAGE):
        if offers.triage:
            url = reverse("helpline:verify", args=[number])
            return NextStep("Check the report is genuine.", "Verify or discard", url)
        return NextStep("Waiting for the helpline to verify the report.")
    if case.status == S.VERIFIED:
        if offers.refer:
            url = reverse("referrals:refer", args=[number])
            return NextStep("Verified: find the right organisation.", "Refer the case", url)
        return NextStep("Waiting for the helpline to refer the case.")
    if case.status == S.REFERRED:
        return NextStep("Waiting for the organisation to accept the referral.")
    if case.status == S.IN_SERVICE:
        if offers.resolve:
            return NextStep(
                "In service: log what you do; resolve when your part is done.",
                "Log a service",
                "#log-service",
            )
        return NextStep("In service: waiting for the organisation to resolve it.")
    if case.status == S.RESOLVED:
        if offers.close:
            url = reverse("referrals:close", args=[number])
            return NextStep("Resolved: check with the victim if it is safe.", "Close the case", url)
        return NextStep("Resolved: waiting for the helpline to close it.")
    days = settings.ARCHIVE_AFTER_DAYS
    return NextStep(f"Closed: archived {days} days after closing, then read-only.")

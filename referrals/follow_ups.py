"""Follow-ups that must not be lost when the people holding them move on: the victim writes (a
follow-up to reply for the case's holder and its referrals' named people), a CSO resolves (its open follow-ups done or handed to
the helpline). Called by referrals.services and referrals.receivers, inside their transactions."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import User
from accounts.selectors import staff_with
from cases.models import Case, FollowUpKind
from cases.policy import can_change_case, can_work_case
from cases.workflow import CaseError
from notifications.services import notify_staff
from project.history import attribute_change
from referrals.models import FollowUp, Referral

# The follow-up a victim's message sets (cases.signals.report_added, in referrals.receivers).
REPLY = "reply"


def follow_up_to_reply(*, case: Case) -> list[FollowUp]:
    """The victim wrote on an open case: its holder, and the named person of each live referral,
    get a follow-up to reply, due soon. A live referral with nobody named adds none (its
    organisation already has the alert, notifications.staff_alerts.victim_wrote). One open at a
    time per person (more messages do not pile up tasks); none for someone who can no longer work
    on the case, or when an admin switched the kind off. Runs in the message's own transaction.
    Returns the follow-ups it set."""
    people = [case.claimed_by] if case.claimed_by_id else []
    live = (
        case.referrals.filter(status__in=Referral.GRANTS_ACCESS, assignee__isnull=False)
        .select_related("assignee")
        .order_by("created_at", "pk")
    )
    people += [referral.assignee for referral in live]
    # Nobody to remind (a new case waiting in the queue, the usual text): no kind to look up,
    # one round trip less on the webhook.
    kind = FollowUpKind.objects.filter(code=REPLY, is_active=True).first() if people else None
    if kind is None:
        return []
    made = []
    for person in dict.fromkeys(people):  # once each, even if they hold the case and a referral
        follow_up = _reply_follow_up(case, kind, person)
        if follow_up is not None:
            made.append(follow_up)
    return made


def _reply_follow_up(case: Case, kind: FollowUpKind, person: User) -> FollowUp | None:
    if not person.is_active or not can_change_case(person, case):
        return None
    if FollowUp.objects.filter(case=case, kind=kind, assignee=person, done_at=None).exists():
        return None
    follow_up = FollowUp(
        case=case,
        organisation_id=person.organisation_id,
        kind=kind,
        due_at=timezone.now() + timedelta(minutes=settings.VICTIM_REPLY_DUE_MINUTES),
        assignee=person,
        created_by=None,
    )
    attribute_change(follow_up, actor=None, reason="The victim wrote: reply to their message")
    follow_up.save()
    return follow_up


class FollowUpsLeft(models.TextChoices):
    """What happens to the resolver's open follow-ups when their access to the case ends."""

    COMPLETE = "complete", "They are done: mark them done"
    HAND_OVER = "hand_over", "Hand them to the helpline, to do after we leave the case"


class OpenFollowUpsError(CaseError):
    """Resolving would leave follow-ups nobody can reach: the resolver must say what happens to
    them (400, with the follow-ups listed)."""

    def __init__(self, open_ones: list[FollowUp]) -> None:
        self.open_ones = open_ones
        count = len(open_ones)
        super().__init__(
            f"Your organisation has {count} open follow-up{'s' if count != 1 else ''} on this "
            "case: mark them done or hand them to the helpline."
        )

    @property
    def details(self) -> dict[str, object]:
        return {
            "open_follow_ups": [
                {"id": f.pk, "kind": f.kind.code, "due_at": f.due_at.isoformat()}
                for f in self.open_ones
            ]
        }


def open_follow_ups(case: Case, organisation_id: int | None) -> list[FollowUp]:
    """An organisation's follow-ups on a case not done yet, the earliest due first."""
    return list(
        FollowUp.objects.filter(case=case, organisation_id=organisation_id, done_at=None)
        .select_related("kind", "assignee")
        .order_by("due_at", "pk")
    )


def settle_follow_ups(case: Case, actor: User, choice: str) -> None:
    """The resolver's open follow-ups would outlive their access to the case: done now, or handed
    to the case's holder at the helpline (else a supervisor there), notes and all."""
    open_ones = list(
        FollowUp.objects.select_for_update(of=("self",))
        .filter(pk__in=[f.pk for f in open_follow_ups(case, actor.organisation_id)])
        .select_related("kind")
    )
    if not open_ones:
        return
    if choice not in FollowUpsLeft.values:
        raise OpenFollowUpsError(open_follow_ups(case, actor.organisation_id))
    now = timezone.now()
    if choice == FollowUpsLeft.COMPLETE:
        for follow_up in open_ones:
            follow_up.done_at, follow_up.done_by = now, actor
            attribute_change(
                follow_up,
                actor=actor,
                reason=f"Follow-up done on resolving: {follow_up.kind.label}",
            )
            follow_up.save(update_fields=["done_at", "done_by"])
        return
    taker = _helpline_taker(case)
    if taker is None:
        raise CaseError(
            "Nobody at the helpline can take the follow-ups now: mark them done, or ask the "
            "helpline to claim the case first."
        )
    for follow_up in open_ones:
        follow_up.organisation_id, follow_up.assignee = case.helpline_id, taker
        follow_up.reminded_at = None  # its new assignee has not been told yet
        attribute_change(
            follow_up,
            actor=actor,
            reason=f"Follow-up handed to the helpline ({taker.get_username()}): "
            f"{follow_up.kind.label}",
        )
        follow_up.save(update_fields=["organisation", "assignee", "reminded_at"])
    notify_staff(
        users=[taker],
        kind="case.assigned",  # work on a case handed to them
        case_number=case.number,
        text=f"Follow-ups on case {case.number} were handed to you",
    )


def _helpline_taker(case: Case) -> User | None:
    """Who at the helpline takes over follow-ups: the case's holder, else a supervisor."""
    holder = case.claimed_by
    if holder is not None and holder.is_active and can_work_case(holder, case):
        return holder
    return next(
        (u for u in staff_with(case.helpline_id, "cases.supervise_case") if u.is_active), None
    )

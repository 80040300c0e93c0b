"""What the feeds app does when cases tells of a change (cases.signals), in the transaction of that
change: a victim's message on a case a partner knows becomes a webhook to that partner."""

from __future__ import annotations

from typing import Any

from cases.models import Case, ExternalReference
from feeds import webhooks
from feeds.models import Partner, PartnerDelivery, PartnerEvent
from feeds.partners import CRIME_NUMBER

VICTIM_MESSAGE = "victim.message"
KNOWN = (PartnerEvent.Outcome.APPLIED, PartnerEvent.Outcome.RECONCILED)


def tell_partners_the_victim_wrote(sender: Any, *, case: Case, report: Any, **kwargs: Any) -> None:
    """The victim wrote to the helpline, not to the police: the crime system gets a task ("the
    victim has been in touch") with our case number and its crime reference, never what they
    wrote. A partner knows a case once one of its events is on it. One waiting task per partner
    and case is enough: more messages before it is sent add nothing the officer needs."""
    known = Partner.objects.filter(
        is_active=True, events__case=case, events__outcome__in=KNOWN
    ).exclude(url="")
    for partner in known.distinct():
        waiting = PartnerDelivery.objects.filter(
            partner=partner, case=case, type=VICTIM_MESSAGE, status=PartnerDelivery.Status.PENDING
        )
        if waiting.exists():
            continue
        webhooks.queue_webhook(
            partner=partner,
            type=VICTIM_MESSAGE,
            case=case,
            payload={
                "case": case.number,
                "crime_reference": _crime_reference(partner, case),
                "occurred_at": report.received_at.isoformat(),
                "data": {"task": "The victim has been in touch with the helpline."},
            },
        )


def _crime_reference(partner: Partner, case: Case) -> str:
    """The reference the partner itself used for the case, else the case's crime number."""
    for event in partner.events.filter(case=case).exclude(reference_index="").order_by("-pk")[:1]:
        return event.reference
    recorded = (
        ExternalReference.objects.filter(case=case, kind__code=CRIME_NUMBER)
        .order_by("-created_at")
        .first()
    )
    return recorded.value if recorded else ""

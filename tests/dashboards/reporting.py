"""Hand-counted made-up cases for the snapshot report and export tests.

Helpline "north-helpline" (the supervisor joan's), March 2026, Europe/London (GMT that month):

| case | received         | channel | status    | category | priority | area  | claimed after | more |
|------|------------------|---------|-----------|----------|----------|-------|---------------|------|
| A1   | 2 Mar 10:00      | sms     | verified  | physical | high     | north | 30 min        |      |
| A2   | 2 Mar 11:00      | sms     | discarded |          | standard |       | 10 min        | prank |
| A3   | 3 Mar 09:00      | voice   | discarded |          | standard |       | 50 min        | prank |
| A4   | 5 Mar 09:00      | web     | referred  | sexual   | standard | north | 2 h           | referral accepted 4 h after it was made; 2 counselling |
| A5   | 5 Mar 12:00      | sms     | closed    | physical | standard | south | 1 h           | closed 2 days on; referral completed (accepted after 1 h); 1 shelter |
| A6   | 6 Mar 08:00      | sms     | new       |          | standard |       | never         |      |
| A7   | 20 Feb 10:00     | sms     | verified  |          | standard |       |               | before the period |

Helpline "south-helpline": B1 (2 Mar, voice, verified, physical, south, referral declined) and
B2 (4 Mar, web, discarded: wrong number).

Every case carries canaries where personal data lives (names, phones, places, notes): no figure
export may contain them, nor a case number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from accounts.models import Organisation, User
from cases.models import Area, Case, CaseNote, DiscardReason, ServiceType
from referrals.models import Referral, ServiceRecord
from tests.factories import CaseFactory, CasePersonFactory, ReferralFactory, category

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=LONDON)
PERIOD = {"created_after": "2026-03-01", "created_before": "2026-03-16"}
CANARIES = ("Canaryname Victimson", "+447700900777", "Canary Lane", "canary note text")


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=LONDON)


@dataclass
class Cast:
    a: dict[str, Case]
    b: dict[str, Case]


def make_cases(helpline: Organisation, other: Organisation, cso: Organisation, by: User) -> Cast:
    north, south = Area.objects.get(code="north"), Area.objects.get(code="south")
    prank = DiscardReason.objects.get(code="prank")
    wrong = DiscardReason.objects.get(code="wrong-number")

    def case(org: Organisation, received: datetime, channel: str, status: str, **extra) -> Case:
        claimed = extra.pop("claimed", None)
        made = CaseFactory(
            helpline=org,
            created_at=received,
            channel=channel,
            status=status,
            first_claimed_at=received + claimed if claimed else None,
            incident_location=CANARIES[2],
            **extra,
        )
        CasePersonFactory(case=made, person__name=CANARIES[0], person__phone=CANARIES[1])
        CaseNote.objects.create(case=made, organisation=org, author=by, text=CANARIES[3])
        return made

    minutes = lambda n: timedelta(minutes=n)  # noqa: E731
    a = {
        "A1": case(helpline, at(2, 10), "sms", "verified", category=category("physical"),
                   priority="high", area=north, claimed=minutes(30)),
        "A2": case(helpline, at(2, 11), "sms", "discarded", discard_reason=prank, claimed=minutes(10)),
        "A3": case(helpline, at(3, 9), "voice", "discarded", discard_reason=prank, claimed=minutes(50)),
        "A4": case(helpline, at(5, 9), "web", "referred", category=category("sexual"), area=north,
                   claimed=minutes(120)),
        "A5": case(helpline, at(5, 12), "sms", "closed", category=category("physical"), area=south,
                   claimed=minutes(60), closed_at=at(7, 12)),
        "A6": case(helpline, at(6, 8), "sms", "new"),
        "A7": case(helpline, at(20, 10, month=2), "sms", "verified"),
    }  # fmt: skip
    b = {
        "B1": case(
            other, at(2, 15), "voice", "verified", category=category("physical"), area=south
        ),
        "B2": case(other, at(4, 15), "web", "discarded", discard_reason=wrong),
    }
    refer = {"organisation": cso, "referred_by": by, "reason": CANARIES[3]}
    ReferralFactory(case=a["A4"], status=Referral.Status.ACCEPTED, created_at=at(5, 12),
                    responded_at=at(5, 16), **refer)  # fmt: skip
    ReferralFactory(case=a["A5"], status=Referral.Status.COMPLETED, created_at=at(5, 14),
                    responded_at=at(5, 15), **refer)  # fmt: skip
    ReferralFactory(case=b["B1"], status=Referral.Status.DECLINED, created_at=at(2, 16),
                    responded_at=at(2, 17), **refer)  # fmt: skip
    counselling = ServiceType.objects.get(code="counselling")
    shelter = ServiceType.objects.get(code="shelter")
    for kind, on in ((counselling, "A4"), (counselling, "A4"), (shelter, "A5")):
        ServiceRecord.objects.create(case=a[on], organisation=cso, service_type=kind,
                                     provided_at=at(6, 10), recorded_by=by, notes=CANARIES[3])  # fmt: skip
    return Cast(a=a, b=b)

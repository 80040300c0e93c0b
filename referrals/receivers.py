"""What referrals does when cases tells it something (cases.signals): cases cannot import
referrals, so referrals listens. Connected in ReferralsConfig.ready."""

from __future__ import annotations

from typing import Any

from cases.models import Case, Report
from referrals.follow_ups import follow_up_to_reply


def reply_to_the_victim(*, case: Case, report: Report, **kwargs: Any) -> None:
    follow_up_to_reply(case=case)

"""The safe-contact function over every combination of the preferences a victim can give, the
channel, a STOP, a missing address, when they last wrote and whether the message is automated;
and the safe-hours window across midnight and the clock changes (Europe/London).

The expected answer is written out below as the rules the victim was promised, one after another,
independently of the code under test."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifications.safe_contact import decide, next_safe_moment

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=LONDON)  # a Monday noon

CONTACTS = [None, "none", "only_if_i_contact_first", "allowed", "something-else"]
CHANNELS = ["sms", "email", "phone"]
SAFE_WAYS = [
    list(ways) for n in range(4) for ways in itertools.combinations(["phone", "sms", "email"], n)
]
WROTE = {
    "never": None,
    "an hour ago": NOW - timedelta(hours=1),
    "two days ago": NOW - timedelta(days=2),
}
HOURS = {"any time": ("", ""), "now": ("09:00", "17:00"), "evenings": ("18:00", "21:00")}


def promised(
    contact, channel, ways, no_text, updates, automated, stop, address, wrote, hours
) -> tuple[bool, bool]:
    """(may it go, held until later): the victim's wishes, most binding first."""
    if not address:
        return False, False
    if channel == "sms" and stop:
        return False, False
    if contact == "none":
        return False, False
    if contact == "only_if_i_contact_first":
        if not (channel == "sms" and wrote == "an hour ago"):
            return False, False
    elif contact == "allowed":
        if channel not in ways or (channel == "sms" and no_text):
            return False, False
    else:  # nothing recorded, or nothing we understand: no contact
        return False, False
    if automated and not updates:
        return False, False
    return True, hours == "evenings"


CASES = list(
    itertools.product(
        CONTACTS,
        CHANNELS,
        range(len(SAFE_WAYS)),
        [False, True],  # no_text
        [False, True],  # updates
        [False, True],  # automated
        [False, True],  # texted STOP
        [False, True],  # an address to send to
        list(WROTE),
        list(HOURS),
    )
)


def test_every_combination_of_wishes_gets_the_promised_answer() -> None:
    wrong = []
    for (
        contact,
        channel,
        ways_at,
        no_text,
        updates,
        automated,
        stop,
        address,
        wrote,
        hours,
    ) in CASES:
        ways = SAFE_WAYS[ways_at]
        prefs = None
        if contact is not None:
            start, end = HOURS[hours]
            prefs = {
                "contact": contact,
                "channels": ways,
                "no_text": no_text,
                "updates": updates,
                "safe_from": start,
                "safe_until": end,
            }
        decision = decide(
            prefs,
            channel,
            now=NOW,
            has_address=address,
            texted_stop=stop,
            victim_wrote_at=WROTE[wrote],
            automated=automated,
        )
        got = (decision.allowed, decision.allowed and decision.not_before is not None)
        expected = promised(
            contact, channel, ways, no_text, updates, automated, stop, address, wrote, hours
        )
        if got != expected:
            wrong.append(
                (
                    contact,
                    channel,
                    ways,
                    no_text,
                    updates,
                    automated,
                    stop,
                    address,
                    wrote,
                    hours,
                    got,
                )
            )
        if not decision.allowed:
            assert decision.reason, "a refusal always says why"
            assert decision.code
    assert not wrong, f"{len(wrong)} combinations answered against the victim's wishes: {wrong[:5]}"
    assert len(CASES) == 5 * 3 * 8 * 2 * 2 * 2 * 2 * 2 * 3 * 3  # 34,560 combinations


@pytest.mark.parametrize(
    ("reason_code", "overridable"),
    [("no_address", False), ("stop", False), ("do_not_contact", True), ("no_preferences", True)],
)
def test_only_some_refusals_can_be_overridden(reason_code, overridable) -> None:
    prefs = {"contact": "none"} if reason_code == "do_not_contact" else {}
    decision = decide(
        prefs if reason_code != "stop" else {"contact": "allowed", "channels": ["sms"]},
        "sms",
        now=NOW,
        has_address=reason_code != "no_address",
        texted_stop=reason_code == "stop",
    )
    assert decision.code == reason_code
    assert decision.overridable is overridable


def test_discreet_and_voicemail_wishes_travel_with_an_allowed_decision() -> None:
    prefs = {"contact": "allowed", "channels": ["phone"], "no_voicemail": True, "no_org_name": True}
    decision = decide(prefs, "phone", now=NOW, has_address=True)
    assert decision.allowed
    assert decision.discreet
    assert decision.no_voicemail


def local(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("window", "now", "opens"),
    [
        (("18:00", "21:00"), local(2026, 11, 30, 12), local(2026, 11, 30, 18)),  # later today
        (("18:00", "21:00"), local(2026, 11, 30, 19), None),  # inside
        (("18:00", "21:00"), local(2026, 11, 30, 21), local(2026, 12, 1, 18)),  # until is open
        (("22:00", "06:00"), local(2026, 11, 30, 23), None),  # across midnight, inside
        (("22:00", "06:00"), local(2026, 11, 30, 5, 59), None),
        (("22:00", "06:00"), local(2026, 11, 30, 6), local(2026, 11, 30, 22)),
        # the clocks go forward at 01:00 on 29 March 2026: a window opening at 09:00 still
        # opens at nine on the wall clock, one hour fewer after midnight
        (("09:00", "17:00"), local(2026, 3, 28, 20), local(2026, 3, 29, 9)),
        # and back at 02:00 on 25 October 2026
        (("09:00", "17:00"), local(2026, 10, 24, 20), local(2026, 10, 25, 9)),
    ],
)
def test_safe_hours_open_at_the_wall_clock_time(window, now, opens) -> None:
    start, end = window
    moment = next_safe_moment({"safe_from": start, "safe_until": end}, now)
    if opens is None:
        assert moment is None
    else:
        assert moment == opens
        assert moment.astimezone(LONDON).strftime("%H:%M") == start


def test_unreadable_hours_mean_no_window_rather_than_a_crash() -> None:
    assert next_safe_moment({"safe_from": "25:99", "safe_until": "x"}, NOW) is None

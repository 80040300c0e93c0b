"""Safe contact for WhatsApp, a way of its own: allowed only if the victim named it, stopped by a
STOP from their phone, within their safe hours, and only within WHATSAPP_SESSION_HOURS of their
last WhatsApp message (Twilio's session window, which no one can override). "Only if I contact
you first" allows a WhatsApp reply within the reply window to a WhatsApp message.

The expected answers are written out as the rules, independently of the code under test."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from notifications.safe_contact import decide

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=LONDON)  # a Monday noon

CONTACTS = [None, "none", "only_if_i_contact_first", "allowed"]
WAYS = [[], ["sms"], ["whatsapp"], ["sms", "whatsapp"], ["phone", "email"]]
# When they last wrote by WhatsApp (the session window is 24 hours).
WROTE = {
    "never": None,
    "an hour ago": NOW - timedelta(hours=1),
    "23 hours ago": NOW - timedelta(hours=23),
    "25 hours ago": NOW - timedelta(hours=25),
    "three days ago": NOW - timedelta(days=3),
}
# "evenings" opens at 18:00 today, inside the window of any message from the last 18 hours;
# "mornings" opens at 08:00 tomorrow, after the window of a message 23 hours ago has closed.
HOURS = {"any time": ("", ""), "now": ("09:00", "17:00"), "evenings": ("18:00", "21:00"),
         "mornings": ("08:00", "10:00")}  # fmt: skip


def promised(
    contact, ways, no_text, stop, address, wrote, hours, settings
) -> tuple[bool, bool, bool]:
    """(may it go, held until later, may a supervisor override a refusal)."""
    if not address or stop:
        return False, False, False
    at = WROTE[wrote]
    window = timedelta(hours=settings.WHATSAPP_SESSION_HOURS)
    if at is None or NOW - at >= window:
        return False, False, False
    if contact == "none":
        return False, False, True
    if contact == "only_if_i_contact_first":
        if NOW - at > timedelta(hours=settings.SAFE_CONTACT_REPLY_HOURS):
            return False, False, True
    elif contact == "allowed":
        if "whatsapp" not in ways:
            return False, False, True  # "do not text" is about texts: WhatsApp is its own way
    else:
        return False, False, True
    opens = {"any time": None, "now": None, "evenings": NOW.replace(hour=18),
             "mornings": (NOW + timedelta(days=1)).replace(hour=8)}[hours]  # fmt: skip
    if opens is not None and opens >= at + window:
        return False, False, False  # their hours open after WhatsApp's window closes
    return True, opens is not None, True


@pytest.mark.parametrize("reply_hours", [12, 48])  # "only if I contact first": shorter, longer
def test_every_combination_gets_the_promised_whatsapp_answer(settings, reply_hours) -> None:
    settings.WHATSAPP_SESSION_HOURS, settings.SAFE_CONTACT_REPLY_HOURS = 24, reply_hours
    wrong = []
    for contact, ways, no_text, stop, address, wrote, hours in itertools.product(
        CONTACTS, WAYS, [False, True], [False, True], [False, True], list(WROTE), list(HOURS)
    ):
        prefs = None
        if contact is not None:
            start, end = HOURS[hours]
            prefs = {"contact": contact, "channels": ways, "no_text": no_text,
                     "safe_from": start, "safe_until": end}  # fmt: skip
        decision = decide(
            prefs,
            "whatsapp",
            now=NOW,
            has_address=address,
            texted_stop=stop,
            victim_wrote_at=WROTE[wrote],
        )
        got = (
            decision.allowed,
            decision.allowed and decision.not_before is not None,
            decision.allowed or decision.overridable,
        )
        expected = promised(contact, ways, no_text, stop, address, wrote, hours, settings)
        if got != expected:
            wrong.append((contact, ways, no_text, stop, address, wrote, hours, got, expected))
        if not decision.allowed:
            assert decision.reason
            assert decision.code
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    ("prefs", "wrote", "stop", "code"),
    [
        ({"contact": "allowed", "channels": ["sms"]}, "an hour ago", False, "channel_not_safe"),
        ({"contact": "allowed", "channels": ["whatsapp"]}, "an hour ago", True, "stop"),
        ({"contact": "allowed", "channels": ["whatsapp"]}, "25 hours ago", False,
         "whatsapp_window"),
        ({"contact": "allowed", "channels": ["whatsapp"]}, "never", False, "whatsapp_window"),
        ({"contact": "only_if_i_contact_first"}, "an hour ago", False, ""),
        ({"contact": "allowed", "channels": ["whatsapp"]}, "23 hours ago", False, ""),
    ],
)  # fmt: skip
def test_the_reasons_staff_read(prefs, wrote, stop, code) -> None:
    decision = decide(prefs, "whatsapp", now=NOW, has_address=True, texted_stop=stop,
                      victim_wrote_at=WROTE[wrote])  # fmt: skip
    assert (decision.allowed, decision.code) == (code == "", code)
    if code == "whatsapp_window":
        assert "24 hours" in decision.reason
        assert not decision.overridable
    if code == "stop":
        assert "STOP" in decision.reason
        assert not decision.overridable


def test_only_if_first_still_refuses_email_and_calls_after_a_whatsapp_message() -> None:
    prefs = {"contact": "only_if_i_contact_first"}
    for channel in ("email", "phone"):
        decision = decide(prefs, channel, now=NOW, has_address=True,
                          victim_wrote_at=WROTE["an hour ago"])  # fmt: skip
        assert (decision.allowed, decision.code) == (False, "only_if_first")

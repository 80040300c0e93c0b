"""The case page's Calls panel: every call of the case with when, which way, who, what became of it
and how long; the Call back button with what safe contact says before pressing, for whoever may
change the case; the refusals' reasons only for those who may see identities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from live.models import Call
from tests.live import test_callback_fake as world
from tests.live.test_callback_fake import PHONE_OK, VICTIM_PHONE, set_preferences

pytestmark = pytest.mark.django_db
caller, victim_case = world.caller, world.victim_case
Outcome = Call.Outcome


@pytest.fixture
def calls(victim_case, caller) -> list[Call]:
    now = timezone.now()
    common = {"case": victim_case, "helpline_id": victim_case.helpline_id, "operator": caller}
    return [
        Call.objects.create(
            **common,
            direction="inbound",
            call_sid="CA" + "1" * 32,
            outcome=Outcome.COMPLETED,
            duration_seconds=125,
            started_at=now - timedelta(hours=3),
            ended_at=now,
        ),  # fmt: skip
        Call.objects.create(
            **common,
            direction="callback",
            outcome=Outcome.REFUSED,
            reason="The victim asked not to be contacted.",
            started_at=now - timedelta(hours=2),
            ended_at=now,
        ),  # fmt: skip
        Call.objects.create(
            **common,
            direction="callback",
            outcome=Outcome.MACHINE,
            call_sid="CA" + "2" * 32,
            started_at=now - timedelta(hours=1),
            ended_at=now,
        ),  # fmt: skip
    ]


def page(client, case) -> str:  # type: ignore[no-untyped-def]
    response = client.get(reverse("cases:detail", args=[case.number]))
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('<section id="calls"')
    return html[start : html.index("</section>", start)]


def test_the_holder_sees_every_call_and_a_call_back_button_that_asks_to_confirm(
    victim_case, caller, calls, otp_client
) -> None:
    panel = page(otp_client(caller), victim_case)

    assert panel.count('class="card mb-2 call-line"') == 3
    # newest first: the machine, the refusal, the incoming call that was talked
    assert panel.index("Voicemail answered: hung up") < panel.index("Not placed: safe contact")
    assert panel.index("Not placed: safe contact") < panel.index("Talked")
    assert "Incoming call" in panel
    assert "Call-back" in panel
    assert "2 min 05 s" in panel  # the talk time
    assert "callie" in panel  # the operator
    assert "The victim asked not to be contacted." in panel  # why, for those who see identities
    assert "Safe to call now" in panel
    assert "<details" in panel  # pressing first opens the confirm
    action = reverse("live-callback:call-back", args=[victim_case.number])
    assert f'action="{action}"' in panel
    assert "Yes, ring my phone now" in panel
    assert VICTIM_PHONE not in panel
    assert "style=" not in panel  # strict CSP: no inline styles


def test_the_verdict_says_from_when_outside_the_safe_hours(victim_case, caller, otp_client) -> None:
    later = timezone.localtime() + timedelta(hours=2)
    until = later + timedelta(hours=1)
    set_preferences(
        victim_case,
        {**PHONE_OK, "safe_from": f"{later:%H:%M}", "safe_until": f"{until:%H:%M}"},
    )

    panel = page(otp_client(caller), victim_case)

    assert f"Not now: outside the victim&#x27;s safe hours, from {later:%H:%M}" in panel
    assert "Yes, ring my phone now" not in panel
    assert "No calls on this case yet." in panel


def test_a_victim_who_said_do_not_name_us_is_called_withheld(
    victim_case, caller, otp_client
) -> None:
    set_preferences(victim_case, {**PHONE_OK, "no_org_name": True})
    panel = page(otp_client(caller), victim_case)
    assert "number is withheld: they asked that we not be named" in panel
    assert "with the number withheld" in panel


def test_a_monitor_sees_the_calls_but_no_reasons_and_no_button(
    victim_case, calls, monitor, otp_client
) -> None:
    panel = page(otp_client(monitor), victim_case)

    assert panel.count('class="card mb-2 call-line"') == 3
    assert "Not placed: safe contact said no" in panel
    assert "asked not to be contacted" not in panel  # the victim's wishes are identity
    assert "Call back" not in panel.replace("Call-back", "")
    assert "<form" not in panel


def test_another_helplines_operator_sees_no_page_at_all(
    victim_case, calls, other_operator, otp_client
) -> None:
    response = otp_client(other_operator).get(reverse("cases:detail", args=[victim_case.number]))
    assert response.status_code == 404


def test_a_call_back_never_placed_shows_as_failed_not_ringing(
    victim_case, caller, otp_client
) -> None:
    Call.objects.create(case=victim_case, helpline_id=victim_case.helpline_id, operator=caller,
                        direction="callback", started_at=timezone.now() - timedelta(minutes=5))  # fmt: skip
    panel = page(otp_client(caller), victim_case)
    assert "Ringing" not in panel
    assert "Failed" in panel
    assert "Not placed within a minute" in panel

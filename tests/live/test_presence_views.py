"""The state switch (/console/state/) and where it shows: the header of every page for helpline
operators and supervisors, and the supervisor's team view with everyone's state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from live.models import LineSettings, OperatorState
from live.presence import choose_state, end_conversation, start_conversation, state_of
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
URL = "/console/state/"


def test_an_operator_goes_available_with_the_plain_form(operator, otp_client) -> None:
    # given
    client = otp_client(operator)

    # when
    answer = client.post(URL, {"state": "available", "next": "/console/"})

    # then back where the switch was pressed, told, on duty and available
    assert answer.status_code == 302
    assert answer["Location"] == "/console/"
    operator.refresh_from_db()
    assert operator.on_duty
    assert state_of(operator) == "available"
    page = client.get("/console/").content.decode()
    assert "You are available" in page
    assert 'data-state="available"' in page


def test_away_then_off_duty_with_htmx_answers_the_switch(operator, otp_client) -> None:
    client = otp_client(operator)
    client.post(URL, {"state": "available"})

    away = client.post(URL, {"state": "away"}, headers={"HX-Request": "true"})
    assert away.status_code == 200
    html = away.content.decode()
    assert html.lstrip().startswith('<div id="state-switch"')
    assert 'data-state="away"' in html
    assert "Set available" in html
    assert 'data-said="You are away: no calls or chats are offered to you."' in html

    off = client.post(URL, {"duty": "off"}, headers={"HX-Request": "true"})
    assert 'aria-pressed="false"' in off.content.decode()
    operator.refresh_from_db()
    assert not operator.on_duty
    assert state_of(operator) == "away"


@pytest.mark.parametrize("state", ["busy", "wrap_up", ""])
def test_busy_and_wrap_up_are_not_chosen_by_hand(operator, otp_client, state) -> None:
    answer = otp_client(operator).post(URL, {"state": state})
    assert answer.status_code == 400
    assert state_of(operator) == "away"


def test_available_while_busy_is_refused_with_a_reason(helpline, operator, otp_client) -> None:
    client = otp_client(operator)
    client.post(URL, {"state": "available"})
    start_conversation(user=operator, activity="call", case=CaseFactory(helpline=helpline))

    plain = client.post(URL, {"state": "available"})
    assert plain.status_code == 409
    assert "busy on a call or chat" in plain.content.decode()

    htmx = client.post(URL, {"state": "available"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200  # htmx swaps no 4xx: the refusal is in the switch
    assert 'role="alert"' in htmx.content.decode()
    assert state_of(operator) == "busy"


def test_ready_in_the_header_during_wrap_up_with_its_timer(helpline, operator, otp_client) -> None:
    # given an operator in a 90 s wrap-up
    LineSettings.objects.create(helpline=helpline, wrap_up_seconds=90)
    client = otp_client(operator)
    client.post(URL, {"state": "available"})
    start_conversation(user=operator, activity="call", case=CaseFactory(helpline=helpline))
    row = end_conversation(user=operator)

    # then the header says so with the server's timestamps for the timer, and offers Ready
    page = client.get("/console/").content.decode()
    assert 'data-state="wrap_up"' in page
    assert f'data-until-ms="{int(row.until.timestamp() * 1000)}"' in page
    assert "data-server-now-ms=" in page
    assert "Ready" in page
    assert "01:2" in page  # 01:29 or 01:28 left, as drawn

    # when Ready is pressed
    client.post(URL, {"state": "available"})
    assert state_of(operator) == "available"


def test_a_run_out_wrap_up_is_drawn_available(helpline, operator, otp_client) -> None:
    client = otp_client(operator)
    client.post(URL, {"state": "available"})
    start_conversation(user=operator, activity="call", case=CaseFactory(helpline=helpline))
    end_conversation(user=operator, now=timezone.now() - timedelta(hours=1))
    assert 'data-state="available"' in client.get(URL).content.decode()


def test_the_form_needs_its_csrf_token(operator, otp_client) -> None:
    client = otp_client(operator)
    client.handler.enforce_csrf_checks = True
    assert client.post(URL, {"state": "available"}).status_code == 403
    assert state_of(operator) == "away"


@pytest.mark.parametrize("who", ["cso_rep", "monitor", "admin_user", "dpo"])
def test_staff_outside_the_helpline_floor_have_no_switch(who, request, otp_client) -> None:
    user: User = request.getfixturevalue(who)
    client = otp_client(user)
    assert client.post(URL, {"state": "available"}).status_code == 403
    assert client.get(URL).status_code == 403
    assert not OperatorState.objects.filter(user=user).exists()
    assert 'id="state-switch"' not in client.get("/").content.decode()


def test_signed_out_is_sent_to_sign_in(operator) -> None:
    answer = Client().post(URL, {"state": "available"})
    assert answer.status_code == 302
    assert "/accounts/" in answer["Location"]


def test_the_supervisors_team_view_shows_every_state(
    helpline, operator, supervisor, otp_client
) -> None:
    # given the operator on a chat, the supervisor available
    choose_state(user=supervisor, state="available")
    choose_state(user=operator, state="available")
    start_conversation(user=operator, activity="chat", case=CaseFactory(helpline=helpline))

    # when
    page = otp_client(supervisor).get("/console/team/").content.decode()

    # then in words (icons beside), with the server's timestamps
    assert 'id="operator-states"' in page
    row = page.split('id="operator-amina"')[1].split("</tr>")[0]
    assert f'data-operator="{operator.pk}"' in row
    assert 'data-state="busy"' in row
    assert "Busy" in row
    assert "in a chat" in row
    assert "data-since-ms=" in row
    joan = page.split('id="operator-joan"')[1].split("</tr>")[0]
    assert "Available" in joan

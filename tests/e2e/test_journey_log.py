"""The check the journeys feed (conftest's `journey_log`) cannot pass by seeing nothing: it fails on
a leaked canary or typed value, on a server or live server that wrote no access line, and on a
typed value it could not recognise. No browser: a fresh JourneyLog fed by hand."""

from __future__ import annotations

import pytest

from tests.e2e.canaries import ABUSER, VICTIM_PHONE, JourneyLog, spellings

ACCESS = "[info     ] request_finished  code=200 request='GET /cases/LNT-2026-000001/'"


def _log(*lines: str, typed: tuple[str, ...] = (), live: bool = True) -> JourneyLog:
    log = JourneyLog()
    log.add_server("daphne", "\n".join(lines))
    log.typed.extend(typed)
    log.live_server_used = live
    return log


def test_clean_lines_pass() -> None:
    _log(ACCESS, typed=(f"Notes about {ABUSER}",), live=False).check()


def test_a_phone_number_in_any_spelling_fails() -> None:
    for spelling in spellings(VICTIM_PHONE):
        with pytest.raises(AssertionError, match="personal data"):
            _log(ACCESS, f"[warning  ] sms_failed to={spelling}", live=False).check()


def test_a_typed_value_in_a_line_fails() -> None:
    typed = f"{ABUSER} took my phone"
    with pytest.raises(AssertionError, match=f"{typed!r}"):
        _log(ACCESS, f"[info     ] form_saved text={typed}", typed=(typed,), live=False).check()


def test_a_typed_value_without_a_canary_is_refused() -> None:
    with pytest.raises(AssertionError, match="holding no canary"):
        _log(ACCESS, typed=("At the bus stop",), live=False).check()


def test_a_server_that_wrote_no_access_line_fails() -> None:
    with pytest.raises(AssertionError, match="no access line"):
        _log("Listening on TCP address 127.0.0.1:8000", live=False).check()


def test_a_live_server_journey_with_nothing_captured_fails() -> None:
    log = JourneyLog()
    log.live_server_used = True
    with pytest.raises(AssertionError, match="no access line"):
        log.check()

"""The made-up people in the browser journeys, and the one grep that looks for them in log lines.

Everything a journey types into a page, or sends as a victim would (an SMS, a report the factories
store), holds one of WORDS or one of PHONES, so that `JourneyLog` (installed by conftest.py for the
whole e2e session) can tell the journeys' data apart from the words any log line holds anyway
("report", "phone"). It records what the journeys really type, refuses a typed value that holds no
canary (a journey typing generic words would make the check blind to it), and after the last
journey fails if any line the server(s) and the app wrote holds a canary or a typed value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from playwright.sync_api import Keyboard, Locator, Page

VICTIM_NAME = "Ottoline Brackenridge"
VICTIM_PHONE = "+447700900458"  # Ofcom's drama range, like every number here
VICTIM_PHONE_TYPED = "07700 900458"
VICTIM_EMAIL = "ottoline.brackenridge@example.net"
SMS_SENDER = "+447700900123"  # tests.twilio.sms_params' default sender
DASHBOARD_SENDER = "+447700900777"
PLACE = "Vellowtide bridge"
ABUSER = "Quillmarsh"

WORDS = (*VICTIM_NAME.split(), ABUSER, PLACE.split()[0])
PHONES = (VICTIM_PHONE, SMS_SENDER, DASHBOARD_SENDER)


def spellings(phone: str) -> list[str]:
    """A UK number in E.164 as it may turn up in text: as stored, in a URL, typed nationally."""
    national = "0" + phone.removeprefix("+44")
    return [
        phone,
        quote(phone, safe=""),
        national,
        f"{national[:5]} {national[5:]}",
        national[1:],
    ]


def leaks(lines: Iterable[str], canaries: Iterable[str]) -> list[tuple[str, str]]:
    """Every (canary, line) where the line holds the canary, whatever the case."""
    wanted = [(canary, canary.lower()) for canary in canaries if canary]
    return [(canary, line) for line in lines for canary, low in wanted if low in line.lower()]


def describe(found: list[tuple[str, str]]) -> str:
    return "\n".join(f"{canary!r}: {line}" for canary, line in found[:20])


# Typing that is not about a person: credentials and codes (checked by their own tests).
_CREDENTIAL_FIELDS = ("auth-username", "auth-password", "otp_token", "generator-token")
# (class, method, position of the typed text after self, position of the selector or None)
_TYPING = (
    (Page, "fill", 1, 0),
    (Page, "type", 1, 0),
    (Locator, "fill", 0, None),
    (Locator, "type", 0, None),
    (Locator, "press_sequentially", 0, None),
    (Keyboard, "type", 0, None),
)


class _Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.extend(self.format(record).splitlines())
        except Exception:  # noqa: BLE001 - the real handler reports the same failure
            self.handleError(record)


class JourneyLog:
    """What the e2e session wrote to the log, and what its journeys typed."""

    def __init__(self) -> None:
        self.server_lines: dict[str, list[str]] = {}
        self.typed: list[str] = []
        self.live_server_used = False
        self._app: _Lines | None = None

    @property
    def app_lines(self) -> list[str]:
        return self._app.lines if self._app else []

    def add_server(self, name: str, text: str) -> None:
        self.server_lines[name] = text.splitlines()

    @contextmanager
    def capturing(self) -> Iterator[JourneyLog]:
        """Every line this process logs, as its own handlers write it (the live server's threads,
        eager tasks), and every text typed into a page."""
        # The handlers the settings installed (LOGGING's "console"), wherever they are attached:
        # the same records, formatted and redacted by the same formatter.
        loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        attached = [
            logger
            for logger in loggers
            if isinstance(logger, logging.Logger)
            and any(handler.get_name() == "console" for handler in logger.handlers)
        ]
        assert attached, "the settings' console handler is not installed: nothing to capture"
        console = next(h for h in attached[0].handlers if h.get_name() == "console")
        self._app = _Lines(console.formatter)
        with pytest.MonkeyPatch.context() as mp:
            for cls, method, at, selector_at in _TYPING:
                mp.setattr(cls, method, self._recording(getattr(cls, method), at, selector_at))
            for logger in attached:
                logger.addHandler(self._app)
            try:
                yield self
            finally:
                for logger in attached:
                    logger.removeHandler(self._app)

    def _recording(self, typing: Callable, at: int, selector_at: int | None) -> Callable:
        def typed(target: object, *args: object, **kwargs: object) -> object:
            text = args[at] if len(args) > at else kwargs.get("value", kwargs.get("text", ""))
            where = repr(target)
            if selector_at is not None:
                where = str(args[selector_at] if len(args) > selector_at else kwargs["selector"])
            self._note(str(text), where)
            return typing(target, *args, **kwargs)

        return typed

    def _note(self, text: str, where: str) -> None:
        if any(field in where for field in _CREDENTIAL_FIELDS):
            return
        if len(text) <= 1 or (not any(c.isalpha() for c in text) and len(text) < 9):
            return  # a shortcut key, a duration: nobody's personal data (a phone number is)
        self.typed.append(text)

    @staticmethod
    def known() -> list[str]:
        phones = (spelling for phone in PHONES for spelling in spellings(phone))
        return [*WORDS, *phones, VICTIM_EMAIL, quote(VICTIM_EMAIL, safe="")]

    def check(self) -> None:
        """Fails unless lines were captured, everything typed is known, and no line holds any."""
        lines = [*self.app_lines, *(line for ls in self.server_lines.values() for line in ls)]
        if self.live_server_used:
            assert any("request_finished" in line for line in self.app_lines), (
                "no access line was captured from the live server: the check would be blind"
            )
        for name, server in self.server_lines.items():
            assert any("request_finished" in line for line in server), (
                f"no access line was captured from {name}: the check would be blind"
            )
        unknown = [text for text in self.typed if not leaks([text], self.known())]
        assert not unknown, (
            "typed in a journey but holding no canary of tests/e2e/canaries.py, so a leak of it "
            f"could pass unseen: {unknown}"
        )
        found = leaks(lines, [*self.known(), *self.typed])
        assert not found, "personal data in the journeys' log lines:\n" + describe(found)

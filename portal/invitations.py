"""Inviting a victim to the portal when their case is verified (filled in by the access work)."""

from __future__ import annotations

from typing import Any


def on_case_event(sender: Any, *, case: Any, event: str, **kwargs: Any) -> None:
    return None

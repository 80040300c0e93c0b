"""Updates from case and partner events (filled in by the update-types work)."""

from __future__ import annotations

from typing import Any


def on_case_event(sender: Any, *, case: Any, event: str, **kwargs: Any) -> None:
    return None

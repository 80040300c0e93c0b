"""The one place that knows django-simple-history's private hooks."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models


def attribute_change(
    instance: models.Model, *, actor: AbstractBaseUser | None, reason: str | None = None
) -> None:
    """Tell simple-history who makes the next save() and why (tasks and commands have no request)."""
    instance._history_user = actor  # type: ignore[attr-defined]
    if reason is not None:
        instance._change_reason = reason  # type: ignore[attr-defined]

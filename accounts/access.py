"""Marks for the few views that are not staff-only. Every other URL needs a password *and* a
verified second factor (accounts.middleware.StaffOnlyMiddleware): deny by default."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

V = TypeVar("V", bound=Callable[..., object])


def public(view: V) -> V:
    """Anyone may open this view: login, password reset, public intake, webhooks."""
    view.lantern_access = "public"  # type: ignore[attr-defined]
    return view


def password_step(view: V) -> V:
    """A signed-in user who has not passed the second factor yet may open this (2FA enrolment)."""
    view.lantern_access = "password_step"  # type: ignore[attr-defined]
    return view


def access_mark(view: Callable[..., object]) -> str:
    """How a resolved view is classified: "public", "password_step", "api" or "staff"."""
    from rest_framework.views import APIView

    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    mark = getattr(view, "lantern_access", None) or getattr(cls, "lantern_access", None)
    if mark:
        return mark
    if isinstance(cls, type) and issubclass(cls, APIView):
        return "api"  # DRF answers 401/403 itself (accounts.api_auth.IsVerifiedStaff)
    return "staff"

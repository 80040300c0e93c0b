"""Operator states follow sign-out: an operator who signs out is away, so no call rings them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from live.models import OperatorState
from live.presence import set_state


@receiver(user_logged_out, dispatch_uid="live.away_on_sign_out")
def away_on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if (
        user is not None
        and OperatorState.objects.filter(user=user).exclude(state=OperatorState.State.AWAY).exists()
    ):
        set_state(user=user, state=OperatorState.State.AWAY)

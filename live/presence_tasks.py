"""Periodic jobs of operator states and idle claims (project.schedules): thin wrappers over the
services. Registered at start-up by live.signals (live/tasks.py is the calls' module)."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def end_wrap_ups() -> int:
    """Every 15 s: wrap-ups that ran out are written down as available and pushed to consoles."""
    from live.presence import end_run_out_wrap_ups

    return end_run_out_wrap_ups()


@shared_task(ignore_result=True)
def return_idle_claims() -> int:
    """Every minute: claims left idle warn their holder, then go back to the queue."""
    from live.idle_claims import warn_and_return_idle_claims

    outcome = warn_and_return_idle_claims()
    return len(outcome.warned) + len(outcome.returned)

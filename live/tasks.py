"""Celery tasks of live conversations: thin wrappers over the services (a call-back to place;
the periodic jobs of operator states and idle claims, project.schedules)."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def place_call_back(call_id: int) -> None:
    """Ring the operator for a call-back (live.callback.place): a run after the minute fails the
    call instead; a second run finds it placed."""
    from live.callback import place

    place(call_id)


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

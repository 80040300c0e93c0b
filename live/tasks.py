"""Celery tasks of live conversations: thin wrappers over the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, ignore_result=True)
def place_call_back(call_id: int) -> None:
    """Ring the operator for a call-back (live.callback.place): a run after the minute fails the
    call instead; a second run finds it placed."""
    from live.callback import place

    place(call_id)

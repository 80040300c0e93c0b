from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def close_idle_chats() -> int:
    """Every minute (project.schedules): chats idle past CHAT_IDLE_MINUTES close; their operators
    go to wrap-up."""
    from chat.services import close_idle_chats as close

    return close()

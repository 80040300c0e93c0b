from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def send_password_reset(email: str) -> None:
    from accounts.password_reset import send_reset_links

    send_reset_links(email=email)

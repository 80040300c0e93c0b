"""The Celery app (`project.celery:app`). Without REDIS_URL tasks run in-process (eager)."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.base")

app = Celery("lantern")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _log_like_the_web_processes(**_options: object) -> None:
    """Worker and beat write through project.logging as the web processes do (paths by pattern,
    numbers and emails scrubbed, no local variables), instead of Celery's own plain lines; a
    receiver here is what stops Celery from taking over the root logger."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)

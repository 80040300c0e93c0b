"""Celery is set for at-least-once delivery (SECURITY AV-02, A5); test_worker_loss.py shows what
these settings do when a worker is killed. Read from the Celery app itself, as a worker sees them."""

from __future__ import annotations

import inspect

from notifications import transports
from notifications.tasks import deliver_notification
from project.celery import app


def test_a_task_is_acknowledged_only_after_it_ran_and_requeued_if_its_worker_dies() -> None:
    assert app.conf.task_acks_late is True
    assert deliver_notification.acks_late is True
    # the worker acknowledges a task whose child was killed unless told to requeue it
    assert app.conf.task_reject_on_worker_lost is True
    assert deliver_notification.reject_on_worker_lost in (None, True)  # None: the app's setting


def test_a_worker_holds_one_task_at_a_time() -> None:
    # a prefetched task sits unacknowledged behind a slow one, and dies with its worker
    assert app.conf.worker_prefetch_multiplier == 1


def test_every_task_ends_before_the_broker_hands_it_out_again() -> None:
    soft, hard = app.conf.task_soft_time_limit, app.conf.task_time_limit
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    # (retries wait in the row's not_before, never as a countdown held by Redis)
    assert 0 < soft < hard < visibility
    # a provider call gives up before Celery's soft limit interrupts it
    assert soft > transports.TIMEOUT_SECONDS


def test_a_worker_waits_for_the_broker_and_a_publish_never_holds_a_request() -> None:
    assert app.conf.broker_connection_retry_on_startup is True
    assert app.conf.task_publish_retry is False  # the sweeper re-publishes what could not go
    options = app.conf.broker_transport_options
    assert options["socket_connect_timeout"] <= 1
    assert options["socket_timeout"] <= 2


def test_tasks_carry_ids_only() -> None:
    # arguments sit in Redis and in failure logs: never a phone number or a message
    assert list(inspect.signature(deliver_notification.run).parameters) == ["notification_id"]

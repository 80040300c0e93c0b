"""Concurrent appends keep one chain (SECURITY AU-04): requests writing access-log rows at the same
moment on separate connections never both link to the same head."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from cases.audit_chain import verify
from cases.models import AccessLog
from tests.factories import CaseFactory, StaffFactory

WORKERS = 6
EACH = 20


def _append_concurrently(user_ids: list[int], case_id: int) -> None:
    barrier = threading.Barrier(WORKERS)

    def work(worker: int) -> None:
        barrier.wait()  # start together, so the appends really overlap
        try:
            for _ in range(EACH):
                with transaction.atomic():  # as a request's transaction would
                    AccessLog.objects.create(
                        user_id=user_ids[worker], case_id=case_id, action="view", via="web"
                    )
        finally:
            connection.close()

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(work, range(WORKERS)))


def _assert_one_chain() -> None:
    rows = list(AccessLog.objects.order_by("id").values_list("prev_hash", "hash"))
    assert len(rows) == WORKERS * EACH
    prevs = [prev for prev, _ in rows]
    assert len(set(prevs)) == len(prevs)  # no fork: no two rows follow the same one
    check = verify()
    assert (check.ok, check.rows) == (True, WORKERS * EACH)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_on_postgresql_keep_one_chain(require_postgresql: None) -> None:
    case = CaseFactory()
    users = [StaffFactory(organisation=case.helpline).pk for _ in range(WORKERS)]
    _append_concurrently(users, case.pk)
    _assert_one_chain()


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_on_any_database_keep_one_chain() -> None:
    case = CaseFactory()
    users = [StaffFactory(organisation=case.helpline).pk for _ in range(WORKERS)]
    _append_concurrently(users, case.pk)
    _assert_one_chain()

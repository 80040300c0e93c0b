"""Case numbers: the contract's format, unique, never reused, also under concurrent intake."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from accounts.models import Organisation
from cases.models import Case, Report
from cases.services import IncomingReport, open_case
from tests.factories import OrganisationFactory

NUMBER = re.compile(r"^LNT-(\d{4})-(\d{6,})$")


@pytest.mark.django_db
def test_number_has_the_contract_format_and_the_creation_year() -> None:
    helpline = OrganisationFactory()
    case, created = open_case(
        helpline=helpline, report=IncomingReport(channel="sms", source_id="SM1", body="help")
    )
    match = NUMBER.match(case.number)
    assert created
    assert match
    assert int(match.group(1)) == case.created_at.year


@pytest.mark.django_db
def test_a_rolled_back_case_leaves_nothing_and_numbering_goes_on() -> None:
    helpline = OrganisationFactory()
    first, _ = open_case(helpline=helpline, report=IncomingReport(channel="sms", source_id="SM1"))

    def fail_after_opening() -> None:
        with transaction.atomic():
            open_case(helpline=helpline, report=IncomingReport(channel="sms", source_id="SM2"))
            raise RuntimeError("the surrounding work failed")

    with pytest.raises(RuntimeError):
        fail_after_opening()

    after, _ = open_case(helpline=helpline, report=IncomingReport(channel="sms", source_id="SM3"))
    # PostgreSQL leaves a gap; SQLite may hand the unseen number out again. Either way no number
    # that any committed case ever had is given to another.
    assert int(NUMBER.match(after.number).group(2)) > int(NUMBER.match(first.number).group(2))
    assert list(Case.objects.order_by("pk").values_list("number", flat=True)) == [
        first.number,
        after.number,
    ]
    assert not Report.objects.filter(source_id="SM2").exists()


@pytest.mark.django_db
def test_a_retried_report_is_the_same_case() -> None:
    helpline = OrganisationFactory()
    report = IncomingReport(channel="sms", source_id="SM-retry", body="first delivery")
    first, created_first = open_case(helpline=helpline, report=report)
    again, created_again = open_case(helpline=helpline, report=report)
    assert (created_first, created_again) == (True, False)
    assert again.pk == first.pk
    assert Report.objects.count() == 1


def _open_concurrently(helpline: Organisation, workers: int, per_worker: int) -> list[str]:
    barrier = threading.Barrier(workers)

    def work(worker: int) -> list[str]:
        barrier.wait()  # start together, so the allocations really overlap
        numbers = []
        try:
            for i in range(per_worker):
                case, _ = open_case(
                    helpline=helpline,
                    report=IncomingReport(channel="sms", source_id=f"SM-{worker}-{i}"),
                )
                numbers.append(case.number)
        finally:
            connection.close()
        return numbers

    with ThreadPoolExecutor(workers) as pool:
        return [n for batch in pool.map(work, range(workers)) for n in batch]


@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_on_postgresql_gives_unique_numbers(require_postgresql: None) -> None:
    helpline = OrganisationFactory()
    numbers = _open_concurrently(helpline, workers=8, per_worker=25)
    assert len(numbers) == 200
    assert len(set(numbers)) == 200
    assert Case.objects.count() == 200
    assert all(NUMBER.match(n) for n in numbers)


@pytest.mark.django_db(transaction=True)
def test_concurrent_intake_on_any_database_gives_unique_numbers() -> None:
    # On SQLite this exercises WAL + BEGIN IMMEDIATE + busy timeout (no "database is locked").
    helpline = OrganisationFactory()
    numbers = _open_concurrently(helpline, workers=4, per_worker=10)
    assert len(set(numbers)) == len(numbers) == Case.objects.count() == 40


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_report_make_one_case() -> None:
    helpline = OrganisationFactory()
    barrier = threading.Barrier(6)

    def deliver(_: int) -> str:
        barrier.wait()
        try:
            case, _ = open_case(
                helpline=helpline, report=IncomingReport(channel="sms", source_id="SM-same")
            )
            return case.number
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        numbers = set(pool.map(deliver, range(6)))
    assert len(numbers) == 1
    assert Case.objects.count() == 1

"""The access log is append-only and hash-chained (SECURITY AU-04): the database refuses changes,
verify_audit finds the first broken link of a chain tampered with behind the triggers' back, and
retention's prune keeps what is left verifiable."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from cases.audit_chain import prune, row_hash, verify
from cases.models import AccessLog, AuditCheckpoint, AuditPrunePermit
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

# what both databases raise when a trigger refuses (the PostgreSQL one says integrity violation)
REFUSED = IntegrityError


def _reads(user: User, count: int, **fields: object) -> list[AccessLog]:
    case = CaseFactory()
    return [
        AccessLog.objects.create(user=user, case=case, action="view", via="web", **fields)
        for _ in range(count)
    ]


@contextmanager
def _behind_the_triggers():
    """Tampering as someone with the database's owner rights would: the triggers switched off for
    this transaction (PostgreSQL's replica role; on SQLite, dropped and made again)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            yield cursor
            cursor.execute("SET LOCAL session_replication_role = origin")
            return
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'cases_accesslog'"
        )
        triggers = cursor.fetchall()
        assert len(triggers) == 3
        for name, _ in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        yield cursor
        for _, sql in triggers:
            cursor.execute(sql)


def _verify_command() -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", stdout=out)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue()
    return 0, out.getvalue()


def test_each_row_is_linked_to_the_one_before(operator) -> None:
    first, second, third = _reads(operator, 3, ip_address="192.0.2.7")
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    stored = AccessLog.objects.values().get(pk=third.pk)
    assert stored["hash"] == row_hash(stored["prev_hash"], stored)
    assert verify().ok
    assert verify().rows == AccessLog.objects.count()


def test_a_raw_update_on_the_app_connection_is_refused(operator) -> None:
    (row,) = _reads(operator, 1)
    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_accesslog SET detail = 'x' WHERE id = %s", [row.pk])
    with pytest.raises(REFUSED), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).update(action="print")
    with pytest.raises(ValueError, match="never changed"):
        row.save()
    assert AccessLog.objects.get(pk=row.pk).action == "view"


def test_a_raw_delete_on_the_app_connection_is_refused(operator) -> None:
    (row,) = _reads(operator, 1)
    with pytest.raises(REFUSED), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_accesslog WHERE id = %s", [row.pk])
    with pytest.raises(REFUSED), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).delete()
    assert AccessLog.objects.filter(pk=row.pk).exists()


def test_a_row_cannot_be_added_outside_the_chain(operator) -> None:
    (row,) = _reads(operator, 1)
    with pytest.raises(REFUSED), transaction.atomic():
        AccessLog.objects.bulk_create([AccessLog(user=operator, action="list", via="web")])


def test_an_untouched_log_verifies_and_the_command_exits_0(operator, supervisor) -> None:
    _reads(operator, 3)
    _reads(supervisor, 2)
    code, out = _verify_command()
    assert code == 0
    assert out.strip() == "ok 5 rows"


def test_an_edited_row_is_the_first_broken_link(operator) -> None:
    rows = _reads(operator, 5)
    with _behind_the_triggers() as cursor:
        cursor.execute("UPDATE cases_accesslog SET action = 'list' WHERE id = %s", [rows[2].pk])
    check = verify()
    assert (check.ok, check.broken_id, check.rows) == (False, rows[2].pk, 2)
    assert check.problem == "the row was changed"
    code, out = _verify_command()
    assert code == 1
    assert f"row {rows[2].pk}" in out


def test_an_edited_time_is_found_too(operator) -> None:
    rows = _reads(operator, 3)
    earlier = rows[1].at - timedelta(hours=3)
    with _behind_the_triggers() as cursor:
        cursor.execute(
            "UPDATE cases_accesslog SET at = %s WHERE id = %s",
            [connection.ops.adapt_datetimefield_value(earlier), rows[1].pk],
        )
    assert verify().broken_id == rows[1].pk


def test_a_deleted_row_leaves_a_gap_at_the_next_one(operator) -> None:
    rows = _reads(operator, 5)
    with _behind_the_triggers() as cursor:
        cursor.execute("DELETE FROM cases_accesslog WHERE id = %s", [rows[1].pk])
    check = verify()
    assert (check.broken_id, check.problem) == (
        rows[2].pk,
        "a row before it was removed, added or moved",
    )
    assert _verify_command()[0] == 1


def test_deleting_the_first_row_is_found(operator) -> None:
    rows = _reads(operator, 3)
    with _behind_the_triggers() as cursor:
        cursor.execute("DELETE FROM cases_accesslog WHERE id = %s", [rows[0].pk])
    assert verify().broken_id == rows[1].pk


def test_swapped_rows_are_found(operator) -> None:
    """Two rows exchanged (each moved to the other's id) fail their hashes: the id is hashed."""
    rows = _reads(operator, 4)
    with _behind_the_triggers() as cursor:
        for old_id, new_id in ((rows[1].pk, -1), (rows[2].pk, rows[1].pk), (-1, rows[2].pk)):
            cursor.execute("UPDATE cases_accesslog SET id = %s WHERE id = %s", [new_id, old_id])
    assert verify().broken_id == rows[1].pk


def test_a_row_moved_to_the_end_leaves_a_gap(operator) -> None:
    rows = _reads(operator, 4)
    with _behind_the_triggers() as cursor:
        cursor.execute("UPDATE cases_accesslog SET id = %s WHERE id = %s", [10**9, rows[1].pk])
    assert verify().broken_id == rows[2].pk


def test_a_row_inserted_with_a_copied_hash_is_found(operator) -> None:
    rows = _reads(operator, 3)
    with _behind_the_triggers() as cursor:
        cursor.execute(
            "INSERT INTO cases_accesslog (id, user_id, action, via, detail, at, prev_hash, hash)"
            " VALUES (%s, %s, 'view', 'web', '', %s, %s, %s)",
            [
                rows[1].pk + 10**6,
                operator.pk,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                rows[2].hash,
                rows[2].hash,
            ],
        )
    assert verify().broken_id == rows[1].pk + 10**6


def test_prune_removes_old_rows_and_the_rest_still_verifies(operator) -> None:
    old = _reads(operator, 3, at=timezone.now() - timedelta(days=400))
    recent = _reads(operator, 2)
    assert prune(timezone.now() - timedelta(days=365)) == 3
    assert list(AccessLog.objects.order_by("id")) == recent
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.last_removed_id, checkpoint.last_hash, checkpoint.removed) == (
        old[-1].pk,
        old[-1].hash,
        3,
    )
    assert not AuditPrunePermit.objects.exists()
    assert verify() == verify().__class__(rows=2)
    newer = _reads(operator, 1)[0]
    assert newer.prev_hash == recent[-1].hash
    assert _verify_command() == (0, "ok 3 rows\n")


def test_prune_of_everything_then_new_rows_chain_from_the_checkpoint(operator) -> None:
    rows = _reads(operator, 2, at=timezone.now() - timedelta(days=10))
    assert prune(timezone.now()) == 2
    assert prune(timezone.now()) == 0
    (newer,) = _reads(operator, 1)
    assert newer.pk > rows[-1].pk
    assert newer.prev_hash == rows[-1].hash
    assert verify().ok


def test_prune_keeps_the_chain_whole_when_times_are_out_of_order(operator) -> None:
    """A row written with an older time after a newer one waits: only the unbroken oldest run
    goes, so no hole opens in the chain."""
    long_ago = timezone.now() - timedelta(days=400)
    first = _reads(operator, 1, at=long_ago)
    _reads(operator, 1)
    late = _reads(operator, 1, at=long_ago)
    assert prune(timezone.now() - timedelta(days=365)) == 1
    assert AccessLog.objects.filter(pk=late[0].pk).exists()
    assert not AccessLog.objects.filter(pk=first[0].pk).exists()
    assert verify().ok


def test_a_deletion_after_a_prune_is_still_found(operator) -> None:
    _reads(operator, 2, at=timezone.now() - timedelta(days=400))
    kept = _reads(operator, 3)
    prune(timezone.now() - timedelta(days=365))
    with _behind_the_triggers() as cursor:
        cursor.execute("DELETE FROM cases_accesslog WHERE id = %s", [kept[0].pk])
    assert verify().broken_id == kept[1].pk


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_leaves_a_log_the_flush_can_clear(operator) -> None:
    """Its teardown is the check: without tests/conftest.py's clearing (tests/privacy/
    audit_flush.py) the flush's DELETE is refused on SQLite like any other."""
    assert len(_reads(operator, 2)) == 2

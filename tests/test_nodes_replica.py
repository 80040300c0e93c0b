"""The read-replica router: reads go to the replica only inside replica_reads(), and even there
writes and reads inside a transaction stay on the primary. Proved by counting the queries each
connection runs, in a fresh interpreter whose DATABASE_REPLICA_URL is a second connection to this
test's database (a real replica would differ only in lagging)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Organisation
from project.db_router import REPLICA, ReplicaRouter, replica_reads
from tests.servers import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_router_sends_only_lag_tolerant_reads_to_the_replica() -> None:
    router = ReplicaRouter()
    assert router.db_for_read(Organisation) == "default"
    with replica_reads():
        assert router.db_for_read(Organisation) == REPLICA
        assert router.db_for_write(Organisation) == "default"
        with transaction.atomic():
            assert router.db_for_read(Organisation) == "default"  # read-your-writes
        assert router.db_for_read(Organisation) == REPLICA
    assert router.db_for_read(Organisation) == "default"
    assert router.allow_migrate("default", "cases")
    assert not router.allow_migrate(REPLICA, "cases")


def probe() -> dict[str, object]:
    """Run in the child: which connections each kind of work used, and what it saw."""
    from django.db import connections

    def aliases(work) -> list[str]:  # type: ignore[no-untyped-def]
        with (
            CaptureQueriesContext(connections["default"]) as primary,
            CaptureQueriesContext(connections[REPLICA]) as replica,
        ):
            work()
        return [alias for alias, ran in (("default", primary), (REPLICA, replica)) if ran]

    seen: dict[str, object] = {}

    def read() -> None:
        seen["name"] = Organisation.objects.get(slug="north-helpline").name

    def write() -> None:
        Organisation.objects.filter(slug="north-helpline").update(name="North Helpline (renamed)")

    def read_own_write() -> None:
        with transaction.atomic():
            Organisation.objects.create(slug="written-just-now", name="Written just now")
            seen["own_write"] = Organisation.objects.filter(slug="written-just-now").exists()
            transaction.set_rollback(True)

    result: dict[str, object] = {"outside": aliases(read)}
    with replica_reads():
        result["inside"] = aliases(read)
        result["inside_saw"] = seen["name"]
        result["write_inside"] = aliases(write)
        result["atomic_inside"] = aliases(read_own_write)
        result["own_write_seen"] = seen["own_write"]
    result["after"] = aliases(read)
    return result


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db.get('USER') or 'postgres'}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_queries_go_to_the_replica_only_inside_replica_reads(helpline) -> None:
    url = database_url()
    child = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import django, json; django.setup(); "
            "from tests.test_nodes_replica import probe; print(json.dumps(probe()))",
        ],  # fmt: skip
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "project.settings.base",
            "DEBUG": "True",
            "DATABASE_URL": url,
            "DATABASE_REPLICA_URL": url,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    seen = json.loads(child.stdout.splitlines()[-1])
    assert seen == {
        "outside": ["default"],
        "inside": [REPLICA],
        "inside_saw": "North Helpline",
        "write_inside": ["default"],
        "atomic_inside": ["default"],  # the insert and the read of it: primary only
        "own_write_seen": True,
        "after": ["default"],
    }
    helpline.refresh_from_db()
    assert helpline.name == "North Helpline (renamed)"  # the write reached the primary

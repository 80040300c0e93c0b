"""The soak (bench/soak.py) for half a minute on the real parts, so its code never rots: the
production layout it starts (gunicorn, two daphne, a Celery worker) on this test's PostgreSQL
database and Redis, under its mixed load. Nothing lost, nothing duplicated, no unexpected answer,
no dropped socket, and every kind of work happened. Memory growth is the long soak's to judge:
half a minute is too short to tell a trend from noise."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.seeds import reseed
from tests.servers import ROOT, database_url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_services]


def test_half_a_minute_of_mixed_load_loses_nothing(require_postgresql: None) -> None:
    assert settings.REDIS_URL, "the soak needs Redis: its channel layer, cache and broker"
    # The soak reads the lookups the data migrations seed (a category, a service type); a test
    # before this one may have flushed them, as every transactional test does.
    reseed()
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL}
    done = subprocess.run(  # noqa: S603
        [sys.executable, "bench/soak.py", "--minutes", "0.5", "--consoles", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    output = done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, output
    assert lines, output
    result = dict(pair.split("=", 1) for pair in lines[-1].split()[1:])
    assert (result["errors"], result["lost"], result["duplicated"]) == ("0", "0", "0"), output
    # every part of the load ran: reports acknowledged, retries sent, sockets heard events, and
    # each class of page answered (a p95 of nan would mean none of its pages was requested)
    assert int(result["reports"]) > 0
    assert int(result["retries"]) > 0
    assert int(result["socket_events"]) > 0
    assert all(result[f"p95_{kind}_ms"] != "nan" for kind in
               ("webhook", "form", "pages", "api", "dashboards"))  # fmt: skip

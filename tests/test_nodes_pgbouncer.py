"""Lantern through a real PgBouncer in transaction pooling (DB_PGBOUNCER=true): two web workers
share two server connections, each handed to whichever client starts a transaction next, so any
session state (a prepared statement, a held cursor, a session lock) would land on another client.
A webhook is stored exactly once and a case page is read by a signed-in member of staff."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection

from cases.models import Case
from tests.factories import TEST_PASSWORD
from tests.servers import ServeHttp, _wait_for, free_port, running, send, sign_in, signed_request
from tests.test_nodes import HELPLINE_NUMBER
from tests.test_nodes import staff as staff  # a fixture
from tests.twilio import AUTH_TOKEN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_services]

SERVER_CONNECTIONS = 2
APP = f"lantern-via-pgbouncer-{uuid.uuid4().hex[:8]}"


class PgBouncer:
    """Debian's pgbouncer on a free loopback port, in front of this test's PostgreSQL."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> PgBouncer:
        db = connection.settings_dict
        self.dir = tempfile.TemporaryDirectory()
        Path(self.dir.name).chmod(0o755)  # it drops root for nobody, who must read its config
        users = Path(self.dir.name, "users.txt")
        users.write_text(f'"{db["USER"] or "postgres"}" ""\n')
        config = Path(self.dir.name, "pgbouncer.ini")
        config.write_text(
            "[databases]\n"
            f"* = host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\n"
            f"pool_mode = transaction\ndefault_pool_size = {SERVER_CONNECTIONS}\n"
            "max_client_conn = 100\n"
        )
        for path in (users, config):
            path.chmod(0o644)
        self.process = subprocess.Popen(  # noqa: S603
            [shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", "-u", "nobody", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(self._listening, "pgbouncer")
        return self

    def _listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited with {self.process.returncode}")
        socket.create_connection(("127.0.0.1", self.port), 1).close()
        return True

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def test_a_webhook_and_a_case_page_through_pgbouncer_in_transaction_mode(
    require_postgresql: None, helpline, staff
) -> None:
    if not shutil.which("pgbouncer") and not Path("/usr/sbin/pgbouncer").exists():
        pytest.fail("pgbouncer is not installed (apt-get install pgbouncer)")
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    bouncer = PgBouncer()
    db = connection.settings_dict
    user, name = db["USER"] or "postgres", db["NAME"]
    env = {
        # the name PgBouncer passes on to the server connection it lends each client
        "DATABASE_URL": f"postgres://{user}@127.0.0.1:{bouncer.port}/{name}?application_name={APP}",
        "DB_PGBOUNCER": "true",
        "REDIS_URL": settings.REDIS_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "DEBUG": "True",
        "SMS_ACK_TEXT": "",
    }
    with running(bouncer, ServeHttp(env=env, workers=2)) as (_, web):
        sms = {"MessageSid": "SM" + "8" * 32, "From": "+447700900124",
               "To": HELPLINE_NUMBER, "Body": "Made-up test message"}  # fmt: skip
        request = signed_request(web.base_url, "/intake/twilio/sms/", sms, AUTH_TOKEN)
        # a retry of the same message is a no-op, through PgBouncer as without it
        assert [send(request), send(request)] == [200, 200]
        (number,) = Case.objects.filter(reports__source_id=sms["MessageSid"]).values_list(
            "number", flat=True
        )
        browser = requests.Session()
        sign_in(browser, web.base_url, staff, TEST_PASSWORD)
        for _ in range(5):  # more statements than psycopg's default prepare threshold
            page = browser.get(f"{web.base_url}/cases/{number}/", timeout=30)
            assert page.status_code == 200
            assert number in page.text
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP]
            )
            (through_bouncer,) = cursor.fetchone()
        assert 0 < through_bouncer <= SERVER_CONNECTIONS  # two workers, at most two server links

"""Lantern on several nodes, played on this machine: two bin/serve-http and two bin/serve-ws
processes on one PostgreSQL, the channel layer sharded over two private Redis servers
(CHANNEL_REDIS_URLS), and a read replica alias (DATABASE_REPLICA_URL, here the same database under
another application_name, so the test can tell which connections were opened)."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
import requests
import websocket
from channels_redis.core import RedisChannelLayer
from django.conf import global_settings, settings
from django.db import connection

from accounts.models import User
from cases.models import Case
from tests.factories import TEST_PASSWORD
from tests.servers import (
    RedisServer,
    ServeHttp,
    ServeWs,
    database_url,
    running,
    send,
    sign_in,
    signed_request,
)
from tests.twilio import AUTH_TOKEN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_services]

HELPLINE_NUMBER = "+447700900000"  # Ofcom's drama range
# The replica alias's connections carry this name, so the test can count them in PostgreSQL.
REPLICA_APP = f"lantern-replica-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def nodes_env(require_postgresql: None, helpline) -> dict[str, str]:  # type: ignore[no-untyped-def]
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    return {
        "DATABASE_URL": database_url(),
        "DATABASE_REPLICA_URL": f"{database_url()}?application_name={REPLICA_APP}",
        "REDIS_URL": settings.REDIS_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "DEBUG": "True",  # plain HTTP on loopback: cookies without Secure
        "SMS_ACK_TEXT": "",
    }


@pytest.fixture
def staff(supervisor, settings) -> User:  # type: ignore[no-untyped-def]
    """The supervisor, their password hashed as in production: the test settings' quick hasher
    is one the servers, on production settings, do not accept."""
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    supervisor.set_password(TEST_PASSWORD)
    supervisor.save(update_fields=["password"])
    return supervisor


def replica_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [REPLICA_APP]
        )
        return cursor.fetchone()[0]


def listen(ws: ServeWs, browser: requests.Session, origin: str) -> websocket.WebSocket:
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    url = ws.base_url.replace("http", "ws", 1) + "/ws/helpline/"
    return websocket.create_connection(url, timeout=15, cookie=cookie, origin=origin)


def heard(socket: websocket.WebSocket, number: str) -> bool:
    """Whether case.created for this case arrives on the socket (other events may come first)."""
    while True:
        event = json.loads(socket.recv())
        if event.get("type") == "case.created" and event["case"]["number"] == number:
            return True


def assert_groups_sharded(urls: list[str]) -> None:
    """The listening sockets' groups sit on the shards their names hash to, as on every node."""
    layer = RedisChannelLayer(hosts=urls)
    placed = {i: redis.Redis.from_url(url).keys("asgi:group:*") for i, url in enumerate(urls)}
    assert sum(len(keys) for keys in placed.values()) >= 2  # a helpline's and a person's group
    for shard, keys in placed.items():
        for key in keys:
            assert layer.consistent_hash(key.decode().split(":", 2)[2]) == shard


def test_two_web_and_two_socket_nodes_share_everything(nodes_env, staff) -> None:
    shards = [RedisServer(), RedisServer()]
    with running(*shards):
        env = {**nodes_env, "CHANNEL_REDIS_URLS": ",".join(s.url for s in shards)}
        web = [ServeHttp(env=env, workers=1), ServeHttp(env=env, workers=1)]
        ws = [ServeWs(env=env), ServeWs(env=env)]
        # One public address for all, as behind a load balancer: Twilio signs that URL and
        # sockets are accepted only from its origin, whichever node answers.
        public = web[0].base_url
        for server in (*web, *ws):
            server.env["PUBLIC_BASE_URL"] = public
        with running(*web, *ws):
            # given: a supervisor signed in on web #1, listening on both socket nodes
            browser = requests.Session()
            sign_in(browser, web[0].base_url, staff, TEST_PASSWORD)
            sockets = [listen(node, browser, public) for node in ws]
            try:
                # when: a text message reaches web #1
                sms = {"MessageSid": "SM" + "7" * 32, "From": "+447700900123",
                       "To": HELPLINE_NUMBER, "Body": "Made-up test message"}  # fmt: skip
                assert send(signed_request(public, "/intake/twilio/sms/", sms, AUTH_TOKEN)) == 200
                number = Case.objects.get(reports__source_id=sms["MessageSid"]).number

                # then: both socket nodes hear of the case
                assert all(heard(socket, number) for socket in sockets)
                assert_groups_sharded([shard.url for shard in shards])
            finally:
                for socket in sockets:
                    socket.close()

            # and web #2 serves the case page to the session web #1 signed in (sessions are in
            # the database: no sticky sessions)
            page = browser.get(f"{web[1].base_url}/cases/{number}/", timeout=30)
            assert page.status_code == 200
            assert number in page.text
            # nothing so far read the replica: webhooks, sign-in, case pages and sockets read
            # what they have just written
            assert replica_connections() == 0

            # and a report on web #2 reads its figures through the replica
            report = browser.get(f"{web[1].base_url}/dashboards/reports/", timeout=30)
            assert report.status_code == 200
            assert "Snapshot" in report.text
            assert replica_connections() > 0

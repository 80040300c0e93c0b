"""The production layout as it ships (README "Production layout"): nginx with deploy/nginx.conf in
front, bin/serve-http (gunicorn, the Dockerfile's CMD) for pages, API and webhooks, bin/serve-ws
(daphne, docker-compose's `ws`) for /ws/. Each is started from the shipped files on loopback."""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import websocket
import yaml
from django.conf import settings

from cases.models import Case, Report
from tests.factories import TEST_PASSWORD
from tests.launchers import (
    LaunchedNginx,
    LaunchedServeHttp,
    LaunchedServeWs,
    compose_command,
    dockerfile_cmd,
    serve_ws_daphne_args,
)
from tests.servers import ROOT, database_url, running, sign_in, signed_request
from tests.test_security_headers import _raw_head, _server_env
from tests.twilio import AUTH_TOKEN, sms_params

HELPLINE_NUMBER = "+447700900000"  # Ofcom's drama range; tests.twilio.sms_params texts it


def test_the_image_and_compose_run_the_production_servers() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert dockerfile_cmd() == ["bin/serve-http"]
    assert compose_command("web") == ["bin/serve-http"]
    assert compose_command("ws") == ["bin/serve-ws"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in compose["proxy"]["volumes"]
    # only the proxy is reachable from outside
    assert [name for name, service in compose.items() if "ports" in service] == ["proxy"]
    assert (
        "TRUSTED_PROXY_COUNT: ${TRUSTED_PROXY_COUNT:-1}"
        in (ROOT / "docker-compose.yml").read_text()
    )


class _Echo(BaseHTTPRequestHandler):
    """An upstream that answers with its own name and what reached it."""

    server_version = "echo"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length) if length else b""
        body = json.dumps(
            {
                "upstream": self.server.name,
                "path": self.path,  # type: ignore[attr-defined]
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "received": len(received),
            }  # fmt: skip
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815 - the handler's names

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo_upstreams() -> Iterator[dict[str, int]]:
    servers = {}
    for name in ("web", "ws"):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[name] = server
    yield {name: server.server_address[1] for name, server in servers.items()}
    for server in servers.values():
        server.shutdown()
        server.server_close()


def test_the_proxy_routes_limits_and_appends_the_address_once(echo_upstreams) -> None:
    with running(LaunchedNginx(web_port=echo_upstreams["web"], ws_port=echo_upstreams["ws"])) as (
        nginx,
    ):
        https = requests.Session()
        https.trust_env = False  # REQUESTS_CA_BUNDLE would win over `verify`
        https.verify = str(nginx.dir / "fullchain.pem")

        def through(method: str, path: str, **kwargs: object) -> requests.Response:
            return https.request(method, nginx.base_url + path, timeout=30, **kwargs)  # type: ignore[arg-type]

        # given a client that claims an address of its own
        spoofed = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "http"}

        # pages, API and webhooks go to web; the client's claim is kept, the address nginx saw
        # is appended exactly once (TRUSTED_PROXY_COUNT=1 takes that last entry), and the scheme
        # is nginx's, never the client's
        for path in ("/cases/", "/api/v1/cases/?q=1", "/wsx/", "/"):
            seen = through("GET", path, headers=spoofed).json()
            assert seen["upstream"] == "web", path
            assert seen["path"] == path
            assert seen["headers"]["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
            assert seen["headers"]["x-forwarded-proto"] == "https"
            assert seen["headers"]["host"] == "127.0.0.1"  # $host: the name, never a port
            assert "upgrade" not in seen["headers"]

        # a WebSocket handshake under /ws/ goes to ws, asking it to upgrade
        handshake = {"Upgrade": "websocket", "Connection": "Upgrade", **spoofed}
        seen = through("GET", "/ws/helpline/", headers=handshake).json()
        assert seen["upstream"] == "ws"
        assert seen["headers"]["upgrade"] == "websocket"
        assert seen["headers"]["connection"] == "upgrade"
        assert seen["headers"]["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
        assert seen["headers"]["x-forwarded-proto"] == "https"

        # bodies: a webhook up to Lantern's own limit passes, one byte more is refused by the
        # proxy; a feed file far bigger than a form passes where a form that size would not
        limit = settings.INTAKE_MAX_BODY_BYTES
        sms = "/intake/twilio/sms/"
        assert through("POST", sms, data=b"x" * limit).json()["received"] == limit
        assert through("POST", sms, data=b"x" * (limit + 1)).status_code == 413
        big = b"x" * (4 * 1024 * 1024)
        for feed in ("/feeds/police/imports/", "/api/v1/feeds/police/imports/"):
            assert through("POST", feed, data=big).json()["received"] == len(big), feed
        assert through("POST", "/cases/", data=big).status_code == 413
        feed_limit = re.search(
            r"feeds/\[\^/\]\+/imports/\$ \{\s*client_max_body_size (\d+)m;",
            (ROOT / "deploy" / "nginx.conf").read_text(),
        )
        assert int(feed_limit.group(1)) > settings.FEED_MAX_FILE_MB

        # plain HTTP only redirects to HTTPS; the proxy does not say which version it is
        plain = requests.get(
            f"http://127.0.0.1:{nginx.http_port}/cases/", allow_redirects=False, timeout=10
        )
        assert plain.status_code == 301
        assert plain.headers["Location"] == "https://127.0.0.1/cases/"  # to port 443
        assert through("GET", "/").headers["Server"] == "nginx"
    assert "[emerg]" not in nginx.error_log()


def test_serve_http_does_not_serve_websockets() -> None:
    """A handshake that reaches serve-http by mistake is an ordinary 404 page, never an upgrade."""
    with running(LaunchedServeHttp(env={**_server_env(), "WEB_CONCURRENCY": "1"})) as (web,):
        head = _raw_head(
            web.port,
            f"GET /ws/helpline/ HTTP/1.1\r\nHost: 127.0.0.1:{web.port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {web.base_url}\r\n\r\n",
        )
    assert head.startswith("HTTP/1.1 404"), head
    assert "sec-websocket-accept" not in head.lower()


@pytest.fixture
def layout_env(require_postgresql: None, helpline) -> dict[str, str]:  # type: ignore[no-untyped-def]
    helpline.phone_number = HELPLINE_NUMBER
    helpline.save()
    return {
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "DEBUG": "True",  # the test's own certificate; cookies without Secure are fine here
        "TRUSTED_PROXY_COUNT": "1",
        "DJANGO_SETTINGS_MODULE": "project.settings.test",  # the factories' password hasher
        "WEB_CONCURRENCY": "2",
    }


@pytest.mark.real_services
@pytest.mark.django_db(transaction=True)
def test_a_text_message_through_the_layout_reaches_an_operator_socket(layout_env, operator) -> None:
    """Everything through the one public HTTPS address, as a browser and Twilio see it: pages and
    the API answered by serve-http, the operator's socket held by serve-ws, and a signed text
    message to serve-http heard on that socket."""
    web, ws = LaunchedServeHttp(env=layout_env), LaunchedServeWs(env=layout_env)
    nginx = LaunchedNginx(web_port=web.port, ws_port=ws.port)
    for server in (web, ws):
        server.env["PUBLIC_BASE_URL"] = nginx.base_url  # Twilio signs it; sockets' only origin
    with running(web, ws, nginx):
        public = nginx.base_url
        ca = str(nginx.dir / "fullchain.pem")
        # given: an operator signed in through the proxy, with the queue page, the API and a
        # socket open
        staff = requests.Session()
        staff.trust_env = False  # REQUESTS_CA_BUNDLE would win over `verify`
        staff.verify = ca
        sign_in(staff, public, operator, TEST_PASSWORD)
        assert staff.get(f"{public}/console/", timeout=30).status_code == 200
        assert staff.get(f"{public}/api/v1/cases/", timeout=30).status_code == 200
        cookie = "; ".join(f"{c.name}={c.value}" for c in staff.cookies)
        socket = websocket.create_connection(
            public.replace("https", "wss", 1) + "/ws/helpline/",
            timeout=20,
            cookie=cookie,
            origin=public,
            sslopt={"ca_certs": ca, "cert_reqs": ssl.CERT_REQUIRED},
        )
        try:
            # when: Twilio delivers a text message to the public address
            sid = "SM" + uuid.uuid4().hex
            request = signed_request(public, "/intake/twilio/sms/", sms_params(sid), AUTH_TOKEN)
            context = ssl.create_default_context(cafile=ca)
            with urllib.request.urlopen(request, timeout=30, context=context) as answer:  # noqa: S310
                assert answer.status == 200

            # then: the case is stored once, and the operator's socket hears of it
            number = Case.objects.get(reports__source_id=sid).number
            assert Report.objects.filter(source_id=sid).count() == 1
            while True:
                event = json.loads(socket.recv())
                if event.get("type") == "case.created":
                    assert event["case"]["number"] == number
                    break
        finally:
            socket.close()
        # and the same socket straight to serve-http is refused: only serve-ws holds sockets
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(
                web.base_url.replace("http", "ws", 1) + "/ws/helpline/",
                timeout=20, cookie=cookie, origin=public,
            )  # fmt: skip
        assert refused.value.status_code == 404


def test_neither_server_trusts_forwarded_headers() -> None:
    """The client's address and scheme are Lantern's to decide (project.proxy counts
    TRUSTED_PROXY_COUNT hops from the right, SECURE_PROXY_SSL_HEADER): gunicorn would take
    X-Forwarded-Proto from the addresses it is told to trust, daphne --proxy-headers the
    leftmost X-Forwarded-For, which any client writes."""
    printed = subprocess.run(  # noqa: S603 - our own script and interpreter
        [str(ROOT / "bin" / "serve-http"), "--print-config"],
        env={**os.environ, "PYTHON": sys.executable, "DEBUG": "True"},
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip
    assert re.search(r"^forwarded_allow_ips\s+= \[\]$", printed, re.MULTILINE), printed
    assert re.search(r"^accesslog\s+= None$", printed, re.MULTILINE)
    assert "--proxy-headers" not in serve_ws_daphne_args()
    assert "--proxy-headers" not in (ROOT / "docker-compose.yml").read_text()
    assert settings.MIDDLEWARE[0] == "project.proxy.TrustedProxyMiddleware"

"""What every response tells the browser (the ZAP passive rules, checked in the suite)."""

from __future__ import annotations

import pytest

from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_login_page_headers(client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Server" not in response


def test_csrf_cookie_lives_only_as_long_as_the_browser(client) -> None:
    client.get("/accounts/login/")
    cookie = client.cookies["csrftoken"]
    assert not cookie["max-age"]
    assert not cookie["expires"]
    assert cookie["httponly"]


def test_case_pages_are_never_cached_and_keep_no_history(operator, otp_client) -> None:
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(operator)
    for url in ("/cases/", f"/cases/{case.number}/"):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"]
        html = response.content.decode()
        assert '"historyCacheSize":0' in html
        assert 'hx-history="false"' in html


def test_pages_load_nothing_from_other_sites(operator, otp_client) -> None:
    html = otp_client(operator).get("/cases/").content.decode()
    assert "https://" not in html
    assert "http://" not in html
    assert "<script>" not in html  # no inline scripts: the CSP would block them
    assert "style=" not in html


def test_every_answer_with_case_data_is_never_stored(operator, otp_client) -> None:
    """Set once for every answer (project.middleware.NoStoreMiddleware), not view by view: the
    API, case pages, error pages and the public form alike."""
    case = CaseFactory(helpline=operator.organisation)
    client = otp_client(operator)
    urls = [
        "/api/v1/cases/",
        f"/api/v1/cases/{case.number}/",
        f"/api/v1/cases/{case.number}/history/",
        "/api/v1/cases/LNT-2000-999999/",  # a 404 from the API
        f"/cases/{case.number}/",
        "/cases/LNT-2000-999999/",
        "/report/",
        "/accounts/login/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= cache_control, url


def test_static_files_keep_their_cache(client) -> None:
    response = client.get("/static/css/lantern.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


SOCKET_ORIGINS = [
    ("https://lantern.example.org", True),
    ("http://lantern.example.org", False),  # same host, another scheme
    ("https://lantern.example.org:8443", False),  # same host, another port
    ("https://lantern.example.org:443", True),  # the default port, written out
    ("https://evil.example", False),
    ("https://sub.lantern.example.org", False),
    ("https://lantern.example.org:notaport", False),
    ("null", False),
    (None, False),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("origin", "admitted"), SOCKET_ORIGINS)
async def test_a_socket_opens_only_from_the_public_origin(
    origin: str | None, admitted: bool, operator, otp_client, settings
) -> None:
    """Scheme, host and port of PUBLIC_BASE_URL (ASVS 4.4.2): any site can open a socket that
    carries our cookie, and the host alone (ALLOWED_HOSTS) lets in http and other ports."""
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from project.asgi import application
    from tests.sockets import session_cookie

    settings.PUBLIC_BASE_URL = "https://lantern.example.org"
    settings.ALLOWED_HOSTS = ["lantern.example.org"]
    cookie = await sync_to_async(lambda: session_cookie(otp_client(operator)))()
    headers = [cookie] + ([(b"origin", origin.encode())] if origin else [])
    socket = WebsocketCommunicator(application, "/ws/helpline/", headers=headers)
    connected, _ = await socket.connect(timeout=5)
    await socket.disconnect()
    assert connected is admitted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin", ["https://127.0.0.1:8000", "http://127.0.0.1:8001", "http://localhost:8000"]
)
async def test_make_run_sockets_refuse_other_schemes_ports_and_hosts(
    origin: str, operator, otp_client
) -> None:
    """The embedded default (PUBLIC_BASE_URL http://127.0.0.1:8000, ALLOWED_HOSTS naming
    127.0.0.1 and localhost): only the exact origin, which tests.sockets.OUR_ORIGIN is."""
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from project.asgi import application
    from tests.sockets import OUR_ORIGIN, session_cookie

    cookie = await sync_to_async(lambda: session_cookie(otp_client(operator)))()
    for header, admitted in ((OUR_ORIGIN, True), ((b"origin", origin.encode()), False)):
        socket = WebsocketCommunicator(application, "/ws/helpline/", headers=[cookie, header])
        connected, _ = await socket.connect(timeout=5)
        await socket.disconnect()
        assert connected is admitted, header


def _raw_head(port: int, request: str) -> str:
    """The status line and headers exactly as the server wrote them."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n", 1)[0].decode("latin-1")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("launcher", ["serve-http", "serve-ws", "make run"])
def test_the_real_server_sends_no_server_header(launcher: str) -> None:
    """Each server as it ships (bin/serve-http, the Dockerfile's CMD; bin/serve-ws, docker-compose's
    `ws`; daphne as `make run` starts it) says nothing about itself: not on a page, an error of
    Lantern's or of the server's own (a request it cannot parse), nor a WebSocket handshake."""
    from tests.launchers import LaunchedDaphne, LaunchedServeHttp, LaunchedServeWs, makefile_argv
    from tests.servers import running

    env = _server_env()
    server = {
        "serve-http": lambda: LaunchedServeHttp(env={**env, "WEB_CONCURRENCY": "1"}),
        "serve-ws": lambda: LaunchedServeWs(env=env),
        "make run": lambda: LaunchedDaphne(makefile_argv(), env=env),
    }[launcher]()
    with running(server):
        host = f"Host: 127.0.0.1:{server.port}\r\n"
        heads = [
            _raw_head(server.port, f"GET /healthz/ HTTP/1.1\r\n{host}Connection: close\r\n\r\n"),
            _raw_head(
                server.port, f"GET /no/such/page/ HTTP/1.1\r\n{host}Connection: close\r\n\r\n"
            ),
            _raw_head(
                server.port,
                f"GET /ws/helpline/ HTTP/1.1\r\n{host}Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: {server.base_url}\r\n\r\n",
            ),
            _raw_head(server.port, "NOT A REQUEST\r\n\r\n"),
        ]
    assert heads[0].startswith("HTTP/1.1 200"), heads[0]
    assert heads[1].startswith("HTTP/1.1 404"), heads[1]
    # no session: refused at the handshake; serve-http serves no sockets at all (a page 404)
    assert heads[2].startswith("HTTP/1.1 404" if launcher == "serve-http" else "HTTP/1.1 403")
    assert " 400 " in heads[3].splitlines()[0], heads[3]
    for head in heads:
        names = [line.split(":", 1)[0].strip().lower() for line in head.splitlines()[1:]]
        assert "server" not in names, head


def _server_env() -> dict[str, str]:
    """The server on this test's database, DEBUG on (plain HTTP on loopback)."""
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    from tests.servers import database_url

    if connection.vendor == "postgresql":
        url = database_url()
    else:
        url = "sqlite:///" + str(Path(connection.settings_dict["NAME"]).resolve())
    env = {"DATABASE_URL": url, "DEBUG": "True", "DJANGO_SETTINGS_MODULE": "project.settings.base"}
    if settings.REDIS_URL:
        env["REDIS_URL"] = settings.REDIS_URL
    return env


def test_make_run_serves_on_port_and_its_sockets_follow() -> None:
    """`PORT=8123 make run`: daphne on 8123, and PUBLIC_BASE_URL (the only origin sockets are
    accepted from) follows unless set. The recipe's own shell line, with Python only printing."""
    import os
    import subprocess

    from tests.launchers import makefile_run_line

    echo = "python3 -c 'import os, sys; print(os.environ[\"PUBLIC_BASE_URL\"], *sys.argv[1:])'"
    line = makefile_run_line().replace("$(PY)", echo)
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "PUBLIC_BASE_URL")}
    for extra, expected_origin, port in (
        ({"PORT": "8123"}, "http://127.0.0.1:8123", "8123"),
        ({}, "http://127.0.0.1:8000", "8000"),
        (
            {"PORT": "8123", "PUBLIC_BASE_URL": "http://127.0.0.1:9000"},
            "http://127.0.0.1:9000",
            "8123",
        ),
    ):
        out = subprocess.run(  # noqa: S603
            ["/bin/sh", "-c", line],
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        assert out[0] == expected_origin
        assert out[out.index("-p") + 1] == port
        assert "--no-server-name" in out
        assert out[out.index("-v") + 1] == "0"

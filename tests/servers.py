"""Real processes on loopback for fault and load tests: daphne serving Lantern, production's
bin/serve-http and bin/serve-ws, a private redis-server, a Celery worker. Each starts on a free
port and is always stopped by its owner. And what a test does to them as a person or Twilio
would: sign in, send a signed webhook."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.db import connection
from django.utils.datastructures import MultiValueDict
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The URL of the database this test process uses (the test database, on PostgreSQL)."""
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def _wait_for(check, what: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not come up in {timeout} s")


class Daphne:
    """Lantern under daphne in its own process, talking to the given database and Redis."""

    # Seconds to come up: Django's start on a busy two-core machine can take a while.
    start_timeout: float = 120

    def __init__(self, *, env: dict[str, str], settings_module: str = "project.settings.base"):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "PUBLIC_BASE_URL": self.base_url,
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
                "project.asgi:application"]  # fmt: skip

    def start(self) -> Daphne:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
        self.process = subprocess.Popen(  # noqa: S603
            self.argv(),
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(self._healthy, type(self).__name__, timeout=self.start_timeout)
        except BaseException:
            self.stop()  # never left running behind a failed start: nobody else would stop it
            raise
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            self.log.seek(0)
            output = self.log.read().decode(errors="replace")
            raise RuntimeError(f"{type(self).__name__} exited:\n{output}")
        with urllib.request.urlopen(f"{self.base_url}/healthz/", timeout=2) as response:  # noqa: S310
            return response.status == 200

    def log_tail(self, lines: int = 40) -> str:
        self.log.seek(0)
        return "\n".join(self.log.read().decode(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class ServeHttp(Daphne):
    """bin/serve-http, production's HTTP server, on a free port: every page, API call and webhook
    (no WebSockets)."""

    def __init__(self, *, env: dict[str, str], settings_module: str = "project.settings.base",
                 workers: int = 2) -> None:  # fmt: skip
        super().__init__(settings_module=settings_module, env={
            "WEB_CONCURRENCY": str(workers), "PYTHON": sys.executable, **env})  # fmt: skip
        self.env.update(HOST="127.0.0.1", PORT=str(self.port))

    def argv(self) -> list[str]:
        return [str(ROOT / "bin" / "serve-http")]


class ServeWs(Daphne):
    """bin/serve-ws, production's WebSocket server, on a free port (it answers /healthz/ too)."""

    def __init__(
        self, *, env: dict[str, str], settings_module: str = "project.settings.base"
    ) -> None:
        super().__init__(settings_module=settings_module, env={"PYTHON": sys.executable, **env})
        self.env.update(HOST="127.0.0.1", WS_PORT=str(self.port))

    def argv(self) -> list[str]:
        return [str(ROOT / "bin" / "serve-ws")]


class RedisServer:
    """A private redis-server on its own port: a test may kill it without touching anyone else's,
    and start it again on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.dir = tempfile.TemporaryDirectory()
        self.process = subprocess.Popen(  # noqa: S603
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",  # noqa: S607
                "--appendonly",
                "no",
                "--dir",
                self.dir.name,
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for(
            lambda: socket.create_connection(("127.0.0.1", self.port), 1).close() or True, "redis"
        )
        return self

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


class CeleryWorker:
    def __init__(self, *, env: dict[str, str]) -> None:
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.base", **env}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> CeleryWorker:
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "project.celery:app",
                "worker",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "WARNING",
            ],  # fmt: skip
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@contextmanager
def running(*servers):  # type: ignore[no-untyped-def]
    """Start the servers in order and always stop them, even when the test fails."""
    started = []
    try:
        for server in servers:
            started.append(server.start())
        yield started
    finally:
        for server in reversed(started):
            (getattr(server, "stop", None) or server.kill)()


def signed_request(
    base_url: str, path: str, params: dict[str, str], token: str
) -> urllib.request.Request:
    """A request exactly as Twilio would send it to a server at base_url."""
    signed = MultiValueDict({key: [value] for key, value in params.items()})
    signature = RequestValidator(token).compute_signature(base_url + path, signed)
    return urllib.request.Request(  # noqa: S310 - loopback only
        base_url + path,
        data=urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
        method="POST",
    )


def send(request: urllib.request.Request, timeout: float = 15) -> int:
    """The status code, or 0 when the connection failed (what Twilio would retry)."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0


def sign_in(session: requests.Session, base_url: str, user, password: str) -> None:  # type: ignore[no-untyped-def]
    """The real two-step sign-in at base_url: the password, then the current code from the
    user's device. The session keeps the cookies."""
    # here, not at the top: benches import this module before Django is set up
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def csrf() -> str:
        return session.cookies[settings.CSRF_COOKIE_NAME]

    login = f"{base_url}/accounts/login/"
    session.get(login)
    steps = (
        {"auth-username": user.username, "auth-password": password},
        {"token-otp_token": f"{totp(TOTPDevice.objects.get(user=user).bin_key):06d}"},
    )
    for step, data in zip(("auth", "token"), steps, strict=True):
        answer = session.post(
            login,
            data={"csrfmiddlewaretoken": csrf(), "login_view-current_step": step, **data},
            headers={"Referer": login},
        )
    assert "Sign out" in answer.text, "not signed in"

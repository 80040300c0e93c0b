"""Lantern's servers started exactly as production and `make run` start them, read from the files
that ship: the Dockerfile's CMD (bin/serve-http, every page, API call and webhook),
docker-compose.yml's `ws` service (bin/serve-ws, daphne for WebSockets), the Makefile's run target
(daphne, both at once) and deploy/nginx.conf (the proxy in front). A test of the real server
tests the flags that ship: only addresses, ports, certificates and the Python are swapped for
loopback ones."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import yaml

from tests.servers import ROOT, _wait_for, free_port


def dockerfile_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])\s*$", text, flags=re.MULTILINE)
    return json.loads(cmd)


def compose_command(service: str) -> list[str]:
    """What docker-compose.yml runs for `service`: its command, else the image's CMD."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    command = services[service].get("command")
    if command is None:
        return dockerfile_cmd()
    return shlex.split(command) if isinstance(command, str) else command


def serve_ws_daphne_args() -> list[str]:
    """The daphne arguments bin/serve-ws passes, read by running the script itself with `echo`
    in place of Python (`-b` and `-p` as it fills them in from HOST and WS_PORT)."""
    printed = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "bin" / "serve-ws")],
        env={**os.environ, "PYTHON": "echo", "HOST": "0.0.0.0", "WS_PORT": "8001"},  # noqa: S104
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    before, daphne, args = printed.partition("-m daphne")
    assert daphne, printed
    assert not before.strip(), printed
    return shlex.split(args)


def makefile_run_line() -> str:
    """The shell line of `make run` that starts daphne, as make hands it to the shell (`$(PY)`
    left for the caller)."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    recipe = text.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    (line,) = [line for line in recipe.splitlines() if "-m daphne" in line]
    return line.strip().replace("$$", "$")


def makefile_argv() -> list[str]:
    """The daphne arguments of `make run`, with `${PORT:-8000}` still in place."""
    return shlex.split(makefile_run_line().split("-m daphne", 1)[1])


def _on_loopback(args: list[str], port: int) -> list[str]:
    args = [a.replace("${PORT:-8000}", str(port)) for a in args]
    out = list(args)
    for flag, value in (("-b", "127.0.0.1"), ("-p", str(port))):
        out[out.index(flag) + 1] = value
    return out


class Launched:
    """A shipped server command on a free loopback port; everything it writes goes to
    `log_path`. The scripts read HOST, PORT (WS_PORT) and PYTHON from the environment."""

    name = "server"

    def __init__(self, argv: list[str], *, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.argv = argv
        self.env = {
            **os.environ,
            "PUBLIC_BASE_URL": self.base_url,
            "PYTHON": sys.executable,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WS_PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            **env,
        }
        self.log_path = Path(tempfile.mkstemp(prefix=f"lantern-{self.name}-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Launched:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.argv, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        _wait_for(self._healthy, self.name, timeout=60)
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited:\n" + self.log())
        with urllib.request.urlopen(f"{self.base_url}/healthz/", timeout=2) as response:  # noqa: S310
            return response.status == 200

    def log(self) -> str:
        return self.log_path.read_bytes().decode(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(35)  # gunicorn's graceful timeout is 30 s
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        self.log_path.unlink(missing_ok=True)


class LaunchedDaphne(Launched):
    """Lantern under daphne with the given arguments (the Makefile's, or bin/serve-ws's)."""

    name = "daphne"

    def __init__(self, args: list[str], *, env: dict[str, str]) -> None:
        super().__init__([], env=env)
        self.argv = [sys.executable, "-m", "daphne", *_on_loopback(args, self.port)]


def dockerfile_argv() -> list[str]:
    """Daphne's arguments as production runs it (bin/serve-ws, docker-compose's `ws`): for the
    journeys that need pages and sockets from one process (tests/e2e/conftest.py)."""
    return serve_ws_daphne_args()


class LaunchedServeHttp(Launched):
    """Production's HTTP server: the Dockerfile's CMD, what docker-compose's `web` runs."""

    name = "serve-http"

    def __init__(self, *, env: dict[str, str]) -> None:
        cmd = compose_command("web")
        assert cmd[0] == "bin/serve-http", cmd
        super().__init__([str(ROOT / cmd[0]), *cmd[1:]], env=env)


class LaunchedServeWs(Launched):
    """Production's WebSocket server: docker-compose's `ws` command (bin/serve-ws)."""

    name = "serve-ws"

    def __init__(self, *, env: dict[str, str]) -> None:
        cmd = compose_command("ws")
        assert cmd[0] == "bin/serve-ws", cmd
        super().__init__([str(ROOT / cmd[0]), *cmd[1:]], env=env)


class LaunchedNginx:
    """deploy/nginx.conf under the machine's nginx, on loopback: HTTPS with a certificate made for
    this run, in front of the given web and ws ports. Only the listen ports, upstream addresses
    and certificate paths are swapped; anything else is the shipped file."""

    def __init__(self, *, web_port: int, ws_port: int) -> None:
        self.port, self.http_port = free_port(), free_port()
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.dir = Path(tempfile.mkdtemp(prefix="lantern-nginx-"))
        self.dir.chmod(0o755)  # nginx's workers (another user when run as root) write temp files
        swaps = {
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.port} ssl http2;",
            "server web:8000;": f"server 127.0.0.1:{web_port};",
            "server ws:8001;": f"server 127.0.0.1:{ws_port};",
            "/etc/lantern/tls/": f"{self.dir}/",
        }
        text = (ROOT / "deploy" / "nginx.conf").read_text()
        for shipped, local in swaps.items():
            assert shipped in text, f"deploy/nginx.conf no longer has {shipped!r}"
            text = text.replace(shipped, local)
        (self.dir / "lantern.conf").write_text(text)
        temp = " ".join(
            f"{kind}_temp_path {self.dir}/{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.dir / "nginx.conf").write_text(
            f"pid {self.dir}/nginx.pid; error_log {self.dir}/error.log warn;\n"
            f"events {{ worker_connections 512; }}\n"
            f"http {{ {temp} include {self.dir}/lantern.conf; }}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def argv(self, *extra: str) -> list[str]:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        return [nginx, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), *extra]

    def start(self) -> LaunchedNginx:
        subprocess.run(  # noqa: S603 - the machine's nginx, our files
            [shutil.which("openssl") or "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(self.dir / "privkey.pem"), "-out", str(self.dir / "fullchain.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(self.argv("-t", "-q"), check=True, capture_output=True)  # noqa: S603
        self.process = subprocess.Popen(  # noqa: S603
            self.argv("-g", "daemon off;"), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        _wait_for(self._listening, "nginx")
        return self

    def _listening(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError("nginx exited:\n" + self.error_log())
        socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        return True

    def error_log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)

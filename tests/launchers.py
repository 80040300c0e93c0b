"""Daphne started exactly as production (the Dockerfile's CMD) and `make run` (the Makefile's run
target) start it, read from those files, so a test of the real server tests the flags that ship:
only the address, the port and the Python are swapped for loopback ones."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.servers import ROOT, _wait_for, free_port


def dockerfile_argv() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])\s*$", text, flags=re.MULTILINE)
    argv = json.loads(cmd)
    assert argv[0] == "daphne", argv
    return argv[1:]


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


class LaunchedDaphne:
    """Lantern under daphne with the shipped arguments; everything it writes goes to `log_path`."""

    def __init__(self, args: list[str], *, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.argv = [sys.executable, "-m", "daphne", *_on_loopback(args, self.port)]
        self.env = {**os.environ, "PUBLIC_BASE_URL": self.base_url, **env}
        self.log_path = Path(tempfile.mkstemp(prefix="lantern-daphne-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LaunchedDaphne:
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.argv, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        _wait_for(self._healthy, "daphne")
        return self

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError("daphne exited:\n" + self.log())
        with urllib.request.urlopen(f"{self.base_url}/healthz/", timeout=2) as response:  # noqa: S310
            return response.status == 200

    def log(self) -> str:
        return self.log_path.read_bytes().decode(errors="replace")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        self.log_path.unlink(missing_ok=True)

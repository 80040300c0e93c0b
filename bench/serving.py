"""Which server should carry Lantern's HTTP: every candidate with the same number of worker
processes, on the real parts (PostgreSQL + Redis), DEBUG off, loaded by wrk, in one run.

    python bench/serving.py [--workers 2] [--duration 5] [--rounds 3] [--connections 50]
                            [--only a,b]

For each server, two paths: bench.urls' plain-Django hello-world (`/bench/hello/`, what the server
and Django's handler cost) and Lantern's `/healthz/` (its whole middleware stack and one query).
The candidates: daphne (one process per worker, sharing one listening socket: daphne has no
workers of its own), uvicorn (gunicorn's process manager, uvloop and httptools), gunicorn's own
ASGI worker, gunicorn sync and gthread workers (WSGI), and bin/serve-http as it ships. All stay up and are
measured in turn, round after round; each figure is the median round. Ends with
`RESULT`, each server's req/s and the shipped server's ratio to daphne.
Needs PostgreSQL and Redis on 127.0.0.1 and /usr/bin/wrk; DATABASE_URL and REDIS_URL choose the
database (default `lantern_bench`) and Redis database (default 14)."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lantern_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")

from bench.intake import prepare_database  # noqa: E402 - after the database is chosen
from bench.production import production_env  # noqa: E402
from tests.servers import _wait_for, free_port  # noqa: E402

PY = sys.executable
ASGI, WSGI = "project.asgi:application", "project.wsgi:application"


def gunicorn(app: str, worker: str, *extra: str) -> list[str]:
    return [PY, "-m", "gunicorn", app, "-k", worker, "--no-control-socket", *extra]


# name -> argv after the address and worker count are filled in by `start`
CANDIDATES: dict[str, list[str]] = {
    "daphne": [PY, "-m", "daphne", "-v", "0", "--no-server-name", ASGI],
    "uvicorn": gunicorn(ASGI, "uvicorn.workers.UvicornWorker"),
    "gunicorn-asgi": gunicorn(ASGI, "asgi"),
    "gunicorn-sync": gunicorn(WSGI, "sync"),
    "gunicorn-gthread": gunicorn(WSGI, "gthread", "--threads", "4"),
    "serve-http": [str(ROOT / "bin" / "serve-http")],
}


def server_env() -> dict[str, str]:
    """As in production (DEBUG off), but plain HTTP on loopback; quiet, as bench/intake.py runs."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHON": PY,
        "LOG_LEVEL": "WARNING",
        **production_env(),
    }


def start(name: str, workers: int, log) -> tuple[list[subprocess.Popen[bytes]], str]:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {**server_env(), "HOST": "127.0.0.1", "PORT": str(port)}
    env["WEB_CONCURRENCY"] = str(workers)
    argv = CANDIDATES[name]
    if name == "daphne":
        # One listening socket shared by `workers` daphne processes, as gunicorn's workers share
        # theirs: the kernel hands each connection to whichever process accepts first.
        listener = socket.create_server(("127.0.0.1", port), backlog=2048)
        fd = listener.fileno()
        processes = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [*argv[:-1], "--fd", str(fd), argv[-1]],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=[fd],
            )  # fmt: skip
            for _ in range(workers)
        ]
        listener.close()
    else:
        if name != "serve-http":
            argv = [*argv, "-b", f"127.0.0.1:{port}", "-w", str(workers)]
        processes = [
            subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        ]
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if any(p.poll() is not None for p in processes):
            log.seek(0)
            raise RuntimeError(f"{name} exited:\n" + log.read().decode(errors="replace")[-3000:])
        with urllib.request.urlopen(base + "/healthz/", timeout=2) as response:  # noqa: S310
            return response.status == 200

    _wait_for(healthy, name, timeout=60)
    return processes, base


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def wrk(url: str, *, duration: int, connections: int) -> dict[str, float]:
    """Requests per second, p50 and p99 (ms), and failures (non-2xx answers and socket errors)."""
    out = subprocess.run(  # noqa: S603
        [shutil.which("wrk") or "/usr/bin/wrk", "-t2", f"-c{connections}", f"-d{duration}s",
         "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(pct: str) -> float:
        value, unit = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE).groups()
        return float(value) * units[unit]

    failed = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed += sum(int(n) for n in errors.groups()) if errors else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"), "failed": failed}


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The round with the median req/s; failures summed over every round."""
    middle = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
    return {**middle, "failed": sum(r["failed"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per path")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="each server's req/s: the median")
    parser.add_argument("--only", default="", help="comma-separated candidate names")
    args = parser.parse_args()
    names = [n for n in CANDIDATES if not args.only or n in args.only.split(",")]

    prepare_database()
    paths = ("/bench/hello/", "/healthz/")
    runs: dict[str, dict[str, list[dict[str, float]]]] = {n: {p: [] for p in paths} for n in names}
    with tempfile.TemporaryFile() as log:
        servers: dict[str, tuple[list[subprocess.Popen[bytes]], str]] = {}
        try:
            for name in names:
                servers[name] = start(name, args.workers, log)
                for path in paths:
                    wrk(servers[name][1] + path, duration=2, connections=args.connections)  # warm
            # All servers stay up and are measured in turn, round after round: on a shared,
            # busy machine a burst of someone else's load then lands on every server alike.
            for _ in range(args.rounds):
                for name, (_processes, base) in servers.items():
                    for path in paths:
                        runs[name][path].append(
                            wrk(base + path, duration=args.duration, connections=args.connections)
                        )
        finally:
            for processes, _base in servers.values():
                stop(processes)
        if any(r["failed"] for by_path in runs.values() for rs in by_path.values() for r in rs):
            log.seek(0)
            print(log.read().decode(errors="replace")[-4000:], file=sys.stderr)
    results = {
        name: {path: median_run(rs) for path, rs in by_path.items()}
        for name, by_path in runs.items()
    }

    print(
        f"{args.workers} workers each, wrk -t2 -c{args.connections} -d{args.duration}s, "
        f"median of {args.rounds} rounds"
    )
    print(f"{'server':<17}{'path':<15}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}")
    for name, paths in results.items():
        for path, r in paths.items():
            print(
                f"{name:<17}{path:<15}{r['rps']:>8.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['failed']:>8.0f}"
            )
    fields = [
        f"{name.replace('-', '_')}_{'hello' if path.startswith('/bench') else 'healthz'}"
        f"_rps={r['rps']:.0f}"
        for name, paths in results.items()
        for path, r in paths.items()
    ]
    if "serve-http" in results and "daphne" in results:
        for label, path in (("hello", "/bench/hello/"), ("healthz", "/healthz/")):
            ratio = results["serve-http"][path]["rps"] / results["daphne"][path]["rps"]
            fields.append(f"serve_http_vs_daphne_{label}={ratio:.2f}")
    failed = sum(r["failed"] for paths in results.values() for r in paths.values())
    print(f"RESULT {' '.join(fields)} workers={args.workers} failed={failed:.0f}")


if __name__ == "__main__":
    main()

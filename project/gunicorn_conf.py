"""Gunicorn's settings for bin/serve-http: Lantern's HTTP (pages, API, webhooks) under WSGI.

Read by gunicorn as `-c python:project.gunicorn_conf`, in the master process, before any worker
starts. The environment chooses where and how many: HOST and PORT, WEB_CONCURRENCY (worker
processes) and WEB_THREADS (threads in each). README "Production layout" gives the figures
(bench/serving.py) behind the choice of server and worker class."""

from __future__ import annotations

import os
from pathlib import Path

from gunicorn import glogging
from gunicorn.http import wsgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.base")

wsgi_app = "project.wsgi:application"
bind = [f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"]  # noqa: S104

# gthread: each worker process runs WEB_THREADS requests at once. A request waiting on PostgreSQL
# or Redis leaves its core to another thread of the same process, where a sync worker would hold
# the whole process; a slow page (a printed case file, an export) takes one thread, not a worker;
# and connections from the proxy are kept alive. One process per core keeps the memory down.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2)
threads = int(os.environ.get("WEB_THREADS", "4"))

# A worker that stops answering its master for this long is killed and replaced (with gthread a
# long request does not count: the worker's main loop keeps reporting in). The proxy gives up on
# a request after 60 s too (deploy/nginx.conf).
timeout = 60
# On SIGTERM (a deploy, `docker compose stop`) requests in flight get this long to finish.
graceful_timeout = 30
# Idle kept-alive connections from the proxy are closed after this many seconds; longer than the
# proxy's own upstream idle time (deploy/nginx.conf: 4 s), so the proxy always closes first and
# never sends a request down a connection that gunicorn is closing.
keepalive = 5
# Django is loaded once, in the master, and each worker is a fork of it: a worker starts in
# milliseconds and its code pages are shared. Nothing at import opens a database or Redis
# connection (Django connects at the first query, in the worker), so no connection is shared.
preload_app = True
# Replace each worker after about this many requests (the jitter keeps them from restarting
# together): memory that a long-lived process slowly gains is given back. With the app preloaded a
# replacement costs a fork; without it, every restart re-imported Django and bench/serving.py lost
# over half its throughput to restarts at 2,000.
max_requests = 10000
max_requests_jitter = 1000

# Heartbeat files in memory, not on the container's overlay disk, which can stall a write long
# enough for the master to think a healthy worker hung.
if Path("/dev/shm").is_dir():  # noqa: S108 - gunicorn's own documented advice for containers
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# The client's address and scheme come only from Lantern (project.proxy, TRUSTED_PROXY_COUNT, and
# SECURE_PROXY_SSL_HEADER): gunicorn itself trusts no X-Forwarded-* header from anyone.
forwarded_allow_ips = ""
# No management socket beside the app (gunicorn 27 opens one by default).
control_socket_disable = True

# No access log: a path can name a case number or a token, and django-structlog's request lines,
# reduced to URL patterns, are the access log. Gunicorn's own lines (workers booting, timeouts,
# errors) go through Lantern's formatter, to standard error like the rest.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


class LanternLogger(glogging.Logger):
    """Gunicorn's logger with its handlers' format swapped for Lantern's one formatter (JSON in
    production, the same redaction as every other line)."""

    def setup(self, cfg) -> None:  # type: ignore[no-untyped-def]
        from project.logging import formatter  # reads LOG_JSON from Django's settings

        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(formatter())


logger_class = LanternLogger


# Gunicorn has no setting for its `Server: gunicorn` header, and what a server says about itself
# only helps someone choose an exploit (the ZAP passive rules flag it): every answer leaves it out.
_default_headers = wsgi.Response.default_headers


def _without_server(self: wsgi.Response) -> list[str]:
    return [line for line in _default_headers(self) if not line.startswith("Server:")]


wsgi.Response.default_headers = _without_server  # type: ignore[method-assign]

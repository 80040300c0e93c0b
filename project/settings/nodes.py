"""Where Lantern keeps its state: the database(s), the channel layer and the cache. One embedded
process by default; with DATABASE_URL and REDIS_URL, as many web and socket nodes as needed
(README "Several nodes"): every node reads the same variables, so any node can answer any request.
"""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

# Redis: Celery's broker and the cache; absent (with CHANNEL_REDIS_URLS), everything in-process.
REDIS_URL = env.str("REDIS_URL", default="")
# The channel layer's Redis servers, the same list in the same order on every node: channels_redis
# puts each group and channel on one of them by a hash of its name, so the fan-out to every
# operator's socket, the heaviest Redis traffic, spreads over several servers. The cache and
# Celery stay on REDIS_URL: Celery's broker takes one server (a list there means failover, not
# sharding), and the cache holds rate-limit counters that every node must count in one place.
CHANNEL_REDIS_URLS = env.list("CHANNEL_REDIS_URLS", default=[REDIS_URL] if REDIS_URL else [])

# PostgreSQL behind PgBouncer in transaction pooling: a server connection serves one transaction,
# then another client. So no server-side cursors, no prepared statements
# (PgBouncer before 1.21 does not carry them over), no session advisory locks, and no pool of our
# own in front of PgBouncer's (DB_POOL defaults to off with it).
DB_PGBOUNCER = env.bool("DB_PGBOUNCER", default=False)
# A read replica for reads that may lag a few seconds (reports, exports, dashboards), used only
# inside project.db_router.replica_reads(); everything else reads and writes the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")


def _postgresql(db: dict) -> dict:  # type: ignore[type-arg]
    # Server-side cursors stream the few big reads (exports, key rotation's scans) in chunks
    # instead of loading them whole into a worker's memory; behind PgBouncer a cursor held across
    # transactions would land on another client's server connection, so there they are off.
    db["DISABLE_SERVER_SIDE_CURSORS"] = DB_PGBOUNCER
    if DB_PGBOUNCER:
        # Connecting to a PgBouncer beside the node costs no server process; a connection kept
        # per thread would leak under ASGI, whose requests each run in a new thread.
        db["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
    else:
        # Under ASGI every request runs in a thread of its own, so Django's persistent
        # connections (CONN_MAX_AGE) would pile up; a psycopg pool per process reuses them.
        db["CONN_MAX_AGE"] = 0
    # A database that is down or restarting is answered with a quick 503 (project.faults), not a
    # long wait: libpq's shortest connect timeout is 2 s, and a pooled connection that died with
    # the server is checked and replaced before use, so the first request after a restart works.
    db["CONN_HEALTH_CHECKS"] = True
    options = db.setdefault("OPTIONS", {})
    options["connect_timeout"] = env.int("DB_CONNECT_TIMEOUT", default=2)
    # psycopg 3 prepares a statement run five times; Django turns that off, and so do we,
    # explicitly, since a prepared statement on a PgBouncer-shared connection breaks the next user.
    options["prepare_threshold"] = None
    if env.bool("DB_POOL", default=not DB_PGBOUNCER):
        options["pool"] = {
            "min_size": env.int("DB_POOL_MIN", default=2),
            "max_size": env.int("DB_POOL_MAX", default=20),
            # wait at most this long for a connection, then answer 503 (project.faults)
            "timeout": env.float("DB_POOL_TIMEOUT", default=1.5),
            # While the database is away the pool's retries back off (1, 2, 4 s...); giving up
            # after 2 s lets the next request start a fresh attempt at once, so the first
            # request after a restart gets a connection instead of waiting out the back-off.
            "reconnect_timeout": 2,
        }
    return db


def _database(url: str) -> dict:  # type: ignore[type-arg]
    db = env.db_url_config(url)
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return _postgresql(db)
    # Embedded SQLite in WAL mode with a busy timeout and BEGIN IMMEDIATE, so a burst of
    # webhooks waits its turn instead of failing with "database is locked" (STACK pitfall 15).
    db["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    return db


DATABASES = {
    "default": _database(env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))
}
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
    # A test run with a replica reads the test database through it, never a real replica.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["project.db_router.ReplicaRouter"]

if CHANNEL_REDIS_URLS:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 gives every connection a 5 s read timeout and 100 connections at most:
            # an idle consumer's blocking read would die every 5 s (channels_redis#422). Set
            # here, not in the URL, whose query string Celery's broker library rejects.
            "CONFIG": {
                "hosts": [
                    {"address": url, "socket_timeout": 10, "max_connections": 1000}
                    for url in CHANNEL_REDIS_URLS
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

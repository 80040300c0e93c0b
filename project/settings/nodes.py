"""Where Lantern keeps its state: the database(s), the channel layer and the cache. One embedded
process by default; with DATABASE_URL and REDIS_URL, as many web and socket nodes as needed
(README "Production layout")."""

from __future__ import annotations

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()

# Redis: the real channel layer, Celery broker and cache; absent, everything runs in-process.
REDIS_URL = env.str("REDIS_URL", default="")

# Database: embedded SQLite in WAL mode with a busy timeout and BEGIN IMMEDIATE, so a burst of
# webhooks waits its turn instead of failing with "database is locked" (STACK pitfall 15).
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    # Under ASGI every request runs in a thread of its own, so Django's persistent connections
    # (CONN_MAX_AGE) would pile up; a psycopg pool per process is the way to reuse them.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A database that is down or restarting is answered with a quick 503 (project.faults), not a
    # long wait: libpq's shortest connect timeout is 2 s, and a pooled connection that died with
    # the server is checked and replaced before use, so the first request after a restart works.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DB_CONNECT_TIMEOUT", default=2
    )
    if env.bool("DB_POOL", default=True):
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN", default=2),
            "max_size": env.int("DB_POOL_MAX", default=20),
            # wait at most this long for a connection, then answer 503 (project.faults)
            "timeout": env.float("DB_POOL_TIMEOUT", default=1.5),
            # While the database is away the pool's retries back off (1, 2, 4 s...); giving up
            # after 2 s lets the next request start a fresh attempt at once, so the first
            # request after a restart gets a connection instead of waiting out the back-off.
            "reconnect_timeout": 2,
        }
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 gives every connection a 5 s read timeout and 100 connections at most:
            # an idle consumer's blocking read would die every 5 s (channels_redis#422). Set
            # here, not in REDIS_URL, whose query string Celery's broker library rejects.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 10, "max_connections": 1000}]
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

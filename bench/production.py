"""What the benches give Lantern's servers: production's settings (DEBUG off), plain HTTP on
loopback, made-up keys new to each run. Nothing here sends mail or reaches Twilio."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from urllib.parse import urlencode


def production_env(**extra: str) -> dict[str, str]:
    return {
        "DEBUG": "False",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "False",
        "FIELD_ENCRYPTION_KEYS": "u7Bk4jFz0dPq3xW9mN2vR6tY8sL1aC5eG0hJ3kM6nQ8=",
        "BLIND_INDEX_KEY": "bench-" + uuid.uuid4().hex,
        "AUDIT_CHAIN_KEY": "bench-" + uuid.uuid4().hex,
        "EMAIL_URL": "smtp://127.0.0.1:1",  # required with DEBUG off
        **extra,
    }


def ensure_database(url: str) -> None:
    """The bench's own PostgreSQL database, created if missing (CREATE DATABASE cannot run inside
    a transaction: autocommit, through the server's `postgres` database)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def write_signed(
    url: str, rows: Iterable[dict[str, str]], threads: int, path: str, token: str
) -> None:
    """Twilio webhooks for wrk's Lua script (bench/intake.lua): each row's form body signed for
    `url` with Twilio's own RequestValidator, "<signature> <body>" per line, dealt round-robin
    into `threads` files named path.0, path.1, ... (one per wrk thread)."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(token)
    files = [open(f"{path}.{t}", "w") for t in range(threads)]  # noqa: SIM115 - closed below
    try:
        for i, params in enumerate(rows):
            files[i % threads].write(
                f"{validator.compute_signature(url, params)} {urlencode(params)}\n"
            )
    finally:
        for file in files:
            file.close()

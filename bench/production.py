"""What the benches give Lantern's servers: production's settings (DEBUG off), plain HTTP on
loopback, made-up keys new to each run. Nothing here sends mail or reaches Twilio."""

from __future__ import annotations

import uuid


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

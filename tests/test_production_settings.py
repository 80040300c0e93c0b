"""Production settings (DEBUG off), beyond what `check --deploy` looks at (SECURITY D11)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROD_ENV = {
    "DEBUG": "False",
    "SECRET_KEY": "a-long-random-production-like-secret-key-for-the-test-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "lantern.example.org",
    "PUBLIC_BASE_URL": "https://lantern.example.org",
    "FIELD_ENCRYPTION_KEYS": "u7Bk4jFz0dPq3xW9mN2vR6tY8sL1aC5eG0hJ3kM6nQ8=",
    "BLIND_INDEX_KEY": "another-long-random-secret-for-blind-indexes",
    "AUDIT_CHAIN_KEY": "a-third-long-random-secret-for-the-audit-chain",
    "EMAIL_URL": "smtp+tls://lantern:made-up-password@mail.example.org:587",
    "DJANGO_SETTINGS_MODULE": "project.settings.base",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PROD_ENV and k != "DEBUG"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_values(expressions: list[str], **env: str) -> list[str]:
    """Evaluate expressions over the settings in one fresh interpreter (one Django start-up)."""
    prints = "".join(f"print(repr({e}).replace(chr(10), ' '));" for e in expressions)
    result = run(
        f"import django; django.setup(); from django.conf import settings as s; {prints}", **env
    )
    assert result.returncode == 0, result.stderr
    return [
        line.strip("'") if line.startswith("'") else line for line in result.stdout.splitlines()
    ]


def test_refuses_to_start_without_secret_key_and_hosts() -> None:
    required = (
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "FIELD_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        "AUDIT_CHAIN_KEY",
        "EMAIL_URL",
    )
    for missing in required:
        env = {k: v for k, v in PROD_ENV.items() if k != missing}
        result = run("import django; django.setup()", **env)
        assert result.returncode != 0, missing
        assert "ImproperlyConfigured" in result.stderr


def test_refuses_a_mail_backend_that_is_not_a_mail_server() -> None:
    """The console backend would print password-reset links and alerts into the logs; a file or
    in-memory one would keep them on disk or drop them."""
    for url in ("consolemail://", "filemail:///tmp/mail", "memorymail://", "dummymail://"):
        result = run("import django; django.setup()", **{**PROD_ENV, "EMAIL_URL": url})
        assert result.returncode != 0, url
        assert "EMAIL_URL must be an SMTP server" in result.stderr, url
    (backend,) = settings_values(["s.EMAIL_BACKEND"], **PROD_ENV)
    assert backend == "django.core.mail.backends.smtp.EmailBackend"


def test_refuses_a_wildcard_host() -> None:
    result = run("import django; django.setup()", **{**PROD_ENV, "ALLOWED_HOSTS": "*"})
    assert result.returncode != 0
    assert "never '*'" in result.stderr


def test_check_deploy_is_clean() -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "DEBUG"}, **PROD_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_session_cookie_and_reset_limits() -> None:
    expected = {
        "s.SESSION_COOKIE_AGE <= 12 * 3600": "True",
        "s.SESSION_IDLE_SECONDS <= 30 * 60": "True",
        "s.SESSION_ENGINE": "django.contrib.sessions.backends.db",
        "s.CSRF_COOKIE_AGE": "None",
        "s.PASSWORD_RESET_TIMEOUT <= 3600": "True",
        "s.SESSION_COOKIE_SECURE and s.CSRF_COOKIE_SECURE": "True",
        "s.SESSION_COOKIE_NAME.startswith('__Host-')": "True",
        "s.SECURE_HSTS_SECONDS >= 31536000 and s.SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "s.SECURE_PROXY_SSL_HEADER": "('HTTP_X_FORWARDED_PROTO', 'https')",
        "s.X_FRAME_OPTIONS": "DENY",
        "s.AXES_LOCKOUT_PARAMETERS": "[['username', 'ip_address']]",
        "s.AXES_COOLOFF_TIME is not None": "True",
        "s.DJANGO_STRUCTLOG_IP_LOGGING_ENABLED": "False",
        "'*' in s.ALLOWED_HOSTS": "False",
        "[v['OPTIONS']['min_length'] for v in s.AUTH_PASSWORD_VALIDATORS if 'OPTIONS' in v]": "[12]",
    }
    actual = settings_values(list(expected), **PROD_ENV)
    for (expression, value), got in zip(expected.items(), actual, strict=True):
        assert got == value, expression


def test_csp_is_strict() -> None:
    (directives,) = settings_values(["s.CONTENT_SECURITY_POLICY['DIRECTIVES']"], **PROD_ENV)
    for needle in (
        "'default-src': [\"'self'\"]",
        "'script-src': [\"'self'\"]",
        "'object-src': [\"'none'\"]",
        "'base-uri': [\"'none'\"]",
        "'frame-ancestors': [\"'none'\"]",
    ):
        assert needle in directives, needle
    assert "unsafe" not in directives


def test_several_nodes_shard_the_channel_layer_but_not_the_cache_or_broker() -> None:
    two = "redis://10.0.0.5:6379/0,redis://10.0.0.6:6379/0"
    hosts, cache, broker = settings_values(
        [
            "s.CHANNEL_LAYERS['default']['CONFIG']['hosts']",
            "s.CACHES['default']['LOCATION']",
            "s.CELERY_BROKER_URL",
        ],
        **PROD_ENV,
        REDIS_URL="redis://10.0.0.4:6379/0",
        CHANNEL_REDIS_URLS=two,
    )
    assert hosts == repr(
        [{"address": url, "socket_timeout": 10, "max_connections": 1000} for url in two.split(",")]
    )
    assert cache == broker == "redis://10.0.0.4:6379/0"
    (alone,) = settings_values(
        ["s.CHANNEL_LAYERS['default']['CONFIG']['hosts'][0]['address']"],
        **PROD_ENV,
        REDIS_URL="redis://10.0.0.4:6379/0",
    )
    assert alone == "redis://10.0.0.4:6379/0"  # one node's layout: everything on REDIS_URL


def test_a_replica_is_a_second_alias_routed_by_replica_reads() -> None:
    primary, replica = "postgres://lantern@10.0.0.2/lantern", "postgres://lantern@10.0.0.3/lantern"
    values = settings_values(
        [
            "sorted(s.DATABASES)",
            "s.DATABASES['replica']['HOST']",
            "s.DATABASES['replica']['TEST']['MIRROR']",
            "'pool' in s.DATABASES['replica']['OPTIONS']",
            "s.DATABASE_ROUTERS",
        ],
        **PROD_ENV,
        DATABASE_URL=primary,
        DATABASE_REPLICA_URL=replica,
    )
    assert values == ["['default', 'replica']", "10.0.0.3", "default", "True",
                      "['project.db_router.ReplicaRouter']"]  # fmt: skip
    (aliases,) = settings_values(["sorted(s.DATABASES)"], **PROD_ENV, DATABASE_URL=primary)
    assert aliases == "['default']"


def test_pgbouncer_transaction_pooling_settings() -> None:
    expressions = [
        "s.DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS']",
        "s.DATABASES['default']['OPTIONS']['prepare_threshold']",
        "'pool' in s.DATABASES['default']['OPTIONS']",
        "s.DATABASES['default']['CONN_MAX_AGE']",
        "s.DATABASES['default']['CONN_HEALTH_CHECKS']",
    ]
    url = "postgres://lantern@127.0.0.1:6432/lantern"
    bouncer = settings_values(expressions, **PROD_ENV, DATABASE_URL=url, DB_PGBOUNCER="true")
    assert bouncer == ["True", "None", "False", "0", "True"]
    kept = settings_values(
        expressions[3:4], **PROD_ENV, DATABASE_URL=url, DB_PGBOUNCER="true", DB_CONN_MAX_AGE="60"
    )
    assert kept == ["60"]  # for nodes that serve only WSGI, whose threads live on
    direct = settings_values(expressions[:4], **PROD_ENV, DATABASE_URL=url)
    # straight to PostgreSQL: our own pool, and big reads streamed through server-side cursors
    assert direct == ["False", "None", "True", "0"]

"""Speed and isolation only; everything else comes from base.py and the environment, so the same
suite runs on the embedded parts and on the real ones (CI sets DATABASE_URL and REDIS_URL)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
LOG_JSON = False

# SQLite tests use a file, not memory, so concurrency tests and the browser tests' live server open
# real separate connections; one file per test process, so two runs never share one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"lantern-test-{os.getpid()}.sqlite3")
    }

# Tests print many case files as the same few users; the limit itself is tested with its own rate.
CASE_PRINT_RATE = "10000/h"

# Files, backups and the erasure ledger in a directory of this test process's own.
_VAR = Path(tempfile.gettempdir()) / f"lantern-test-var-{os.getpid()}"
PROTECTED_MEDIA_ROOT = _VAR / "protected"
STORAGES["protected"]["OPTIONS"]["location"] = str(PROTECTED_MEDIA_ROOT)  # noqa: F405
BACKUP_DIR = _VAR / "backups"
ERASURE_LEDGER = _VAR / "erasures.jsonl"

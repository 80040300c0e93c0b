"""Settings of the data-protection lifecycle (privacy/, cases.sealing, cases.audit_chain, the
recordings kept in storage, backups), read from the environment like the rest; imported at the end
of base.py."""

from __future__ import annotations

from pathlib import Path

import environ

env = environ.Env()
_BASE_DIR = Path(__file__).resolve().parent.parent.parent
_DEBUG = env.bool("DEBUG", default=True)

# The access log's hash chain is keyed, so someone who can write to the database cannot rebuild a
# chain they edited (cases.audit_chain). A key of its own: rotating the others must not break it.
if _DEBUG:
    AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY", default="dev-only-audit-chain-key")
else:
    AUDIT_CHAIN_KEY = env.str("AUDIT_CHAIN_KEY")

# Blind-index keys before BLIND_INDEX_KEY: look-ups still match rows indexed under them while
# `rotate_keys --blind-index` re-indexes (and portal codes, which cannot be re-indexed).
BLIND_INDEX_PREVIOUS_KEYS = env.list("BLIND_INDEX_PREVIOUS_KEYS", default=[])

# Sealed cases: how long one break-glass lets its user in, and how recent the second factor must be
# before the glass can be broken or a subject's data exported (step-up).
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=60)
STEP_UP_MINUTES = env.int("STEP_UP_MINUTES", default=5)

# Unusual access (privacy.unusual): more than this many distinct cases read in the window, reads
# between these local hours (start, end: 22 to 6 is overnight), exports of more cases than this.
UNUSUAL_READS = env.int("UNUSUAL_READS", default=60)
UNUSUAL_WINDOW_MINUTES = env.int("UNUSUAL_WINDOW_MINUTES", default=10)
ODD_HOURS = tuple(env.list("ODD_HOURS", cast=int, default=[22, 6]))
UNUSUAL_EXPORT_CASES = env.int("UNUSUAL_EXPORT_CASES", default=200)

# Subject access exports: days the encrypted ZIP is kept before the expiry job removes it.
SAR_EXPORT_DAYS = env.int("SAR_EXPORT_DAYS", default=7)

# Files Lantern keeps (recordings, subject-access exports), encrypted before they are stored. The
# filesystem by default; S3-compatible object storage when a bucket is set (django-storages).
PROTECTED_MEDIA_ROOT = env.path("PROTECTED_MEDIA_ROOT", default=_BASE_DIR / "var" / "protected")
OBJECT_STORAGE_BUCKET = env.str("OBJECT_STORAGE_BUCKET", default="")
if OBJECT_STORAGE_BUCKET:
    PROTECTED_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": OBJECT_STORAGE_BUCKET,
            "endpoint_url": env.str("OBJECT_STORAGE_ENDPOINT", default="") or None,
            "region_name": env.str("OBJECT_STORAGE_REGION", default="") or None,
            "access_key": env.str("OBJECT_STORAGE_ACCESS_KEY", default="") or None,
            "secret_key": env.str("OBJECT_STORAGE_SECRET_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    PROTECTED_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PROTECTED_MEDIA_ROOT), "file_permissions_mode": 0o600},
    }

# Backups (manage.py backup / restore): where they are written, and the key they are encrypted
# with, kept apart from the data keys (a stolen backup and its key must not travel together).
BACKUP_DIR = env.path("BACKUP_DIR", default=_BASE_DIR / "var" / "backups")
# Only backup and restore need it: they refuse to run without it (a web process never reads it).
BACKUP_KEY = env.str(
    "BACKUP_KEY", default="ZGV2LW9ubHktYmFja3VwLWtleS1kby1ub3QtdXNlISE=" if _DEBUG else ""
)
# Erasures are also written here, outside the database and the backups, so a restore from a
# backup older than an erasure is erased again (privacy.erasure.reapply_erasures).
ERASURE_LEDGER = env.path("ERASURE_LEDGER", default=_BASE_DIR / "var" / "erasures.jsonl")

"""Settings of the police and partner feeds (feeds/), read from the environment like the rest;
imported at the end of base.py, kept apart so base.py stays readable."""

from __future__ import annotations

from pathlib import Path

import environ

env = environ.Env()
_BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Where uploaded and pulled feed files wait for (and during) their import: on a volume of their own
# in production, readable only by Lantern (they may hold victims' contact details).
FEED_FILES_DIR = Path(env.str("FEED_FILES_DIR", default=str(_BASE_DIR / "var" / "feeds")))
# Hours a dry run's file is kept for "Import for real" (it may hold victims' contact details).
FEED_DRY_RUN_KEEP_HOURS = env.int("FEED_DRY_RUN_KEEP_HOURS", default=24)
# Rows written per transaction: a killed worker loses at most one chunk's work, never half of it.
FEED_CHUNK_ROWS = env.int("FEED_CHUNK_ROWS", default=2000)
# The largest file accepted from an upload, the API or a pull.
FEED_MAX_FILE_MB = env.int("FEED_MAX_FILE_MB", default=200)
# Row errors kept per batch for the report (all are counted).
FEED_ERRORS_KEPT = env.int("FEED_ERRORS_KEPT", default=1000)
# Seconds an HTTPS pull may take before it is abandoned (and supervisors told).
FEED_PULL_TIMEOUT = env.int("FEED_PULL_TIMEOUT", default=60)
# Partner webhooks: tries before giving up (backoff doubles from PARTNER_WEBHOOK_FIRST_DELAY
# seconds), and how long the previous secret stays valid after a rotation.
PARTNER_WEBHOOK_MAX_ATTEMPTS = env.int("PARTNER_WEBHOOK_MAX_ATTEMPTS", default=8)
PARTNER_WEBHOOK_FIRST_DELAY = env.int("PARTNER_WEBHOOK_FIRST_DELAY", default=30)
PARTNER_WEBHOOK_TIMEOUT = env.int("PARTNER_WEBHOOK_TIMEOUT", default=10)
PARTNER_SECRET_OVERLAP_HOURS = env.int("PARTNER_SECRET_OVERLAP_HOURS", default=72)
# The largest partner event body accepted.
PARTNER_EVENT_MAX_BYTES = env.int("PARTNER_EVENT_MAX_BYTES", default=65536)
# Partner events accepted per partner (django-ratelimit's "N/period"); more get 429 and Retry-After.
PARTNER_EVENT_RATE = env.str("PARTNER_EVENT_RATE", default="600/m")
# A CA bundle for HTTPS pulls from a force's own certificate authority; unset: the system's.
FEED_PULL_CA_BUNDLE = env.str("FEED_PULL_CA_BUNDLE", default="") or None
# Gazetteer suggestions per person as they type (the page and the API share it).
PLACE_SUGGEST_RATE = env.str("PLACE_SUGGEST_RATE", default="120/m")

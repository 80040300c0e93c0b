"""bench.settings with static files collected where the soak says (LANTERN_SOAK_STATIC_ROOT): with
DEBUG off, pages need collectstatic's manifest, and a bench must not write into the checkout's
STATIC_ROOT. Never used outside bench/soak.py."""

from __future__ import annotations

import os

from bench.settings import *  # noqa: F403

STATIC_ROOT = os.environ["LANTERN_SOAK_STATIC_ROOT"]
# The manifest without whitenoise's compression: pages render the same hashed names, and the
# collection takes a second instead of minutes (the soak fetches no static file).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}

"""Lantern's settings plus a hello-world view, so a benchmark can compare against it on the same
server in the same run. Never used outside bench/."""

from __future__ import annotations

from project.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

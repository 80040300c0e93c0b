from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    """Reset and sign-in counts live in the cache, which outlives a test database in Redis."""
    cache.clear()

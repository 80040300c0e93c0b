"""What the data migrations seed (lookups, the risk questionnaire, the portal's update message
types and articles, the retention periods), for tests that need it again: pytest-django runs transactional tests after
the others and flushes the database after each, which removes every seeded row (the role groups
come back by themselves: the flush re-runs post_migrate). Each seed is idempotent."""

from __future__ import annotations

import importlib

SEEDS = (
    "cases.migrations.0002_seed_lookups",
    "cases.migrations.0006_seed_casework_lookups",
    "cases.migrations.0008_seed_areas",
    "cases.migrations.0016_seed_record_lookups",
    "risk.migrations.0002_seed_questionnaire",
    "portal.migrations.0002_system_messages",
    "portal.migrations.0003_update_types",
    "portal.migrations.0004_seed_articles",
    "privacy.migrations.0002_retention_defaults",
)


def reseed() -> None:
    from django.apps import apps

    for migration in SEEDS:
        importlib.import_module(migration).seed(apps, None)

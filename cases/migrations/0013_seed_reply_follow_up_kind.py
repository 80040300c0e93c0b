"""The follow-up a victim's message sets for the case's holder (referrals.receivers). An admin may
rename it, or switch it off to stop those follow-ups (DESIGN rule 10)."""

from __future__ import annotations

from django.db import migrations


def seed(apps, schema_editor):
    apps.get_model("cases", "FollowUpKind").objects.get_or_create(
        code="reply", defaults={"label": "Reply to the victim's message", "position": 5}
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_access_log_lists_and_searches")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""The retention periods a helpline starts with; admins change them (privacy.admin)."""

from django.db import migrations

DEFAULTS = [
    # (category, days, counted from)
    ("case_content", 6 * 365, "the case is closed"),
    ("contact_details", 365, "the case is closed"),
    ("recordings", 365, "the case is closed"),
    ("messages", 2 * 365, "the case is closed"),
    ("access_logs", 6 * 365, "the read"),
    ("feed_records", 2 * 365, "the feed record is created"),
    ("discarded_reports", 90, "the report is discarded"),
    ("exports", 30, "the export is made"),
]


def seed(apps, schema_editor):
    rule = apps.get_model("privacy", "RetentionRule")
    for category, days, counted_from in DEFAULTS:
        rule.objects.get_or_create(
            category=category, defaults={"days": days, "counted_from": counted_from}
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

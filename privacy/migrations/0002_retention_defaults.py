"""The retention periods a helpline starts with (privacy.models.DEFAULT_RETENTION); admins change
them (privacy.admin_retention)."""

from django.db import migrations

from privacy.models import DEFAULT_RETENTION


def seed(apps, schema_editor):
    rule = apps.get_model("privacy", "RetentionRule")
    for category, (days, counted_from) in DEFAULT_RETENTION.items():
        rule.objects.get_or_create(
            category=category, defaults={"days": days, "counted_from": counted_from}
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

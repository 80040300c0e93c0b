"""The crime-system events Lantern knows from the start (issue 13): each becomes a timeline entry
and a neutral "there is an update" message to a victim who asked for updates. Admins rename them,
retire them and add more (DESIGN rule 10)."""

from __future__ import annotations

from django.db import migrations

EVENT_TYPES = [
    ("suspect_charged", "Suspect charged"),
    ("court_date_set", "Court date set"),
    ("no_further_action", "No further action"),
]


def seed(apps, schema_editor):
    PartnerEventType = apps.get_model("feeds", "PartnerEventType")
    for position, (code, label) in enumerate(EVENT_TYPES, start=1):
        PartnerEventType.objects.get_or_create(
            code=code, defaults={"label": label, "position": position * 10, "sends_update": True}
        )


class Migration(migrations.Migration):
    dependencies = [("feeds", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

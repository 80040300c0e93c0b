"""The crime-system events Lantern knows from the start (issue 13): each becomes a timeline entry
(and, through the update message types of portal 0003, an update for the victim). Admins rename them,
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
            # (they sent an update by default: sends_update, until feeds 0004 left it to portal)
            code=code, defaults={"label": label, "position": position * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("feeds", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""Made-up starting areas; admins rename them to their real districts and add more (DESIGN rule 10)."""

from __future__ import annotations

from django.db import migrations

AREAS = [
    ("north", "North"),
    ("south", "South"),
    ("east", "East"),
    ("west", "West"),
    ("central", "Central"),
]


def seed(apps, schema_editor):
    Area = apps.get_model("cases", "Area")
    for position, (code, label) in enumerate(AREAS, start=1):
        Area.objects.get_or_create(code=code, defaults={"label": label, "position": position * 10})


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_area_and_first_claim")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

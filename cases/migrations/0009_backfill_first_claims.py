"""Cases claimed before Case.first_claimed_at existed: their first claim is their earliest history
row in triage."""

from __future__ import annotations

from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    HistoricalCase = apps.get_model("cases", "HistoricalCase")
    first = (
        HistoricalCase.objects.filter(id=OuterRef("pk"), status="in_triage")
        .order_by("history_date")
        .values("history_date")[:1]
    )
    Case.objects.filter(first_claimed_at__isnull=True).update(first_claimed_at=Subquery(first))


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_seed_areas")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

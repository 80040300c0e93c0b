"""The roll-up's coarse histograms (dashboards.rollups.COARSE): indexes for reading them and the
whole seconds of a few buckets, and the coarse cells of the days already built, made from their
whole-second cells (so reports stay exact without waiting for rebuild_rollups)."""

from django.db import migrations, models

# Frozen here, as the migration made them: a later change of width rebuilds in its own migration.
BUCKET = 600
SPANS = ("first_contact", "closure", "referral_acceptance")
READ = ["n", "helpline_id", "channel", "status", "priority", "risk_level", "discard_reason_id"]
KEY = "day, helpline_id, channel, status, priority, risk_level, discard_reason_id"


def add_coarse_cells(apps, schema_editor) -> None:
    table = schema_editor.quote_name(apps.get_model("dashboards", "RollupCell")._meta.db_table)
    # floor division on both databases (their "/" truncates toward zero)
    bucket = (
        f"CASE WHEN value >= 0 THEN value / {BUCKET} ELSE -(({BUCKET} - 1 - value) / {BUCKET}) END"
    )
    with schema_editor.connection.cursor() as cursor:
        for span in SPANS:
            cursor.execute(
                f"INSERT INTO {table} ({KEY}, measure, value, n)"  # noqa: S608 (constants only)
                f" SELECT {KEY}, %s, {bucket}, SUM(n) FROM {table} WHERE measure = %s"
                f" GROUP BY {KEY}, {bucket}",
                [f"{span}~{BUCKET}", span],
            )


def remove_coarse_cells(apps, schema_editor) -> None:
    cells = apps.get_model("dashboards", "RollupCell").objects
    cells.filter(measure__in=[f"{span}~{BUCKET}" for span in SPANS]).delete()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_rollups")]

    operations = [
        migrations.AddIndex(
            model_name="rollupcell",
            index=models.Index(
                fields=["measure", "day"], name="rollup_measure_day", include=["value", *READ]
            ),
        ),
        migrations.AddIndex(
            model_name="rollupcell",
            index=models.Index(
                fields=["measure", "value", "day"], name="rollup_measure_value_day", include=READ
            ),
        ),
        migrations.RunPython(add_coarse_cells, remove_coarse_cells),
    ]

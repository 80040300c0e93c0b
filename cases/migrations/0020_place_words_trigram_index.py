"""On PostgreSQL, a trigram index on the gazetteer's normalised text: typed words found anywhere in
an address (cases.places, the last step of suggestions) in milliseconds on a million places instead
of a scan. Elsewhere (SQLite) the look-up scans, which the embedded default's size allows."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS cases_place_search_trgm "
        "ON cases_place USING gin (search_text gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS cases_place_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("cases", "0019_teams_routing_places_external_events")]
    operations = [migrations.RunPython(create, drop)]

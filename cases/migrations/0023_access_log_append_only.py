"""The access log becomes append-only (SECURITY AU-04): rows written before now are chained in id
order, then the database refuses UPDATE and DELETE on cases_accesslog (DELETE only while a prune
permit exists, see cases.audit_chain.prune) and refuses an insert that carries no hash.

On SQLite, a later migration that rebuilds cases_accesslog (SQLite alters most columns by copying
the table) drops these triggers with the old table: such a migration must create them again
(tests/privacy/test_audit_chain.py fails if they are gone)."""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION cases_accesslog_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            IF NEW.hash = '' THEN
                RAISE EXCEPTION 'an access-log row must be chained'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END IF;
        IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM cases_auditprunepermit) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the access log is append-only' USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER cases_accesslog_append_only
    BEFORE INSERT OR UPDATE OR DELETE ON cases_accesslog
    FOR EACH ROW EXECUTE FUNCTION cases_accesslog_append_only()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_accesslog_append_only ON cases_accesslog",
    "DROP FUNCTION IF EXISTS cases_accesslog_append_only()",
]

SQLITE = [
    """
    CREATE TRIGGER cases_accesslog_no_update BEFORE UPDATE ON cases_accesslog
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END
    """,
    """
    CREATE TRIGGER cases_accesslog_no_delete BEFORE DELETE ON cases_accesslog
    WHEN NOT EXISTS (SELECT 1 FROM cases_auditprunepermit)
    BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END
    """,
    """
    CREATE TRIGGER cases_accesslog_chained BEFORE INSERT ON cases_accesslog
    WHEN NEW.hash = ''
    BEGIN SELECT RAISE(ABORT, 'an access-log row must be chained'); END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_accesslog_no_update",
    "DROP TRIGGER IF EXISTS cases_accesslog_no_delete",
    "DROP TRIGGER IF EXISTS cases_accesslog_chained",
]


def chain_existing_rows(apps, schema_editor) -> None:
    from cases.audit_chain import CHAINED_FIELDS, row_hash

    AccessLog = apps.get_model("cases", "AccessLog")
    prev = ""
    batch = []
    for row in AccessLog.objects.using(schema_editor.connection.alias).order_by("id").iterator():
        row.prev_hash = prev
        row.hash = row_hash(prev, {name: getattr(row, name) for name in CHAINED_FIELDS})
        prev = row.hash
        batch.append(row)
        if len(batch) == 1000:
            AccessLog.objects.bulk_update(batch, ["prev_hash", "hash"])
            batch = []
    AccessLog.objects.bulk_update(batch, ["prev_hash", "hash"])


def _run(statements: dict):
    def run(apps, schema_editor) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0022_data_protection"),
    ]

    operations = [
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop),
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]

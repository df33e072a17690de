"""The outbox write as a PostgreSQL function (partners/sql/event_publish_v1.sql), so that Python's
`event_publish` and the ledger's one-statement posting publish through one definition.

Skipped on SQLite (the embedded development default), where `event_publish` uses the ORM.
"""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "event_publish_v1.sql").read_text(), params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS partners_event_publish("
            "uuid, bigint, text, text, jsonb, timestamptz, timestamptz)",
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [("partners", "0004_periodic_tasks")]

    operations = [migrations.RunPython(create_function, drop_function)]

"""The idempotency record's age index as BRIN instead of a B-tree (partners/models.py says why).

Records arrive in time order, so each block range of the table covers a narrow span of
`created_at` and the pruning query (older than 24 hours, partners.services.idempotency) reads
only the oldest ranges. PostgreSQL only; on SQLite (`make run` on a bare machine) the pruning
reads the table, which holds one day of a developer's requests."""

from django.db import migrations, models

BRIN = "partners_idempotencyrecord_created_brin"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {BRIN} ON partners_idempotencyrecord "
            "USING brin (created_at)",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {BRIN}", params=None)


class Migration(migrations.Migration):
    dependencies = [("partners", "0009_lean_event_indexes")]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="created_at",
            field=models.DateTimeField(verbose_name="created at"),
        ),
    ]

"""PostgreSQL triggers that make the ledger append-only and double-entry (deposits/sql/).

On SQLite (the embedded development default) they are skipped: the invariants are enforced in
PostgreSQL, which every test of money paths and every deployment uses.
"""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def _run(filename):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute((SQL_DIR / filename).read_text(), params=None)

    return apply


class Migration(migrations.Migration):
    dependencies = [("deposits", "0001_initial")]

    operations = [
        migrations.RunPython(_run("ledger_triggers.sql"), _run("ledger_triggers_reverse.sql")),
    ]

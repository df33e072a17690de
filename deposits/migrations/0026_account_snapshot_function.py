"""The posting's account read as a PL/pgSQL function, so that its plan is kept per session
(deposits/sql/account_snapshot_v1.sql says why). PostgreSQL only: SQLite sends the join."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "account_snapshot_v1.sql").read_text(), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS deposits_account_snapshot_v1", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0025_entry_reference_trigram"),
        ("shops", "0017_roles_ledger_day_totals"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

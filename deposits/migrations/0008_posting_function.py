"""The ledger's posting function (deposits/sql/posting_v1.sql): one call per posting on PostgreSQL.

It publishes `deposit.entry_posted` through the partners app's outbox function, hence the
dependency. Skipped on SQLite (the embedded development default), where postings go through
the ORM under the same rules.
"""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "posting_v1.sql").read_text(), params=None)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS deposits_post", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0007_requirement_recompute_schedule"),
        ("partners", "0005_event_publish_function"),
    ]

    operations = [migrations.RunPython(create_function, drop_function)]

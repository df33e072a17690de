"""The partner API's posting with its idempotency record in one call
(deposits/sql/posting_recorded_v1.sql, wrapping deposits_post). PostgreSQL only: on SQLite the API
takes the transaction path."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "posting_recorded_v1.sql").read_text(), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS deposits_post_recorded", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0019_merge_recent_entries_index"),
        ("partners", "0003_api_keys_idempotency_webhooks"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

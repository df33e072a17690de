"""deposits_post_recorded without its record probe before the posting
(deposits/sql/posting_recorded_v2.sql says why). PostgreSQL only, as 0020."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def install(name):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute((SQL_DIR / name).read_text(), params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("deposits", "0026_account_snapshot_function")]

    operations = [
        migrations.RunPython(
            install("posting_recorded_v2.sql"), install("posting_recorded_v1.sql")
        )
    ]

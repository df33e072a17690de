"""The coverage rule as one SQL function (deposits/sql/coverage_v1.sql), and the posting function
rewritten to use it (deposits/sql/posting_v2.sql replaces posting_v1.sql).

On SQLite (the embedded development default) the same name is registered on every connection as
the Python rule itself (deposits.apps), so the shortfall scan's SQL reads the same on both.
"""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "coverage_v1.sql").read_text(), params=None)
        schema_editor.execute((SQL_DIR / "posting_v2.sql").read_text(), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "posting_v1.sql").read_text(), params=None)
        schema_editor.execute("DROP FUNCTION IF EXISTS deposits_shortfall_v1", params=None)


class Migration(migrations.Migration):
    dependencies = [("deposits", "0008_posting_function")]

    operations = [migrations.RunPython(forwards, backwards)]

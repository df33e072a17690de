"""A shop's currency is fixed once its deposit account exists (deposits/sql/shop_currency_fixed.sql).

Here, not in shops, because the rule is about the deposit account (shops may not know deposits).
"""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "shop_currency_fixed.sql").read_text(), params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS shop_currency_fixed ON shops_shop")
        schema_editor.execute("DROP FUNCTION IF EXISTS deposits_shop_currency_fixed()")


class Migration(migrations.Migration):
    dependencies = [("deposits", "0009_coverage_function"), ("shops", "0003_notification")]

    operations = [migrations.RunPython(forwards, backwards)]

"""A payment reference is unique per partner (issue 16, security): the posting function answered
`duplicate_payment_ref` to a partner for a reference another partner had used, so a partner could
learn that another's payment exists by trying references.

The transaction records whose reference it is (`payment_partner`, the credited deposit's shop's
partner); the global unique index becomes (payment_partner, payment_ref), plus (payment_ref) for
references with no partner (ops' and the system transfers', one scope as before). Existing rows
are filled in from their account's shop; the append-only trigger is lifted for that one UPDATE,
inside this migration's transaction, so no other writer can slip a change through. Then
`deposits_post` is replaced by posting_v3.sql, which writes and checks the new column.
"""

from pathlib import Path

import django.db.models.deletion
from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

FILL = """
UPDATE deposits_ledgertransaction AS t
   SET payment_partner_id = s.partner_id
  FROM deposits_account AS a JOIN shops_shop AS s ON s.id = a.shop_id
 WHERE t.account_id = a.id AND t.payment_ref IS NOT NULL AND s.partner_id IS NOT NULL
"""


def fill_partners(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(
            "ALTER TABLE deposits_ledgertransaction DISABLE TRIGGER ledgertransaction_append_only"
        )
    schema_editor.execute(FILL)
    if postgres:
        schema_editor.execute(
            "ALTER TABLE deposits_ledgertransaction ENABLE TRIGGER ledgertransaction_append_only"
        )


def install_v3(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "posting_v3.sql").read_text(), params=None)


def install_v2(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "posting_v2.sql").read_text(), params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0019_merge_recent_entries_index"),
        ("partners", "0007_merge_delivery_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgertransaction",
            name="payment_partner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="partners.partner",
                verbose_name="payment reference's partner",
            ),
        ),
        migrations.RunPython(fill_partners, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="ledgertransaction",
            name="ledger_tx_payment_ref_unique",
        ),
        migrations.AddConstraint(
            model_name="ledgertransaction",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("payment_partner__isnull", False),
                    ("payment_ref__isnull", False),
                    ("status", "POSTED"),
                ),
                fields=("payment_partner", "payment_ref"),
                name="ledger_tx_payment_ref_per_partner",
            ),
        ),
        migrations.AddConstraint(
            model_name="ledgertransaction",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("payment_partner__isnull", True),
                    ("payment_ref__isnull", False),
                    ("status", "POSTED"),
                ),
                fields=("payment_ref",),
                name="ledger_tx_payment_ref_no_partner",
            ),
        ),
        migrations.RunPython(install_v3, install_v2),
    ]

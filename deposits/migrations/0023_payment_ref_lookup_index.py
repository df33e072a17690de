"""An index on the payment reference alone (where there is one).

Since 0020 the references are unique per partner through two partial indexes, which serve only
lookups that name the partner the same way. Two lookups do not: the posting function's
duplicate check after a conflict (posting_v3.sql compares the partner with IS NOT DISTINCT
FROM) and reconciliation (the provider's file names no partner). Both read every ledger
transaction without this index. Partial, so a posting without a reference (a deduction) does not
write it. Created IF NOT EXISTS: on a large table, build it CONCURRENTLY by hand first
(docs/operations.md, "Indexes on large tables").
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("deposits", "0022_lean_posting_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="ledgertransaction",
                    index=models.Index(
                        condition=models.Q(("payment_ref__isnull", False)),
                        fields=["payment_ref"],
                        name="ledger_tx_payment_ref_idx",
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    "CREATE INDEX IF NOT EXISTS ledger_tx_payment_ref_idx "
                    "ON deposits_ledgertransaction (payment_ref) WHERE payment_ref IS NOT NULL",
                    "DROP INDEX IF EXISTS ledger_tx_payment_ref_idx",
                )
            ],
        ),
    ]

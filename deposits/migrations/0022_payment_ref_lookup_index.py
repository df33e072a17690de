"""An index on the payment reference alone (where there is one).

Since 0020 the references are unique per partner through two partial indexes, which serve only
lookups that name the partner the same way. Two lookups do not: the posting function's
duplicate check after a conflict (posting_v3.sql compares the partner with IS NOT DISTINCT
FROM) and reconciliation (the provider's file names no partner). Both read every ledger
transaction without this index. A plain CREATE INDEX, as the project's other index migrations:
on a large table run it in a quiet hour (it blocks writes to the table while it builds).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0021_merge_payment_ref_per_partner_and_posting_recorded"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ledgertransaction",
            index=models.Index(
                condition=models.Q(("payment_ref__isnull", False)),
                fields=["payment_ref"],
                name="ledger_tx_payment_ref_idx",
            ),
        ),
    ]

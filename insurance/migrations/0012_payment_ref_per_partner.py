"""Premium payments' and recovery repayments' references are unique per partner (issue 16 §4):
partner B paying with a reference partner A had used got `409 duplicate_reference`, which told B
that A's payment exists. Each payment records whose reference it is (`payment_partner`, the
policy's shop's partner), filled in here for the rows there are; the global unique index becomes
(payment_partner, payment_ref), plus (payment_ref) for references with no partner.

Their ledger transfers get the same `payment_partner` (system_transfer now writes it), so a
partner's premium, repayment and top-up references share one scope, as they shared the global
one before deposits 0020. Existing transfers are moved into their partner's scope where that
collides with nothing (the append-only trigger lifted for that one UPDATE, inside this
migration's transaction, as deposits 0020 does); one that would collide stays in the no-partner
scope, which the insurance tables' own check in front of it makes harmless.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL_PREMIUMS = """
UPDATE insurance_premiumpayment AS p
   SET payment_partner_id = s.partner_id
  FROM insurance_policy AS pol JOIN shops_shop AS s ON s.id = pol.shop_id
 WHERE p.policy_id = pol.id AND s.partner_id IS NOT NULL
"""

FILL_REPAYMENTS = """
UPDATE insurance_recoveryrepayment AS r
   SET payment_partner_id = s.partner_id
  FROM insurance_recovery AS rec
  JOIN insurance_policy AS pol ON pol.id = rec.policy_id
  JOIN shops_shop AS s ON s.id = pol.shop_id
 WHERE r.recovery_id = rec.id AND s.partner_id IS NOT NULL
"""

FILL_LEDGER = """
UPDATE deposits_ledgertransaction AS t
   SET payment_partner_id = x.payment_partner_id
  FROM (SELECT ledger_transaction_id, payment_partner_id FROM insurance_premiumpayment
        UNION ALL
        SELECT ledger_transaction_id, payment_partner_id FROM insurance_recoveryrepayment) AS x
 WHERE t.id = x.ledger_transaction_id AND x.payment_partner_id IS NOT NULL
   AND t.payment_partner_id IS NULL AND t.payment_ref IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM deposits_ledgertransaction AS o
                    WHERE o.payment_partner_id = x.payment_partner_id
                      AND o.payment_ref = t.payment_ref AND o.status = 'POSTED')
"""


def fill_partners(apps, schema_editor):
    schema_editor.execute(FILL_PREMIUMS)
    schema_editor.execute(FILL_REPAYMENTS)
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(
            "ALTER TABLE deposits_ledgertransaction DISABLE TRIGGER ledgertransaction_append_only"
        )
    schema_editor.execute(FILL_LEDGER)
    if postgres:
        schema_editor.execute(
            "ALTER TABLE deposits_ledgertransaction ENABLE TRIGGER ledgertransaction_append_only"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0020_payment_ref_per_partner"),
        ("insurance", "0011_insurer_statements"),
        ("partners", "0008_api_key_rotation"),
    ]

    operations = [
        migrations.AddField(
            model_name="premiumpayment",
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
        migrations.AddField(
            model_name="recoveryrepayment",
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
        migrations.AlterField(
            model_name="premiumpayment",
            name="payment_ref",
            field=models.CharField(max_length=200, verbose_name="payment reference"),
        ),
        migrations.AlterField(
            model_name="recoveryrepayment",
            name="payment_ref",
            field=models.CharField(max_length=100, verbose_name="payment reference"),
        ),
        migrations.AddConstraint(
            model_name="premiumpayment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("payment_partner__isnull", False)),
                fields=("payment_partner", "payment_ref"),
                name="premium_payment_ref_per_partner",
            ),
        ),
        migrations.AddConstraint(
            model_name="premiumpayment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("payment_partner__isnull", True)),
                fields=("payment_ref",),
                name="premium_payment_ref_no_partner",
            ),
        ),
        migrations.AddConstraint(
            model_name="recoveryrepayment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("payment_partner__isnull", False)),
                fields=("payment_partner", "payment_ref"),
                name="recovery_repayment_ref_per_partner",
            ),
        ),
        migrations.AddConstraint(
            model_name="recoveryrepayment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("payment_partner__isnull", True)),
                fields=("payment_ref",),
                name="recovery_repayment_ref_no_partner",
            ),
        ),
    ]

"""Merchants are scoped by partner (issue 16, security): registering a shop with an e-mail that
belonged to another partner's merchant was refused with "already registered through another
partner", which told a partner that the company was another's customer. Now each partner has its
own merchant for an e-mail (unique per partner; one scope for merchants without a partner).

Existing merchants get the partner all their shops were registered by; a merchant with shops of
several partners (linked by ops) or none keeps no partner, and partners that have shops there
keep adding shops to it (shops.services.merchant_get_or_create).
"""

import django.db.models.deletion
from django.db import migrations, models


FILL = """
UPDATE shops_merchant AS m
   SET partner_id = sole.partner_id
  FROM (SELECT merchant_id, min(partner_id) AS partner_id FROM shops_shop
         GROUP BY merchant_id
        HAVING count(DISTINCT partner_id) = 1 AND count(partner_id) = count(*)) AS sole
 WHERE sole.merchant_id = m.id
"""


def fill_partners(apps, schema_editor):
    schema_editor.execute(FILL)


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0007_merge_delivery_indexes'),
        ('shops', '0014_roles_team_and_requirement_history'),
    ]

    operations = [
        migrations.AddField(
            model_name='merchant',
            name='partner',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partner', verbose_name='partner'),
        ),
        migrations.RunPython(fill_partners, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='merchant',
            name='contact_email',
            field=models.EmailField(max_length=254, verbose_name='contact e-mail'),
        ),
        migrations.AddConstraint(
            model_name='merchant',
            constraint=models.UniqueConstraint(condition=models.Q(('partner__isnull', False)), fields=('partner', 'contact_email'), name='merchant_email_per_partner'),
        ),
        migrations.AddConstraint(
            model_name='merchant',
            constraint=models.UniqueConstraint(condition=models.Q(('partner__isnull', True)), fields=('contact_email',), name='merchant_email_without_partner'),
        ),
    ]

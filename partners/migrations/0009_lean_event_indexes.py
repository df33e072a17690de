"""Fewer indexes on the rows every posting writes (issue 16, 1; docs/benchmarks.md).

The ledger's posting function writes the partner's event (and its deliveries) in the same call,
so each index on these tables is paid for by every deduction. Dropped: the foreign-key indexes
that a composite index already leads with (event.partner → event_partner_idx, delivery.event →
delivery_once_per_endpoint, idempotencyrecord.partner → idempotency_key_per_partner), the LIKE
twins that `db_index=True` builds for CharFields (no query uses LIKE on these), and the event's
ordering-key index (nothing looks events up by it; deliveries carry their own). The admin's
filter by type keeps a plain index.

On a large production table, build event_type_idx CONCURRENTLY by hand before migrating (the
migration creates it only if missing; docs/operations.md, "Indexes on large tables").
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("partners", "0008_api_key_rotation")]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="event",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="partners.event",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="ordering_key",
            field=models.CharField(blank=True, max_length=100, verbose_name="ordering key"),
        ),
        migrations.AlterField(
            model_name="event",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="partners.partner",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="type",
            field=models.CharField(max_length=60, verbose_name="type"),
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="partner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="partners.partner",
            ),
        ),
        # IF NOT EXISTS, so that on a large table it can be built CONCURRENTLY by hand first.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(
                    model_name="event",
                    index=models.Index(fields=["type"], name="event_type_idx"),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    "CREATE INDEX IF NOT EXISTS event_type_idx ON partners_event (type)",
                    "DROP INDEX IF EXISTS event_type_idx",
                )
            ],
        ),
    ]

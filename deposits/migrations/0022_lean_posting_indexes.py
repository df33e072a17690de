"""Fewer indexes and one query fewer per entry on the rows every posting writes (issue 16, 1).

A deduction writes a transaction and two entries (and, through partners, an event); each index
on those tables is maintained by every posting. bench/posting_cost.py priced the posting by
pgbench beside tpcb-like (docs/benchmarks.md, "What a posting costs PostgreSQL"). Dropped:

- entry.account and ledgertransaction.account's own indexes: entry_account_chain_idx,
  entry_statement_idx, entry_account_recent_idx and ledger_tx_account_idx lead with the column;
- the LIKE twin of ledgertransaction.idempotency_key (`unique=True` on a CharField builds one; no
  query uses LIKE on it). The column stays unique under the same constraint: only the state
  changes (`unique=True` → a UniqueConstraint of the name PostgreSQL gave it), nothing is rebuilt;
- the actor and hold indexes become partial (WHERE ... IS NOT NULL): partners' postings have no
  actor and most have no hold, and PROTECT's lookups and the admin's filters only ask for values.

And the deferred zero-sum trigger's function answers in one query instead of two
(deposits/sql/ledger_triggers_v2.sql).

The three partial indexes are created IF NOT EXISTS: on a large production table, build them
CONCURRENTLY by hand first (docs/operations.md, "Indexes on large tables"); the drops are quick.
"""

from pathlib import Path

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
LIKE_INDEX = "deposits_ledgertransaction_idempotency_key_077c0269_like"


def _postgres(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql() if callable(sql) else sql, params=None)

    return apply


def _partial_index(
    model: str, name: str, table: str, field: str
) -> migrations.operations.base.Operation:
    """An index on `field` where it is set, created only if missing."""
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AddIndex(
                model_name=model,
                index=models.Index(
                    condition=models.Q((f"{field}__isnull", False)), fields=[field], name=name
                ),
            )
        ],
        database_operations=[
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({field}_id) "
                f"WHERE {field}_id IS NOT NULL",
                f"DROP INDEX IF EXISTS {name}",
            )
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("deposits", "0021_merge_payment_ref_per_partner_and_posting_recorded"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="entry",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="entries",
                to="deposits.account",
            ),
        ),
        migrations.AlterField(
            model_name="entry",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="account",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="deposits.account",
            ),
        ),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="hold",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="transactions",
                to="deposits.hold",
            ),
        ),
        # IF NOT EXISTS, so that on a large table the index can be built CONCURRENTLY by hand
        # beforehand (docs/operations.md, "Indexes on large tables").
        _partial_index("entry", "entry_actor_idx", "deposits_entry", "actor"),
        _partial_index(
            "ledgertransaction", "ledger_tx_hold_idx", "deposits_ledgertransaction", "hold"
        ),
        _partial_index(
            "ledgertransaction", "ledger_tx_actor_idx", "deposits_ledgertransaction", "actor"
        ),
        # The unique constraint stays as it is in the database; only its LIKE twin goes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="ledgertransaction",
                    name="idempotency_key",
                    field=models.CharField(max_length=300, verbose_name="idempotency key"),
                ),
                migrations.AddConstraint(
                    model_name="ledgertransaction",
                    constraint=models.UniqueConstraint(
                        fields=("idempotency_key",),
                        name="deposits_ledgertransaction_idempotency_key_key",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(
                    _postgres(f"DROP INDEX IF EXISTS {LIKE_INDEX}"),
                    _postgres(
                        f"CREATE INDEX IF NOT EXISTS {LIKE_INDEX} ON deposits_ledgertransaction "
                        "(idempotency_key varchar_pattern_ops)"
                    ),
                ),
            ],
        ),
        migrations.RunPython(
            _postgres(lambda: (SQL_DIR / "ledger_triggers_v2.sql").read_text()),
            _postgres(lambda: (SQL_DIR / "ledger_triggers.sql").read_text()),
        ),
    ]

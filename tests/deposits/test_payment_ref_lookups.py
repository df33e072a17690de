"""Lookups of a payment reference on its own can use an index (deposits 0023): the posting
function's duplicate check after a conflict (posting_v3.sql: the reference, POSTED, and the
partner compared with IS NOT DISTINCT FROM) and reconciliation's match of the provider's file
(which names no partner). The per-partner partial unique indexes serve neither, so without the
index both read every ledger transaction. The plans are asked with sequential scans disabled:
on a table this small the planner would read it whole anyway, but only where it can choose."""

from __future__ import annotations

import pytest
from django.db import connection

from deposits.models import LedgerTransaction, TransactionKind

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="query plans and partial indexes of PostgreSQL"),
]


def _plan(sql: str, params: list[object]) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_posting_functions_duplicate_check_uses_an_index():
    # The predicate posting_v3.sql runs when its INSERT conflicted, for a partner and for none.
    for partner_id in (3, None):
        plan = _plan(
            "SELECT 1 FROM deposits_ledgertransaction WHERE payment_ref = %s "
            "AND status = 'POSTED' AND payment_partner_id IS NOT DISTINCT FROM %s",
            ["PAY-1", partner_id],
        )

        assert "Seq Scan" not in plan, plan  # for none, the no-partner unique index serves too


def test_reconciliations_lookup_of_the_providers_references_uses_an_index():
    rows = LedgerTransaction.objects.filter(
        kind=TransactionKind.TOP_UP,
        status=LedgerTransaction.Status.POSTED,
        payment_ref__isnull=False,
        payment_ref__in=["PAY-1", "PAY-2"],
    )
    sql, params = rows.values("id").query.sql_with_params()

    plan = _plan(sql, list(params))

    assert "ledger_tx_payment_ref_idx" in plan and "Seq Scan" not in plan, plan

"""The PostgreSQL write of a posting: one call of `deposits_post` (deposits/sql/posting_v1.sql).

Raw SQL on purpose: this runs on every posting, where round trips and statement planning, not
Python, set the pace (docs/benchmarks.md). The function checks under the account's row lock that
the plan still holds, then writes the transaction, its entries, the balances and the partner's
`deposit.entry_posted` event; this module only passes the plan and reads the outcome back.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from deposits.models import Account, Entry, LedgerTransaction
from deposits.selectors import ShopRef
from deposits.services.posting_plan import (
    BALANCE_FIELDS,
    Plan,
    entry_event_data,
    event_entry_order,
)

POSTED = "posted"
REPLAY = "replay"
STALE = "stale"
MISSING_ACCOUNT = "missing_account"
MISSING_SYSTEM_ACCOUNT = "missing_system_account"
DUPLICATE_PAYMENT_REF = "duplicate_payment_ref"
ALREADY_REVERSED = "already_reversed"

# Casts name every parameter's type: psycopg2 binds on the client, and an empty list or a None
# must still reach the right overload.
_POST_SQL = (
    "SELECT o_outcome, o_transaction_id, o_entry_ids, o_entry_accounts, o_balances_after, "
    "o_balances, "
    "o_event_id, o_delivery_ids FROM deposits_post("
    "%s::bigint, %s::bigint[], %s::boolean[], %s::bigint, "
    "%s::uuid, %s, %s, %s, %s, %s, %s::bigint, %s, %s, %s, %s, %s::bigint, %s::bigint, "
    "%s::bigint, %s::timestamptz, %s::timestamptz, "
    "%s::text[], %s::text[], %s::bigint[], "
    "%s::bigint, %s::uuid, %s::jsonb, %s::int[], %s::timestamptz)"
)


@dataclass(frozen=True)
class Outcome:
    outcome: str
    transaction_id: int | None
    entry_ids: list[int]
    entry_accounts: list[int]
    balances_after: list[int | None]
    # posted, held, debt, required, guaranteed: after the posting, or now when stale.
    balances: tuple[int, ...] | None
    delivery_ids: list[int]

    def balances_dict(self) -> dict[str, int]:
        assert self.balances is not None
        return dict(zip(BALANCE_FIELDS, self.balances, strict=True))


def post(
    *,
    account: Account,
    tx: LedgerTransaction,
    plan: Plan,
    entries: list[Entry],
    give_up_at: datetime,
) -> Outcome:
    """Send one posting (or one stored refusal, when tx.status is FAILED) to the database."""
    legs = plan.nonzero_legs() if tx.status == LedgerTransaction.Status.POSTED else []
    if sum(leg.amount_minor for leg in legs) != 0:
        # The deferred trigger would refuse it at COMMIT, after the caller had moved on.
        raise ValueError(f"A posting must balance: {legs}")
    shop: ShopRef | None = getattr(account, "shop_ref", None)
    event_data, event_legs = None, []
    if shop is not None and shop.partner_id is not None and legs:
        order = event_entry_order(entries, account.pk)
        event_legs = [i + 1 for i in order]  # SQL arrays count from 1
        event_data = json.dumps(
            {
                "shop": str(shop.public_id),
                "external_ref": shop.external_ref,
                "status": shop.status,
                "transaction_id": str(tx.public_id),
                "kind": tx.kind,
                # The function adds each entry's id and balance after, `entry` and `deposit`.
                "entries": [entry_event_data(entries[i], tx) for i in order],
            }
        )
    params = [
        account.pk,
        [getattr(account, name) for name in BALANCE_FIELDS],
        plan.checked(),
        plan.held_delta if tx.status == LedgerTransaction.Status.POSTED else 0,
        tx.public_id,
        tx.idempotency_key,
        tx.fingerprint,
        tx.kind,
        tx.status,
        tx.error_code,
        tx.amount_minor,
        tx.currency,
        tx.reason,
        tx.reference,
        tx.payment_ref,
        tx.hold_id,
        tx.reverses_id,
        tx.actor_id,
        tx.occurred_at,
        tx.recorded_at,
        [leg.bucket or Entry.Bucket.POSTED for leg in legs],
        [leg.system for leg in legs],
        [leg.amount_minor for leg in legs],
        shop.partner_id if event_data is not None and shop is not None else None,
        uuid.uuid4() if event_data is not None else None,
        event_data,
        event_legs,
        give_up_at,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_POST_SQL, params)
        row = cursor.fetchone()
    outcome, tx_id, entry_ids, entry_accounts, balances_after, balances, _event, deliveries = row
    return Outcome(
        outcome=outcome,
        transaction_id=tx_id,
        entry_ids=list(entry_ids or []),
        entry_accounts=list(entry_accounts or []),
        balances_after=list(balances_after or []),
        balances=tuple(balances) if balances is not None else None,
        delivery_ids=list(deliveries or []),
    )

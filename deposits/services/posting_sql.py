"""The PostgreSQL executor: one posting is one call of `deposits_post` (deposits/sql/
posting_v4.sql). Its twin for SQLite is `posting_orm`; both answer `post` with an `Outcome`.

Raw SQL on purpose: this runs on every posting, where round trips and statement planning, not
Python, set the pace (docs/benchmarks.md). The function checks under the account's row lock that
the plan still holds, then writes the transaction, its entries, the balances and the partner's
`deposit.entry_posted` event (from the template `posting_event` builds); this module only passes
the plan and reads the outcome back.
"""

from __future__ import annotations

import json
import uuid
from contextlib import nullcontext
from datetime import datetime

from django.db import DatabaseError, connection, transaction

from deposits.models import Account, Entry, LedgerTransaction
from deposits.services.posting_event import entry_posted_event
from deposits.services.posting_orm import system_account_ids
from deposits.services.posting_plan import (
    BALANCE_FIELDS,
    MISSING_SYSTEM_ACCOUNT,
    POSTED,
    STALE,
    Outcome,
    Plan,
)
from deposits.services.posting_receipt import Receipt, ReceiptConflict
from partners import services as partner_services

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
# The same call with the API's idempotency record, stored by the function with the posting
# (posting_v4.sql): nine more parameters last, one more column (the response as stored) first.
_POST_RECORDED_SQL = _POST_SQL.replace(
    "SELECT o_outcome,", "SELECT o_response, o_outcome,", 1
).replace(
    "%s::timestamptz)",
    "%s::timestamptz, %s::bigint, %s, %s, %s, %s, %s::int, %s, %s, %s::int)",
    1,
)
_RECEIPT_CLAIMED = "DDI01"  # raised by deposits_post when the record cannot be stored (v4)


def post(
    *,
    account: Account,
    tx: LedgerTransaction,
    plan: Plan,
    entries: list[Entry],
    now: datetime,
    receipt: Receipt | None = None,
) -> Outcome:
    """Send one posting (or one stored refusal, when tx.status is FAILED) to the database.
    `entries`: unsaved, one per non-zero leg (`posting_plan.new_entries`); the outcome says what
    was written for each. With a `receipt`, the API's idempotency record is written by the same
    call (`receipt.stored` says so) or nothing is."""
    outcome = _send(account, tx, plan, entries, now, receipt)
    if outcome.outcome == MISSING_SYSTEM_ACCOUNT:
        # The first posting in a currency creates its system accounts; nothing was written.
        system_account_ids(account.currency)
        outcome = _send(account, tx, plan, entries, now, receipt)
        if outcome.outcome == MISSING_SYSTEM_ACCOUNT:
            raise ValueError(f"A leg names a system account that does not exist: {plan.legs}")
    return outcome


def _send(
    account: Account,
    tx: LedgerTransaction,
    plan: Plan,
    entries: list[Entry],
    now: datetime,
    receipt: Receipt | None = None,
) -> Outcome:
    legs = plan.nonzero_legs() if tx.status == LedgerTransaction.Status.POSTED else []
    if sum(leg.amount_minor for leg in legs) != 0:
        # The deferred trigger would refuse it at COMMIT, after the caller had moved on.
        raise ValueError(f"A posting must balance: {legs}")
    event = entry_posted_event(account, tx, entries, written=None) if legs else None
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
        event.partner_id if event is not None else None,
        uuid.uuid4() if event is not None else None,
        json.dumps(event.data) if event is not None else None,
        [i + 1 for i in event.legs] if event is not None else [],  # SQL arrays count from 1
        now + partner_services.retry_window(),
    ]
    if receipt is None:
        with connection.cursor() as cursor:
            cursor.execute(_POST_SQL, params)
            row = cursor.fetchone()
    else:
        row = _send_recorded(receipt, account, tx, plan, entries, params)
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


def _send_recorded(
    receipt: Receipt,
    account: Account,
    tx: LedgerTransaction,
    plan: Plan,
    entries: list[Entry],
    params: list[object],
) -> tuple[object, ...]:
    """The posting with its idempotency record: the response rendered now, stored by the same
    call of `deposits_post` as the posting. Returns deposits_post's columns; sets
    `receipt.stored`."""
    entry_leg = next(
        (
            i
            for i, e in enumerate(entries)
            if e.account_id == account.pk and e.bucket == Entry.Bucket.POSTED
        ),
        None,
    )
    error = plan.error
    rendered = receipt.render(
        receipt, account, tx, entries[entry_leg] if entry_leg is not None else None, error
    )
    if rendered is None:
        raise ReceiptConflict("the caller does not store this outcome with the posting")
    try:
        # Inside a caller's transaction (tests, a caller of its own) a savepoint keeps the
        # rare DDI01 from aborting it; in the API's autocommit the call is its own transaction.
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            with connection.cursor() as cursor:
                cursor.execute(
                    _POST_RECORDED_SQL,
                    params
                    + receipt.params(rendered, entry_leg + 1 if entry_leg is not None else None),
                )
                row = cursor.fetchone()
    except DatabaseError as exc:
        if getattr(exc.__cause__, "pgcode", None) == _RECEIPT_CLAIMED:
            raise ReceiptConflict(str(exc)) from exc
        raise
    if row[1] not in (POSTED, STALE, MISSING_SYSTEM_ACCOUNT):
        # Nothing was written: a replay, a key the partner used before ('recorded'), a closed
        # shop. The caller's transaction path answers those, exactly as it always has.
        raise ReceiptConflict(f"deposits_post answered {row[1]!r}")
    if row[0] is not None:
        receipt.stored = (rendered[0], row[0])
    return tuple(row[1:])

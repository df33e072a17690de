"""`deposit.entry_posted`: the one definition of what a shop's partner hears about a posting.

Both executors build it here. The ORM executor (SQLite) calls it after its write, with what it
wrote, and publishes the whole event. The SQL executor calls it before the write, with the
planner's unsaved entries: then it is the template that `deposits_post` (deposits/sql/
posting_v4.sql) completes under the account's lock, because only there are these known: each
entry's `id` and `balance_after_minor`, `entry` (the first of `entries`), the shop's `status` at
the posting, and every value of `deposit`. The template names each of them, with null for a
value; the function fills them in by name and refuses a template that names a deposit value it
does not know, so the event's shape is defined here and only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from common.times import utc_iso
from deposits.domain.coverage import Coverage
from deposits.models import Account, Entry, LedgerTransaction
from deposits.selectors import ShopRef, deposit_summary

ENTRY_POSTED = "deposit.entry_posted"


@dataclass(frozen=True)
class EntryPostedEvent:
    partner_id: int
    # The shop's public id: a shop's events are delivered in the order they were posted.
    ordering_key: str
    data: dict[str, Any]
    # Positions in the posting's legs of the entries the event lists, in its order.
    legs: list[int]


def entry_event_data(entry: Entry, tx: LedgerTransaction) -> dict[str, Any]:
    """An entry as partners see it (the API's entry shape)."""
    return {
        "id": entry.pk,
        "transaction_id": str(tx.public_id),
        "kind": entry.kind,
        "bucket": entry.bucket,
        "amount_minor": entry.amount_minor,
        "balance_after_minor": entry.balance_after_minor,
        "currency": entry.currency,
        "reason": entry.reason,
        "reference": entry.reference,
        "occurred_at": utc_iso(entry.occurred_at),
    }


def entry_posted_event(
    account: Account,
    tx: LedgerTransaction,
    entries: list[Entry],
    *,
    written: tuple[str, Coverage] | None,
) -> EntryPostedEvent | None:
    """The event for a posting of `entries` (in leg order) to `account`, or None when nobody
    would hear it: the shop has no partner, or nothing was posted to the deposit account.

    `written`: the shop's status and the deposit after the posting, when the posting is
    written and `entries` are the saved rows; None for the SQL function's template."""
    shop: ShopRef | None = getattr(account, "shop_ref", None)
    # The deposit account's entries, POSTED bucket first, then in leg order (which is id order:
    # entries are numbered as their legs come).
    legs = sorted(
        (i for i, entry in enumerate(entries) if entry.account_id == account.pk),
        key=lambda i: (entries[i].bucket != Entry.Bucket.POSTED, i),
    )
    if shop is None or shop.partner_id is None or not legs:
        return None
    shown = [entry_event_data(entries[i], tx) for i in legs]
    if written is None:
        for item in shown:
            item["id"] = item["balance_after_minor"] = None
        status, deposit = None, dict.fromkeys(deposit_summary(account).as_dict())
    else:
        status, deposit = written[0], written[1].as_dict()
    return EntryPostedEvent(
        partner_id=shop.partner_id,
        ordering_key=str(shop.public_id),
        data={
            "shop": str(shop.public_id),
            "external_ref": shop.external_ref,
            "status": status,
            "transaction_id": str(tx.public_id),
            "kind": tx.kind,
            "entry": shown[0] if written is not None else None,
            "entries": shown,
            "deposit": deposit,
        },
        legs=legs,
    )

"""Refusals that come before any posting: nothing is written for them, not even a FAILED row.

A planner's refusal is stored under its idempotency key (the key keeps failing the same way);
these are different: they depend on the shop, not on the balances, and a closed shop never opens
again, so there is nothing to keep a key for.
"""

from __future__ import annotations

from common.errors import ShopClosed
from deposits.models import Account, LedgerTransaction
from deposits.selectors import account_snapshot
from shops.models import ShopStatus


def refuse_when_closed(
    *, account_id: int, idempotency_key: str | None = None, snapshot: Account | None = None
) -> Account | None:
    """Raise ShopClosed when the account's shop has exited (退店), unless this key already
    posted: a retry of what was done before the exit replays its first result.

    A closed shop's deposit only leaves: the exit refund, a forfeiture, and the capture or
    release of holds for claims still open (domain.md §3). Those services do not call this.

    Returns the account's snapshot it read (or was given), for the caller to hand to
    `run_operation`: the optimistic posting plans from that same read, so this check costs a
    posting no extra round trip.

    Read without a lock, before the posting, to refuse early and write nothing; the posting
    itself checks again under the account's lock (`posting_plan.REFUSED_WHEN_CLOSED`), so an
    operation racing the exit's confirmation either posts before it or is refused after it.
    """
    if snapshot is None or snapshot.pk != account_id:
        snapshot = account_snapshot(account_id)
    shop_ref = getattr(snapshot, "shop_ref", None)
    if shop_ref is None or shop_ref.status != ShopStatus.CLOSED:
        return snapshot
    if (
        idempotency_key
        and LedgerTransaction.objects.filter(idempotency_key=idempotency_key).exists()
    ):
        return snapshot
    raise ShopClosed()

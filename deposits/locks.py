"""Every row lock the deposits app takes, in one place (after Saleor's `lock_objects.py`).

A service that needs a row to stay still until it commits calls one of these; nothing else in
deposits (or shops, see shops.locks) calls `select_for_update` or writes `FOR … UPDATE`
(tests/deposits/test_locks.py fails if it does). All of them lock for the rest of the caller's
transaction, so call them inside `transaction.atomic`.

The order (deadlock-free only if every transaction follows it):

    adjustment request → deposit account → holds → guarantees → shortfall case → shop

- The deposit account first: it is the row every money change serialises on, and the posting
  function `deposits_post` (deposits/sql/posting_v4.sql) locks it, in SQL and in this mode,
  before anything else of the posting; a planner may then lock the account's holds
  (`lock_hold`). The rows that belong to the account follow it.
- The shop last. It is the account's parent, but the writes that need it happen because of a
  money change, under the account's lock: a first full top-up takes the shop live in the
  posting's transaction, a shortfall step restricts the shop under the account and case locks
  (shops.services re-reads it with shops.locks.lock_shop to recompute its status). Putting the
  shop first would make every posting lock a row it almost never changes, or split going live
  from the payment that earns it. A service that changes a shop and then an account (an exit,
  which closes the shop and recomputes its requirement) locks the account first.
- Several rows of one kind: ascending primary key (`lock_accounts`, `lock_holds`,
  `lock_guarantees`), so two transactions locking overlapping sets queue instead of crossing.
- An adjustment request is an ops decision about an account: approving it locks the request
  (so two approvers do not both post) and then posts to the account. Nothing holds an account
  and waits for a request.
- Other apps' rows come after all of these (architecture.md: account, then policy, then
  claim). Deposits never locks them; a caller that holds its policy and then calls a deposits
  service crosses that order, and must be the only kind of caller that does (say so where).

The mode, for every row here: FOR NO KEY UPDATE, never plain FOR UPDATE. Other rows point at all
of these by foreign key (entries and holds at the account, steps at the case, restrictions and
notices at the shop…), and PostgreSQL's check of every INSERT or key UPDATE of such a row takes
KEY SHARE on the row it points at. KEY SHARE conflicts with FOR UPDATE but not with FOR NO KEY
UPDATE: with plain FOR UPDATE, the shortfall scan's set-based INSERT of new cases (KEY SHARE on
their accounts) and an evaluation holding an account while it waited on one of those new case
rows deadlocked (see deposits_post's comment and deposits.services.shortfall). NO KEY UPDATE is
enough because no service changes a key column (id, a unique reference) of a locked row; a
service that ever must should get its own function here, saying why.

The ledger's day-total mark (`lock_rollup_mark`) stands apart: the nightly roller locks only it,
never anything else, and no posting reads or locks it, so it has no place in the order above.

Sweepers use the SKIP LOCKED variants (`try_lock_account`): a row another transaction is
working on is left for the next sweep rather than waited for.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from deposits import selectors
from deposits.models import (
    Account,
    AdjustmentRequest,
    EntryRollupMark,
    Guarantee,
    Hold,
    ShortfallCase,
)
from shops import locks as shop_locks
from shops.models import Shop

__all__ = [
    "lock_account",
    "lock_account_of_shop",
    "lock_account_snapshot",
    "lock_accounts",
    "lock_adjustment_request",
    "lock_guarantees",
    "lock_hold",
    "lock_holds",
    "lock_open_shortfall_case",
    "lock_rollup_mark",
    "lock_shop",
    "lock_shortfall_case",
    "try_lock_account",
]


def _locked(queryset: QuerySet, *, skip_locked: bool = False) -> QuerySet:
    # of=("self",): a select_related join locks only the row asked for (and PostgreSQL refuses
    # FOR … UPDATE on the nullable side of an outer join anyway).
    return queryset.select_for_update(no_key=True, of=("self",), skip_locked=skip_locked)


# --- deposit account ------------------------------------------------------------------------


def lock_account(account_id: int) -> Account:
    """A deposit account; Account.DoesNotExist when there is none with this id."""
    return _locked(Account.objects.filter(kind=Account.Kind.DEPOSIT)).get(pk=account_id)


def lock_account_of_shop(shop_id: int) -> Account | None:
    """The shop's deposit account, with its shop and merchant read (not locked); None without."""
    return (
        _locked(Account.objects.select_related("shop__merchant"))
        .filter(shop_id=shop_id, kind=Account.Kind.DEPOSIT)
        .first()
    )


def lock_account_snapshot(account_id: int) -> Account | None:
    """The posting path's read: `deposits.selectors.account_snapshot` (balances and `shop_ref`
    in one statement) with the account row locked; the shop is read for the event, not locked."""
    sql = selectors.ACCOUNT_SNAPSHOT_SQL + " WHERE a.id = %s"
    if connection.features.has_select_for_update:  # not on SQLite, which locks the whole file
        sql += " FOR NO KEY UPDATE OF a"
    return selectors.account_snapshot_from_sql(sql, [account_id])


def lock_accounts(account_ids: Iterable[int]) -> list[Account]:
    """Several deposit accounts, locked in ascending pk order."""
    return list(_locked(Account.objects.filter(pk__in=list(account_ids))).order_by("pk"))


def try_lock_account(account_id: int) -> Account | None:
    """For sweepers: the account locked, or None when another transaction holds it (SKIP LOCKED)
    or it does not exist."""
    return _locked(Account.objects.filter(pk=account_id), skip_locked=True).first()


# --- holds ----------------------------------------------------------------------------------


def lock_hold(hold_id: int) -> Hold:
    """One hold, under its account's lock (taken first: by the posting's locked read)."""
    return _locked(Hold.objects.all()).get(pk=hold_id)


def lock_holds(hold_ids: Iterable[int]) -> list[Hold]:
    """Several holds, in ascending pk order."""
    return list(_locked(Hold.objects.filter(pk__in=list(hold_ids))).order_by("pk"))


# --- guarantees -----------------------------------------------------------------------------


def lock_guarantees(guarantee_ids: Iterable[int]) -> list[Guarantee]:
    """Guarantees, in ascending pk order, under their account's lock (taken first)."""
    return list(_locked(Guarantee.objects.filter(pk__in=list(guarantee_ids))).order_by("pk"))


# --- shortfall case -------------------------------------------------------------------------


def lock_open_shortfall_case(shop_id: int) -> ShortfallCase | None:
    """The shop's open case (at most one: a partial unique index), under the account's lock."""
    return _locked(
        ShortfallCase.objects.filter(shop_id=shop_id, status=ShortfallCase.Status.OPEN)
    ).first()


def lock_shortfall_case(case_id: int) -> ShortfallCase:
    return _locked(ShortfallCase.objects.all()).get(pk=case_id)


# --- adjustment request (before the account it posts to) -------------------------------------


def lock_adjustment_request(request_id: int) -> AdjustmentRequest:
    return _locked(AdjustmentRequest.objects.all()).get(pk=request_id)


# --- shop (last) ----------------------------------------------------------------------------


def lock_shop(shop_id: int) -> Shop | None:
    """The shop row (shops.locks.lock_shop: shops may not import deposits). Last in the order."""
    return shop_locks.lock_shop(shop_id)


# --- the ledger's day totals ------------------------------------------------------------------


def lock_rollup_mark(account_id: int) -> EntryRollupMark:
    """The account's day-total mark (deposits.services.rollups): two rollers of one account queue
    here; the second reads the first's mark once it commits (READ COMMITTED re-reads a row it
    waited for) and finds nothing left to roll."""
    return _locked(EntryRollupMark.objects.all()).get(account_id=account_id)

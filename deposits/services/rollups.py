"""Rolling each deposit account's ledger up into day totals (deposits.models.rollups), after the
fact: never in the posting path (deposits_post is unchanged and knows nothing of it).

- `entry_rollup_advance(account_id, now)`: adds the account's entries above its mark, one row
  per (day, kind), and moves the mark, in one transaction under the mark's row lock. Running it
  twice, or in two workers at once, rolls each entry once (the second finds nothing above the
  new mark).
- `entry_rollup_rebuild(account_id, now)`: the same from zero (its rows deleted first), for ops
  after a change of the statement's time zone or a failed `entry_rollup_verify`.
- `entry_rollup_verify(account_id)`: the rows against the entries up to the mark.
- `entry_rollups_due(dispatch)`: the accounts with entries above their mark (one set-based
  query), handed to `dispatch` in chunks; beat runs it nightly (deposits.tasks.roll_up_ledgers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from deposits import locks
from deposits.models import Account, Entry, EntryDayRollup, EntryRollupMark
from deposits.statement import STATEMENT_TZ

# Accounts per task when the nightly scan fans out: each account is one grouped read of the
# entries since the last night, so a chunk is short even for busy shops.
ROLLUP_CHUNK = 200


def _day_totals(entries: Any) -> list[dict[str, Any]]:
    """The entries' sums per Asia/Shanghai day and kind (the coverage chart's grouping)."""
    return list(
        entries.annotate(day=TruncDate("occurred_at", tzinfo=STATEMENT_TZ))
        .values("day", "kind")
        .annotate(
            posted=Sum("amount_minor", filter=Q(bucket=Entry.Bucket.POSTED)),
            debt=Sum("amount_minor", filter=Q(bucket=Entry.Bucket.DEBT)),
            credits=Sum("amount_minor", filter=Q(amount_minor__gt=0)),
            debits=Sum("amount_minor", filter=Q(amount_minor__lt=0)),
            n=Count("transaction_id", distinct=True),
            entries=Count("id"),
            last=Max("id"),
        )
        .order_by("day", "kind")
    )


def _locked_mark(account_id: int) -> EntryRollupMark:
    EntryRollupMark.objects.bulk_create(
        [EntryRollupMark(account_id=account_id)], ignore_conflicts=True
    )
    return locks.lock_rollup_mark(account_id)


def _advance(mark: EntryRollupMark, now: datetime) -> int:
    # One statement, so one snapshot: the highest id it sees is the new mark, and no entry of
    # this account below it can still be uncommitted (ids are drawn under the account's lock,
    # deposits.models.rollups). No lock on the account: postings go on meanwhile.
    rows = _day_totals(
        Entry.objects.filter(account_id=mark.account_id, id__gt=mark.through_entry_id)
    )
    if not rows:
        return 0
    through = max(row["last"] for row in rows)
    EntryDayRollup.objects.bulk_create(
        EntryDayRollup(
            account_id=mark.account_id,
            day=row["day"],
            kind=row["kind"],
            posted_minor=row["posted"] or 0,
            debt_minor=row["debt"] or 0,
            credits_minor=row["credits"] or 0,
            debits_minor=row["debits"] or 0,
            transactions=row["n"],
            entries=row["entries"],
            through_entry_id=through,
            rolled_at=now,
        )
        for row in rows
    )
    mark.through_entry_id = through
    mark.rolled_at = now
    mark.save(update_fields=["through_entry_id", "rolled_at"])
    return len(rows)


def entry_rollup_advance(*, account_id: int, now: datetime) -> int:
    """Roll the account's entries above its mark; the number of rows written (0: up to date)."""
    with transaction.atomic(durable=True):
        return _advance(_locked_mark(account_id), now)


def entry_rollup_rebuild(*, account_id: int, now: datetime) -> int:
    """Forget the account's rollup and roll its whole ledger again, in one transaction (readers
    see the old rows or the new ones, never neither)."""
    with transaction.atomic(durable=True):
        mark = _locked_mark(account_id)
        EntryDayRollup.objects.filter(account_id=account_id).delete()
        mark.through_entry_id = 0
        return _advance(mark, now)


def entry_rollup_verify(*, account_id: int) -> list[str]:
    """The differences between the account's rollup and its entries up to the mark (empty: the
    rollup is exact). Reads in one transaction so both sides are of one moment's mark."""
    with transaction.atomic():
        mark = (
            EntryRollupMark.objects.filter(account_id=account_id)
            .values_list("through_entry_id", flat=True)
            .first()
        ) or 0
        live = {
            (row["day"], row["kind"]): (
                row["posted"] or 0,
                row["debt"] or 0,
                row["credits"] or 0,
                row["debits"] or 0,
                row["n"],
                row["entries"],
            )
            for row in _day_totals(Entry.objects.filter(account_id=account_id, id__lte=mark))
        }
        rolled = {
            (row["day"], row["kind"]): (
                row["posted"],
                row["debt"],
                row["credits"],
                row["debits"],
                row["n"],
                row["entries"],
            )
            for row in EntryDayRollup.objects.filter(account_id=account_id)
            .values("day", "kind")
            .annotate(
                posted=Sum("posted_minor"),
                debt=Sum("debt_minor"),
                credits=Sum("credits_minor"),
                debits=Sum("debits_minor"),
                n=Sum("transactions"),
                entries=Sum("entries"),
            )
            .order_by()
        }
    return [
        f"account {account_id} {day} {kind}: rollup {rolled.get((day, kind))}, "
        f"entries {live.get((day, kind))}"
        for day, kind in sorted(live.keys() | rolled.keys())
        if live.get((day, kind)) != rolled.get((day, kind))
    ]


def entry_rollups_due(*, dispatch: Callable[[list[int]], None]) -> int:
    """Find the deposit accounts with entries above their mark (one query: an index probe of
    entry_account_recent_idx per account) and hand them to `dispatch` in chunks; how many."""
    # Correlated on the entry's account (inside `newer`, an OuterRef names the entry).
    marks = EntryRollupMark.objects.filter(account_id=OuterRef("account_id")).values(
        "through_entry_id"
    )
    newer = Entry.objects.filter(
        account_id=OuterRef("pk"), id__gt=Coalesce(Subquery(marks), Value(0))
    )
    due = list(
        Account.objects.filter(kind=Account.Kind.DEPOSIT)
        .filter(Exists(newer))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(due), ROLLUP_CHUNK):
        dispatch(due[start : start + ROLLUP_CHUNK])
    return len(due)

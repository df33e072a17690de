"""The merchant's statement of one deposit: filtered ledger rows, each with the running balance,
and the period's totals (reads only).

The balance a statement shows is the deposit's net position: cash paid in less what the shop owes
the platform (the sum of every entry of the account, both buckets: a DEBT entry of −40 means the
shop owes 40 more). So opening + credits − debits = closing, to the fen, for an unfiltered period.

Rows are in ledger order, (occurred_at, id), oldest first as on a bank statement. The running
balance after a row is the balance of the whole deposit after it, whatever the kind, claim or
reference filters hide: a filter chooses which rows are listed, not what the balance was. It is
computed in the database: the balance before the first row listed (the ledger's day totals before
its day, deposits.models.rollups, plus the entries they do not hold yet and that day's entries
before the row), then one window sum over the rows between the first and the last listed
(entry_statement_idx, which includes the amount, serves it without reading the table). The
opening and closing balances are read the same way, so a page no longer reads every entry before
its period.

Every read of the ledger here goes to `statement_db()`: the read replica when one is configured
(common.replica), else the primary.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum

from common.replica import statement_db
from deposits.domain.references import CLAIM_REFERENCE_PREFIX, claim_public_id
from deposits.models import Account, Entry, TransactionKind, Withdrawal
from shops.models import Shop

# Statement dates are the merchant's calendar days (the dashboard shows China Standard Time).
STATEMENT_TZ = ZoneInfo("Asia/Shanghai")
# Rows read per round trip when a download streams the whole filtered statement.
EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class StatementFilter:
    """What the merchant asked for. Dates are inclusive calendar days in STATEMENT_TZ."""

    date_from: date | None = None
    date_to: date | None = None
    kind: str = ""
    claim: uuid.UUID | None = None
    reference: str = ""

    @property
    def start(self) -> datetime | None:
        if self.date_from is None:
            return None
        return datetime.combine(self.date_from, time.min, tzinfo=STATEMENT_TZ)

    @property
    def end(self) -> datetime | None:
        """Exclusive: the first moment after `date_to`."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=STATEMENT_TZ)

    @property
    def narrows_rows(self) -> bool:
        """Whether rows within the dates are left out (then credits − debits is not the change
        in balance)."""
        return bool(self.kind or self.claim or self.reference)

    def period_q(self) -> Q:
        q = Q()
        if self.start is not None:
            q &= Q(occurred_at__gte=self.start)
        if self.end is not None:
            q &= Q(occurred_at__lt=self.end)
        return q

    def rows_q(self, *, withdrawal_transactions: Collection[int] = ()) -> Q:
        """The rows listed. A reference search matches the entry's reference or, for a
        withdrawal, its payout reference: `withdrawal_transactions` are the transactions of the
        shop's withdrawals whose reference matches (`listed_q` looks them up)."""
        q = self.period_q()
        if self.kind:
            q &= Q(kind=self.kind)
        if self.claim is not None:
            q &= Q(reference=f"{CLAIM_REFERENCE_PREFIX}{self.claim}")
        if self.reference:
            # A substring, not a prefix: merchants search by the tail of an order number
            # ("0042" of "ORDER-20261101-0042") or a claim's number inside "claim:<id>", so a
            # prefix match would miss what they type. The trigram index on UPPER(reference)
            # (migration deposits 0025) serves icontains; the withdrawals (a handful per shop)
            # are matched beforehand, so that both sides of the OR are conditions on the
            # entries' own columns and PostgreSQL can combine two index scans, where an OR
            # across the join read every entry of the period (1.6 s for 100,000).
            q &= Q(reference__icontains=self.reference) | Q(
                transaction_id__in=list(withdrawal_transactions)
            )
        return q


@dataclass(frozen=True)
class StatementTotals:
    currency: str
    opening_minor: int  # the balance before the period's first moment
    credits_minor: int  # of the rows listed: money in (positive)
    debits_minor: int  # of the rows listed: money out, as a positive number
    closing_minor: int  # the balance after the period's last moment
    row_count: int

    @property
    def net_minor(self) -> int:
        return self.credits_minor - self.debits_minor


@dataclass
class StatementPage:
    totals: StatementTotals
    rows: list[Entry]
    number: int
    num_pages: int
    per_page: int
    # Set on each row too, as `running_minor`; kept here for tests and downloads.
    running: dict[int, int] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


def _entries() -> QuerySet[Entry]:
    return Entry.objects.using(statement_db())


def shop_with_account_for_member(merchant_id: int, public_id: uuid.UUID | str) -> Shop | None:
    """One of the merchant's shops with its deposit account joined (one query), or None: another
    merchant's shop is not found either."""
    return (
        Shop.objects.select_related("deposit_account")
        .filter(merchant_id=merchant_id, public_id=public_id)
        .first()
    )


def listed_q(account: Account, flt: StatementFilter) -> Q:
    """The filter's rows condition for this account; with a reference search, one small query
    first for the shop's withdrawals whose payout reference matches."""
    if not flt.reference:
        return flt.rows_q()
    matching = (
        Withdrawal.objects.using(statement_db())
        .filter(account=account, reference__icontains=flt.reference)
        .values_list("transaction_id", flat=True)
    )
    return flt.rows_q(withdrawal_transactions=list(matching))


def statement_rows(
    account: Account, flt: StatementFilter, *, listed: Q | None = None
) -> QuerySet[Entry]:
    """The rows the filter lists, oldest first, with what a row shows joined."""
    return (
        _entries()
        .filter(account=account)
        .filter(listed_q(account, flt) if listed is None else listed)
        .select_related("transaction__withdrawal")
        .order_by("occurred_at", "id")
    )


# The deposit's balance before a Shanghai midnight, without reading every entry before it: the
# ledger's day totals of the days before it (deposits.models.rollups) plus the entries the
# totals do not hold yet (above the rollup's mark; backdated ones included). One expression of
# scalar subqueries, so the totals, the mark and the entries are read in one snapshot: the
# totals are exactly the entries up to the mark in any snapshot (written in one transaction),
# and the rest are the entries above it.
_BALANCE_BEFORE_MIDNIGHT_SQL = """(
    COALESCE((SELECT SUM(r.posted_minor + r.debt_minor) FROM deposits_entrydayrollup r
              WHERE r.account_id = %s AND r.day < %s), 0)
    + COALESCE((SELECT SUM(e.amount_minor) FROM deposits_entry e
                WHERE e.account_id = %s AND e.occurred_at < %s
                  AND e.id > COALESCE((SELECT m.through_entry_id FROM deposits_entryrollupmark m
                                       WHERE m.account_id = %s), 0)), 0)
)"""
# Far enough to be after every entry: "all time" is the balance before it.
_END_OF_TIME = date(9999, 12, 30)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=STATEMENT_TZ)


def _balance_before_midnight(account: Account, day: date) -> tuple[str, list[object]]:
    """SQL and parameters: the balance before the first moment of `day` (Shanghai)."""
    connection = connections[statement_db()]
    moment = connection.ops.adapt_datetimefield_value(_midnight(day))
    return _BALANCE_BEFORE_MIDNIGHT_SQL, [
        account.pk,
        connection.ops.adapt_datefield_value(day),
        account.pk,
        moment,
        account.pk,
    ]


def balances_before(account: Account, days: list[date]) -> list[int]:
    """The deposit's balance before the first moment of each of `days`, in one query (reads
    the day totals, not the entries; see `_BALANCE_BEFORE_MIDNIGHT_SQL`). Sums of amounts, not
    the chain's stored `balance_after_minor`: that chain is in id order, and an entry posted
    late with an earlier moment (a backdated posting) would make a stored balance disagree
    with the dates the statement is cut by."""
    parts = [_balance_before_midnight(account, day) for day in days]
    sql = "SELECT " + ", ".join(part for part, _ in parts)
    with connections[statement_db()].cursor() as cursor:
        cursor.execute(sql, [param for _, params in parts for param in params])
        row = cursor.fetchone()
    return [int(value) for value in row]


def balance_before(account: Account, *, at: datetime) -> int:
    """The deposit's balance just before `at`, a Shanghai midnight (a statement's dates)."""
    local = at.astimezone(STATEMENT_TZ)
    assert local.time() == time.min, "balance_before takes the first moment of a day"
    return balances_before(account, [local.date()])[0]


# The listed rows' credits, debits and count for a statement cut only by dates and kind: the day
# totals of the period's days plus the period's entries above the rollup's mark, in one
# statement (one snapshot), as `_BALANCE_BEFORE_MIDNIGHT_SQL` reads the balances.
_PERIOD_TOTALS_SQL = """
SELECT COALESCE(r.credits, 0) + COALESCE(e.credits, 0),
       COALESCE(r.debits, 0) + COALESCE(e.debits, 0),
       COALESCE(r.n, 0) + COALESCE(e.n, 0)
FROM (SELECT SUM(credits_minor) AS credits, SUM(debits_minor) AS debits, SUM(entries) AS n
      FROM deposits_entrydayrollup WHERE account_id = %s AND day >= %s AND day <= %s {kind}) AS r,
     (SELECT SUM(CASE WHEN amount_minor > 0 THEN amount_minor END) AS credits,
             SUM(CASE WHEN amount_minor < 0 THEN amount_minor END) AS debits, COUNT(*) AS n
      FROM deposits_entry
      WHERE account_id = %s AND occurred_at >= %s AND occurred_at < %s {kind}
        AND id > COALESCE((SELECT through_entry_id FROM deposits_entryrollupmark
                           WHERE account_id = %s), 0)) AS e
"""
_START_OF_TIME = date(1, 1, 2)


def _period_totals(account: Account, flt: StatementFilter) -> tuple[int, int, int]:
    """Credits, debits (negative) and count of a statement cut by dates and kind only, from the
    day totals: no pass over the period's entries."""
    connection = connections[statement_db()]
    first = flt.date_from or _START_OF_TIME
    last = flt.date_to or _END_OF_TIME
    kind = "AND kind = %s" if flt.kind else ""
    kinds = [flt.kind] if flt.kind else []
    params = [account.pk, connection.ops.adapt_datefield_value(first)]
    params += [connection.ops.adapt_datefield_value(last), *kinds, account.pk]
    params += [connection.ops.adapt_datetimefield_value(_midnight(first))]
    params += [connection.ops.adapt_datetimefield_value(_midnight(last + timedelta(days=1)))]
    params += [*kinds, account.pk]
    with connection.cursor() as cursor:
        cursor.execute(_PERIOD_TOTALS_SQL.format(kind=kind), params)
        credits, debits, count = cursor.fetchone()
    return int(credits), int(debits), int(count)


def statement_totals(
    account: Account, flt: StatementFilter, *, listed: Q | None = None
) -> StatementTotals:
    """Opening and closing balances of the whole deposit (from the day totals, one query) and
    the listed rows' credits, debits and count: from the day totals too when only dates and a
    kind cut the rows, else one aggregate over the period's rows (two queries)."""
    if flt.claim is None and not flt.reference:
        credits, debits, count = _period_totals(account, flt)
    else:
        result = (
            _entries()
            .filter(account=account)
            .filter(listed_q(account, flt) if listed is None else listed)
            .aggregate(
                credits=Sum("amount_minor", filter=Q(amount_minor__gt=0)),
                debits=Sum("amount_minor", filter=Q(amount_minor__lt=0)),
                count=Count("id"),
            )
        )
        credits, debits, count = result["credits"] or 0, result["debits"] or 0, result["count"]
    end = flt.date_to + timedelta(days=1) if flt.date_to is not None else _END_OF_TIME
    if flt.date_from is not None:
        opening, closing = balances_before(account, [flt.date_from, end])
    else:
        opening, closing = 0, balances_before(account, [end])[0]
    return StatementTotals(
        currency=account.currency,
        opening_minor=opening,
        credits_minor=credits,
        debits_minor=-debits,
        closing_minor=closing,
        row_count=count,
    )


_RUNNING_SQL = """
SELECT id, running + {before} + (
    -- the first row's day before it, in ledger order
    SELECT COALESCE(SUM(amount_minor), 0) FROM deposits_entry
    WHERE account_id = %s AND occurred_at >= %s
      AND (occurred_at < %s OR (occurred_at = %s AND id < %s))
) FROM (
    SELECT id, SUM(amount_minor) OVER (ORDER BY occurred_at, id) AS running
    FROM deposits_entry
    WHERE account_id = %s
      AND (occurred_at > %s OR (occurred_at = %s AND id >= %s))
      AND (occurred_at < %s OR (occurred_at = %s AND id <= %s))
) AS span
WHERE id IN ({ids})
"""


def running_balances(account: Account, rows: list[Entry]) -> dict[int, int]:
    """The deposit's balance after each of `rows` (in ledger order), by entry id: one query
    whatever the number of rows or of entries between them (the balance before the first row
    is the balance before its day, from the day totals, plus its day's entries before it)."""
    if not rows:
        return {}
    first, last = rows[0], rows[-1]
    connection = connections[statement_db()]
    adapt = connection.ops.adapt_datetimefield_value
    first_at, last_at = adapt(first.occurred_at), adapt(last.occurred_at)
    first_day = first.occurred_at.astimezone(STATEMENT_TZ).date()
    before, before_params = _balance_before_midnight(account, first_day)
    ids = [row.pk for row in rows]
    sql = _RUNNING_SQL.format(before=before, ids=", ".join(["%s"] * len(ids)))
    params = [*before_params, account.pk, adapt(_midnight(first_day)), first_at, first_at]
    params += [first.pk, account.pk, first_at, first_at, first.pk, last_at, last_at, last.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids])
        return {entry_id: int(running) for entry_id, running in cursor.fetchall()}


def statement_page(
    account: Account, flt: StatementFilter, *, page: int, per_page: int
) -> StatementPage:
    """One page of the statement: totals (with the row count, so no separate COUNT), the page's
    rows and their running balances."""
    listed = listed_q(account, flt)
    totals = statement_totals(account, flt, listed=listed)
    num_pages = max(1, -(-totals.row_count // per_page))
    number = min(max(1, page), num_pages)
    offset = (number - 1) * per_page
    # The page's ids first, walking entry_statement_idx alone (a deep page skips 100,000 index
    # tuples in milliseconds, where skipping joined rows took over a second), then those rows.
    ids = list(
        _entries()
        .filter(account=account)
        .filter(listed)
        .order_by("occurred_at", "id")
        .values_list("id", flat=True)[offset : offset + per_page]
    )
    rows = list(statement_rows(account, StatementFilter()).filter(id__in=ids)) if ids else []
    running = running_balances(account, rows)
    for row in rows:
        row.running_minor = running[row.pk]  # type: ignore[attr-defined]
        row.claim_id = claim_of(row)  # type: ignore[attr-defined]
    return StatementPage(
        totals=totals,
        rows=rows,
        number=number,
        num_pages=num_pages,
        per_page=per_page,
        running=running,
    )


class StatementLine(NamedTuple):
    """One downloaded row: plain values, no model instance (building 100,000 Entry, transaction
    and withdrawal objects was most of a download's time)."""

    id: int
    occurred_at: datetime
    kind: str
    kind_label: str
    bucket: str
    bucket_label: str
    reason: str
    reference: str  # the withdrawal's reference for a withdrawal, else the entry's
    currency: str
    amount_minor: int
    balance_minor: int


def statement_stream(account: Account, flt: StatementFilter) -> Iterator[StatementLine]:
    """Every listed row with its running balance, for the downloads: one pass over the deposit's
    entries of the period in ledger order, read in chunks (never the whole table in memory), the
    balance carried from the balance before the period."""
    balance = balance_before(account, at=flt.start) if flt.start is not None else 0
    # Which rows the filters keep, by the very query the page lists (so a download holds exactly
    # the rows the page shows); their ids only, not the rows.
    listed = (
        set(
            statement_rows(account, flt)
            .values_list("id", flat=True)
            .iterator(chunk_size=EXPORT_CHUNK)
        )
        if flt.narrows_rows
        else None
    )
    # Labels translated once (get_FOO_display() hashes every lazy label on each call).
    kinds = {value: str(label) for value, label in TransactionKind.choices}
    buckets = {value: str(label) for value, label in Entry.Bucket.choices}
    period = (
        _entries()
        .filter(account=account)
        .filter(flt.period_q())
        .order_by("occurred_at", "id")
        .values_list(
            "id",
            "occurred_at",
            "kind",
            "bucket",
            "reason",
            "reference",
            "currency",
            "amount_minor",
            "transaction__withdrawal__reference",
        )
    )
    for row in period.iterator(chunk_size=EXPORT_CHUNK):
        entry_id, at, kind, bucket, reason, reference, currency, amount, withdrawal = row
        balance += amount
        if listed is None or entry_id in listed:
            yield StatementLine(
                id=entry_id,
                occurred_at=at,
                kind=kind,
                kind_label=kinds.get(kind, kind),
                bucket=bucket,
                bucket_label=buckets.get(bucket, bucket),
                reason=reason,
                reference=withdrawal or reference,
                currency=currency,
                amount_minor=amount,
                balance_minor=balance,
            )


def claim_of(entry: Entry) -> uuid.UUID | None:
    """The claim an entry was posted for ("claim:<public id>" references), or None."""
    return claim_public_id(entry.reference)


def kind_choices() -> list[tuple[str, str]]:
    """The kinds an entry of a deposit can have (hold placements post no entry)."""
    return [(value, label) for value, label in TransactionKind.choices if value != "HOLD"]


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, following - timedelta(days=1)

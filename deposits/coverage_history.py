"""Coverage over time: required vs cash vs guarantee (and holds, debt), day by day (reads only).

Each series is rebuilt from what is recorded, never from the account's cached columns alone:
- cash (posted) and debt: the ledger's entries, summed per calendar day on top of their sums
  before the window; read from the ledger's day totals (deposits.models.rollups) for the days
  before today, and from the entries for today and for what was posted since the last roll
  (`ledger_days`), with exactly the sums every entry would give (`ledger_days_live`);
- held: the holds' lives (created → resolved);
- guaranteed: the guarantees' lives (valid_from → the first of valid_to and ended_at);
- required: RequirementChange rows (deposits.models.history), recorded since migration 0015. A
  day before an account's first recorded change has no known requirement (None), and the page
  says so rather than drawing a guess.

Values are those at the end of each day in STATEMENT_TZ (for today: now).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    F,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from deposits.domain.coverage import shortfall_minor
from deposits.models import (
    Account,
    Entry,
    EntryDayRollup,
    EntryRollupMark,
    Guarantee,
    Hold,
    RequirementChange,
)
from deposits.statement import STATEMENT_TZ

PERIODS = (30, 90, 365)
# Entry kinds marked on the chart, and the mark's family.
TOP_UP_KINDS = {"TOP_UP", "RECOVERY_REPAYMENT"}
DEDUCTION_KINDS = {"DEDUCTION", "HOLD_CAPTURE", "FORFEIT"}


@dataclass(frozen=True)
class CoveragePoint:
    day: date
    required_minor: int | None
    posted_minor: int
    held_minor: int
    guaranteed_minor: int
    debt_minor: int

    @property
    def coverage_minor(self) -> int:
        """What stands behind the requirement: cash not held, plus guarantees (the coverage
        rule, deposits.domain.coverage)."""
        return self.posted_minor - self.held_minor + self.guaranteed_minor

    @property
    def shortfall_minor(self) -> int | None:
        if self.required_minor is None:
            return None
        return shortfall_minor(
            required_minor=self.required_minor,
            posted_minor=self.posted_minor,
            held_minor=self.held_minor,
            guaranteed_minor=self.guaranteed_minor,
            debt_minor=self.debt_minor,
        )


@dataclass(frozen=True)
class CoverageEvent:
    day: date
    family: str  # top_up, deduction, requirement, guarantee_start, guarantee_end
    kind: str  # the entry kind, or the family for non-ledger events
    count: int
    amount_minor: int  # signed for ledger events; the new amount for a requirement change
    previous_minor: int | None = None


@dataclass
class CoverageHistory:
    currency: str
    days: int
    points: list[CoveragePoint]
    events: list[CoverageEvent] = field(default_factory=list)
    # The first day with a recorded requirement, None when there is none in the window.
    requirement_known_from: date | None = None
    # Whether the first recorded requirement is the backfilled one (what came before it is not
    # known), rather than the account's opening (before which there was no deposit).
    requirement_backfilled: bool = False


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=STATEMENT_TZ)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(STATEMENT_TZ).date()


@dataclass
class LedgerDays:
    """What the entries say about a window: the sums before its first day, each day's sums in
    it, and the day's top-ups and deductions by kind (postings, amount)."""

    posted_before: int = 0
    debt_before: int = 0
    posted_delta: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    debt_delta: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    moves: dict[tuple[date, str], tuple[int, int]] = field(default_factory=dict)

    def add(
        self, day: date | None, kind: str, posted: int | None, debt: int | None, n: int
    ) -> None:
        """One group of entries (one day and kind; day None: before the window)."""
        if day is None:
            self.posted_before += posted or 0
            self.debt_before += debt or 0
            return
        self.posted_delta[day] += posted or 0
        self.debt_delta[day] += debt or 0
        if kind in TOP_UP_KINDS | DEDUCTION_KINDS:
            count, total = self.moves.get((day, kind), (0, 0))
            self.moves[(day, kind)] = (count + n, total + (posted or 0) + (debt or 0))


def _day_sums(entries: QuerySet[Entry]) -> QuerySet[Entry, dict[str, Any]]:
    return (
        entries.annotate(day=TruncDate("occurred_at", tzinfo=STATEMENT_TZ))
        .values("day", "kind")
        .annotate(
            posted=Sum("amount_minor", filter=Q(bucket=Entry.Bucket.POSTED)),
            debt=Sum("amount_minor", filter=Q(bucket=Entry.Bucket.DEBT)),
            # A deduction beyond the deposit is two entries (deposit and debt): one event.
            n=Count("transaction_id", distinct=True),
        )
        .order_by()
    )


def ledger_days_live(account: Account, *, first_day: date, now: datetime) -> LedgerDays:
    """Every entry of the account up to `now`, grouped here (two queries: the sums before the
    window, then the window's entries per day and kind). Linear in the entries of the window:
    the reference the rollup-backed reading must equal (tests, `rollup_entries --verify`)."""
    start = datetime.combine(first_day, time.min, tzinfo=STATEMENT_TZ)
    entries = Entry.objects.filter(account=account)
    result = LedgerDays()
    before = entries.filter(occurred_at__lt=start).aggregate(
        posted=Sum("amount_minor", filter=Q(bucket=Entry.Bucket.POSTED)),
        debt=Sum("amount_minor", filter=Q(bucket=Entry.Bucket.DEBT)),
    )
    result.add(None, "", before["posted"], before["debt"], 0)
    for row in _day_sums(entries.filter(occurred_at__gte=start, occurred_at__lte=now)):
        result.add(row["day"], row["kind"], row["posted"], row["debt"], row["n"])
    return result


def ledger_days(account: Account, *, first_day: date, now: datetime) -> LedgerDays:
    """The same as `ledger_days_live`, from the day totals (deposits.models.rollups) for the
    days before today, and from the entries only for what those do not hold: today up to `now`,
    and the entries above the rollup's mark (posted since the last roll, backdated ones too).
    Two queries whatever the length of the ledger, as before.

    The day totals are read with the mark in one statement (one snapshot, in which the rows are
    exactly the entries up to that mark: both are written in one transaction), and the entries
    above that mark read next: complementary sets, whatever roll commits in between, since
    entries are never changed or deleted. No rows: nothing before today was rolled in that
    snapshot, and every entry before today is read (mark 0)."""
    today = _local_day(now)
    today_start = datetime.combine(today, time.min, tzinfo=STATEMENT_TZ)
    mark_of_account = Subquery(
        EntryRollupMark.objects.filter(account=account).values("through_entry_id")[:1]
    )
    rolled = list(
        EntryDayRollup.objects.filter(account=account, day__lt=today)
        .annotate(
            # The days before the window are summed into one group (day NULL).
            in_window=Case(
                When(day__lt=first_day, then=Value(None)),
                default=F("day"),
                output_field=DateField(),
            ),
            of_kind=Case(
                When(day__lt=first_day, then=Value("")),
                default=F("kind"),
                output_field=CharField(),
            ),
            mark=mark_of_account,
        )
        .values("in_window", "of_kind", "mark")
        .annotate(posted=Sum("posted_minor"), debt=Sum("debt_minor"), n=Sum("transactions"))
        .order_by()
        .values_list("in_window", "of_kind", "posted", "debt", "n", "mark")
    )
    mark = rolled[0][5] if rolled else 0
    result = LedgerDays()
    for day, kind, posted, debt, n, _ in rolled:
        result.add(day, kind, posted, debt, n)
    not_rolled = _day_sums(
        Entry.objects.filter(account=account).filter(
            Q(occurred_at__gte=today_start, occurred_at__lte=now)
            | Q(occurred_at__lt=today_start, id__gt=mark)
        )
    )
    for row in not_rolled:
        day = row["day"]
        result.add(
            None if day < first_day else day, row["kind"], row["posted"], row["debt"], row["n"]
        )
    return result


def coverage_history(
    account: Account, *, days: int, now: datetime, rolled_up: bool = True
) -> CoverageHistory:
    """The last `days` days up to today, one point a day (five queries; `rolled_up=False` reads
    every entry of the window instead of the day totals, for comparison)."""
    today = _local_day(now)
    first_day = today - timedelta(days=days - 1)
    start = datetime.combine(first_day, time.min, tzinfo=STATEMENT_TZ)
    read = ledger_days if rolled_up else ledger_days_live
    ledger = read(account, first_day=first_day, now=now)
    posted_delta, debt_delta, moves = ledger.posted_delta, ledger.debt_delta, ledger.moves

    held_delta = _lives(
        Hold.objects.filter(account=account, created_at__lte=now)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        .values_list("amount_minor", "created_at", "resolved_at"),
        first_day,
    )
    guarantees = list(
        Guarantee.objects.filter(account=account, valid_from__lte=now).values_list(
            "amount_minor", "valid_from", "valid_to", "ended_at"
        )
    )
    guarantee_spans = [
        (amount, valid_from, min((m for m in (valid_to, ended_at) if m is not None), default=None))
        for amount, valid_from, valid_to, ended_at in guarantees
    ]
    guaranteed_delta = _lives(
        [(a, f, e) for a, f, e in guarantee_spans if e is None or e >= start], first_day
    )
    changes = list(
        RequirementChange.objects.filter(account=account, changed_at__lte=now).order_by(
            "changed_at", "id"
        )
    )

    points = []
    posted = ledger.posted_before
    debt = -ledger.debt_before
    held = held_delta.pop(None, 0)
    guaranteed = guaranteed_delta.pop(None, 0)
    change_index = 0
    required: int | None = None
    known_from: date | None = None
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        posted += posted_delta.get(day, 0)
        debt -= debt_delta.get(day, 0)
        held += held_delta.get(day, 0)
        guaranteed += guaranteed_delta.get(day, 0)
        end = _end_of(day)
        while change_index < len(changes) and changes[change_index].changed_at < end:
            required = changes[change_index].required_minor
            change_index += 1
        if required is not None and known_from is None:
            known_from = day
        points.append(
            CoveragePoint(
                day=day,
                required_minor=required,
                posted_minor=posted,
                held_minor=held,
                guaranteed_minor=guaranteed,
                debt_minor=debt,
            )
        )

    events = [
        CoverageEvent(
            day=day,
            family="top_up" if kind in TOP_UP_KINDS else "deduction",
            kind=kind,
            count=n,
            amount_minor=total,
        )
        for (day, kind), (n, total) in moves.items()
    ]
    events += [
        CoverageEvent(
            day=_local_day(c.changed_at),
            family="requirement",
            kind="requirement",
            count=1,
            amount_minor=c.required_minor,
            previous_minor=c.previous_minor,
        )
        for c in changes
        if c.changed_at >= start
    ]
    for amount, valid_from, ends in guarantee_spans:
        if valid_from >= start:
            events.append(
                CoverageEvent(_local_day(valid_from), "guarantee_start", "guarantee", 1, amount)
            )
        if ends is not None and start <= ends <= now:
            events.append(CoverageEvent(_local_day(ends), "guarantee_end", "guarantee", 1, amount))
    events.sort(key=lambda e: (e.day, e.family, e.kind))
    return CoverageHistory(
        currency=account.currency,
        days=days,
        points=points,
        events=events,
        requirement_known_from=known_from,
        requirement_backfilled=bool(changes) and changes[0].previous_minor is None,
    )


def _lives(
    spans: Iterable[tuple[int, datetime, datetime | None]], first_day: date
) -> dict[date | None, int]:
    """Daily changes of a sum of amounts that each count from one moment until another (or for
    good): {day: delta}, with key None for what already counts before `first_day`. An amount
    counts at the end of a day when it started on or before it and had not ended by then."""
    delta: dict[date | None, int] = defaultdict(int)
    for amount, since, until in spans:
        start_day = _local_day(since)
        key = None if start_day < first_day else start_day
        delta[key] += amount
        if until is not None:
            end_day = _local_day(until)
            if end_day < first_day:
                delta[None] -= amount
            else:
                delta[end_day] -= amount
    return delta

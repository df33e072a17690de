"""The overview's daily totals (deposits.models.snapshots): today's row taken from the cached
balances, and the days before snapshots existed derived once from the ledger and the cases."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from deposits.models import Account, DailyDepositSnapshot, Entry, ShortfallCase
from deposits.selectors import (
    SHOP_STATE_COLUMNS,
    deposit_totals_by_currency,
    open_shortfalls_by_currency,
    shop_states_by_currency,
)

HISTORY_DAYS = 90


def daily_snapshot_take(*, now: datetime) -> int:
    """Write (or rewrite) today's row per currency from the book and the shops as they stand:
    four grouped reads and one upsert per currency. Run every 5 minutes by beat, so the
    overview's totals are at most that old and the day's last run is its close."""
    day = timezone.localdate(now)
    totals = {t.currency: t for t in deposit_totals_by_currency()}
    shortfalls = open_shortfalls_by_currency()
    shops = shop_states_by_currency()
    currencies = totals.keys() | shortfalls.keys() | shops.keys()
    for currency in sorted(currencies):
        book = totals.get(currency)
        cases, short_minor = shortfalls.get(currency, (0, 0))
        standing = shops.get(currency, {})
        DailyDepositSnapshot.objects.update_or_create(
            day=day,
            currency=currency,
            defaults={
                "posted_minor": book.posted_minor if book else 0,
                "held_minor": book.held_minor if book else 0,
                "debt_minor": book.debt_minor if book else 0,
                "guaranteed_minor": book.guaranteed_minor if book else 0,
                "shortfalls_open": cases,
                "shortfall_minor": short_minor,
                **{
                    column: standing.get(column, 0)
                    for column in [*SHOP_STATE_COLUMNS.values(), "shops_closing"]
                },
                "derived": False,
                "taken_at": now,
            },
        )
    return len(currencies)


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def daily_snapshots_backfill(*, now: datetime, days: int = HISTORY_DAYS) -> int:
    """Derive the missing days of the last `days` from the ledger and the shortfall cases, so the
    charts have a history from the first day. Cash and debt are exact (today's balances minus the
    entries after each day's end); open shortfalls are counted exactly, their amount is what each
    case was short when it opened (a case's amount on a past day is not recorded); holds and
    guarantees stay 0 (marked `derived`). Three grouped reads, whatever the number of shops.
    Existing rows are never overwritten; once every day has one, this is one cheap COUNT."""
    today = timezone.localdate(now)
    first = today - timedelta(days=days)
    window = DailyDepositSnapshot.objects.filter(day__gte=first, day__lt=today)
    if window.values("day").distinct().count() >= days:
        return 0
    since = _day_end(first - timedelta(days=1))
    tz = timezone.get_current_timezone()

    # What each day's entries moved, per currency and bucket (sums, not rows).
    moved: dict[tuple[str, date], dict[str, int]] = defaultdict(lambda: {"POSTED": 0, "DEBT": 0})
    for row in (
        Entry.objects.filter(account__kind=Account.Kind.DEPOSIT, occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at", tzinfo=tz))
        .values("currency", "day", "bucket")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    ):
        moved[(row["currency"], row["day"])][row["bucket"]] += row["total"]

    # Cases opened and resolved per day, and the amounts they opened with.
    opened: dict[tuple[str, date], tuple[int, int]] = {}
    for row in (
        ShortfallCase.objects.filter(opened_at__gte=since)
        .annotate(day=TruncDate("opened_at", tzinfo=tz))
        .values("currency", "day")
        .annotate(cases=Count("id"), amount=Sum("amount_at_open_minor"))
        .order_by()
    ):
        opened[(row["currency"], row["day"])] = (row["cases"], row["amount"] or 0)
    resolved: dict[tuple[str, date], tuple[int, int]] = {}
    for row in (
        ShortfallCase.objects.filter(resolved_at__gte=since)
        .annotate(day=TruncDate("resolved_at", tzinfo=tz))
        .values("currency", "day")
        .annotate(cases=Count("id"), amount=Sum("amount_at_open_minor"))
        .order_by()
    ):
        resolved[(row["currency"], row["day"])] = (row["cases"], row["amount"] or 0)

    totals = {t.currency: t for t in deposit_totals_by_currency()}
    shortfalls = open_shortfalls_by_currency()
    currencies = sorted(totals.keys() | shortfalls.keys() | {c for c, _ in moved})
    existing = set(
        DailyDepositSnapshot.objects.filter(day__gte=first).values_list("day", "currency")
    )
    rows = []
    for currency in currencies:
        book = totals.get(currency)
        posted = book.posted_minor if book else 0
        debt = book.debt_minor if book else 0
        cases, short_minor = shortfalls.get(currency, (0, 0))
        # Walk back from today: a day's close is the next day's close minus the next day's moves.
        day = today
        while day > first:
            step = moved.get((currency, day), {"POSTED": 0, "DEBT": 0})
            posted -= step["POSTED"]
            debt += step["DEBT"]  # a DEBT entry of −40 made the debt 40 larger
            opened_cases, opened_minor = opened.get((currency, day), (0, 0))
            resolved_cases, resolved_minor = resolved.get((currency, day), (0, 0))
            cases += resolved_cases - opened_cases
            short_minor += resolved_minor - opened_minor
            day -= timedelta(days=1)
            if (day, currency) not in existing:
                rows.append(
                    DailyDepositSnapshot(
                        day=day,
                        currency=currency,
                        posted_minor=max(0, posted),
                        debt_minor=max(0, debt),
                        shortfalls_open=max(0, cases),
                        shortfall_minor=max(0, short_minor),
                        derived=True,
                        taken_at=now,
                    )
                )
    with transaction.atomic():
        DailyDepositSnapshot.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


__all__ = ["HISTORY_DAYS", "daily_snapshot_take", "daily_snapshots_backfill"]

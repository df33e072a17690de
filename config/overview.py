"""Reads for the ops overview (the admin's home page, config/dashboard.py): the state of the
business on one page, each section read only for a user who may open the list behind it.

Everything is aggregated in PostgreSQL, never one row per shop in Python. Totals over every
account or every shop (money held, shops by state) are read from today's row of the deposit
snapshot (deposits.models.snapshots, rewritten every 5 minutes by beat), because a live total is
a full scan of a million rows: 0.8-1 s each on the benchmark's busy server against 300 ms for
the whole page (bench/overview_bench.py, docs/benchmarks.md); the page says when they were
taken. Bounded sets are read live, each one or two grouped queries over an index: open
shortfall cases, the claims queue, four-eyes requests, undelivered webhooks. Lives in
config because it spans every app (config may import them all); the rules a figure shares with
the list it links to (age buckets, deadline buckets, "waiting for me", a failed attempt) are
defined once in the owning app's selectors and used by both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Min, Q, Subquery, Sum
from django.utils import timezone

from approvals import selectors as approval_selectors
from claims import ops_selectors as claim_queue
from claims.models import Claim, ClaimStatus
from deposits import selectors as deposit_selectors
from deposits.models import DailyDepositSnapshot, ShortfallCase
from insurance.models import Policy, PolicyStatus, Recovery, RecoveryStatus
from insurance.models.advances import OUTSTANDING_STATUSES
from partners.models import Delivery, DeliveryAttempt
from partners.selectors import FAILED_ATTEMPT

# Claims still moving: counted by status (closed, settled and withdrawn ones are history).
OPEN_CLAIM_STATUSES = (
    ClaimStatus.NEGOTIATING,
    ClaimStatus.IN_REVIEW,
    ClaimStatus.APPEALED,
    ClaimStatus.DECIDED,
)
HISTORY_DAYS = 90
# Totals older than this are flagged: the snapshot task (every 5 minutes) has stopped running.
TOTALS_LATE_AFTER = timedelta(minutes=15)
# The shop states the overview counts, by the snapshot's column. "Closing": the exit is confirmed
# (CLOSED) but the deposit still holds money (the refund waits out its delay, or a hold is open);
# a closed shop whose deposit has left is history, not work.
SHOP_COLUMNS = {
    "ACTIVE": "shops_live",
    "ONBOARDING": "shops_onboarding",
    "RESTRICTED": "shops_restricted",
    "FROZEN": "shops_frozen",
    "CLOSING": "shops_closing",
}

# Who sees which section: the permission to open the list behind its figures.
PERMISSIONS = {
    "money": "deposits.view_account",
    "shops": "shops.view_shop",
    "shortfalls": "deposits.view_shortfallcase",
    "claims": "claims.view_claim",
    "insurers": "insurance.view_policy",
    "outbox": "partners.view_delivery",
    # The charts: cash held (the accounts' figure) and open shortfalls, from the daily snapshot.
    "history": "deposits.view_account",
}


@dataclass(frozen=True)
class MoneyHeld:
    currency: str
    posted_minor: int
    guaranteed_minor: int
    held_minor: int
    debt_minor: int


@dataclass(frozen=True)
class ShortfallAges:
    total: int
    by_age: dict[str, int]  # deposits.selectors.SHORTFALL_AGE_BUCKETS
    amount_by_currency: dict[str, int]


@dataclass(frozen=True)
class ClaimFigures:
    by_status: dict[str, int]  # OPEN_CLAIM_STATUSES
    by_due: dict[str, int]  # claims.ops_selectors.DUE_BUCKETS, overdue first


@dataclass(frozen=True)
class InsurerExposure:
    insurer_id: int
    insurer: str
    currency: str
    policies: int
    limits_minor: int
    outstanding_minor: int
    overdue: int
    overdue_minor: int

    @property
    def limit_left_minor(self) -> int:
        return max(0, self.limits_minor - self.outstanding_minor)


@dataclass(frozen=True)
class WaitingRequests:
    """Four-eyes requests this user could approve now (every kind: adjustments, forfeitures,
    unfreezes, overrides, rule changes, partner keys, claim decisions): how many, and when the
    oldest was made."""

    count: int
    oldest_made_at: datetime | None

    @property
    def total(self) -> int:
        return self.count


@dataclass(frozen=True)
class OutboxHealth:
    pending: int
    oldest_pending_at: datetime | None
    failed_24h: int


@dataclass(frozen=True)
class DayTotals:
    day: date
    currency: str
    posted_minor: int
    shortfalls_open: int
    shortfall_minor: int


@dataclass
class Overview:
    now: datetime
    money: list[MoneyHeld] | None = None
    shops: dict[str, int] | None = None
    totals_taken_at: datetime | None = None
    shortfalls: ShortfallAges | None = None
    claims: ClaimFigures | None = None
    insurers: list[InsurerExposure] | None = None
    waiting: WaitingRequests | None = None
    outbox: OutboxHealth | None = None
    history: list[DayTotals] | None = None
    sections: set[str] = field(default_factory=set)

    @property
    def totals_late(self) -> bool:
        return self.totals_taken_at is None or self.now - self.totals_taken_at > TOTALS_LATE_AFTER


def may_see(user: Any) -> set[str]:
    """The sections this user may see: those whose list they may open (auditors read them all;
    a user without `deposits.view_account` sees no money figure). "Waiting for me" is for
    whoever may open the four-eyes list it links to; it is empty for one who may approve
    nothing."""
    sections = {name for name, perm in PERMISSIONS.items() if user.has_perm(perm)}
    if user.has_perm("approvals.view_foureyesrequest"):
        sections.add("waiting")
    return sections


def ops_overview(user: Any, *, now: datetime) -> Overview:
    sections = may_see(user)
    overview = Overview(now=now, sections=sections)
    if sections & {"money", "shops"}:
        rows = latest_totals()
        overview.totals_taken_at = min((row.taken_at for row in rows), default=None)
        if "money" in sections:
            overview.money = [
                MoneyHeld(
                    currency=row.currency,
                    posted_minor=row.posted_minor,
                    guaranteed_minor=row.guaranteed_minor,
                    held_minor=row.held_minor,
                    debt_minor=row.debt_minor,
                )
                for row in rows
            ]
        if "shops" in sections:
            overview.shops = {
                state: sum(getattr(row, column) for row in rows)
                for state, column in SHOP_COLUMNS.items()
            }
    if "shortfalls" in sections:
        overview.shortfalls = shortfalls_by_age(now=now)
    if "claims" in sections:
        overview.claims = claims_by_status_and_due(now=now)
    if "insurers" in sections:
        overview.insurers = insurer_exposure(now=now)
    overview.waiting = requests_waiting_for(user, now=now)
    if "outbox" in sections:
        overview.outbox = outbox_health(now=now)
    if "history" in sections:
        overview.history = daily_history(now=now)
    return overview


def latest_totals() -> list[DailyDepositSnapshot]:
    """The last snapshot taken (today's, unless beat has stopped), one row per currency: one
    query on the (day, currency) unique index. Derived rows (backfilled days) have no shops."""
    taken = DailyDepositSnapshot.objects.filter(derived=False)
    latest_day = taken.order_by("-day").values("day")[:1]
    return list(taken.filter(day=Subquery(latest_day)).order_by("currency"))


def shortfalls_by_age(*, now: datetime) -> ShortfallAges:
    buckets = deposit_selectors.SHORTFALL_AGE_BUCKETS
    rows = (
        ShortfallCase.objects.filter(status=ShortfallCase.Status.OPEN)
        .values("currency")
        .annotate(
            cases=Count("id"),
            amount=Sum("amount_minor"),
            **{
                f"age_{b}": Count("id", filter=deposit_selectors.shortfall_age_filter(b, now=now))
                for b in buckets
            },
        )
        .order_by("currency")
    )
    by_age = dict.fromkeys(buckets, 0)
    amounts: dict[str, int] = {}
    total = 0
    for row in rows:  # one row per currency
        total += row["cases"]
        amounts[row["currency"]] = row["amount"] or 0
        for b in buckets:
            by_age[b] += row[f"age_{b}"]
    return ShortfallAges(total=total, by_age=by_age, amount_by_currency=amounts)


def claims_by_status_and_due(*, now: datetime) -> ClaimFigures:
    """One aggregate over the claims still moving (claim_open_status_idx): how many in each
    state, and the queue's (in review, appealed) by time to its deadline."""
    in_queue = Q(status__in=claim_queue.QUEUE_STATUSES)
    row = (
        Claim.objects.filter(status__in=OPEN_CLAIM_STATUSES)
        .annotate(queue_due=claim_queue.queue_due_expression())
        .aggregate(
            **{f"status_{s}": Count("id", filter=Q(status=s)) for s in OPEN_CLAIM_STATUSES},
            **{
                f"due_{bucket}": Count(
                    "id", filter=in_queue & claim_queue.due_bucket_filter(bucket, now=now)
                )
                for bucket in claim_queue.DUE_BUCKETS
            },
        )
    )
    return ClaimFigures(
        by_status={str(s): row[f"status_{s}"] or 0 for s in OPEN_CLAIM_STATUSES},
        by_due={bucket: row[f"due_{bucket}"] or 0 for bucket in claim_queue.DUE_BUCKETS},
    )


def insurer_exposure(*, now: datetime) -> list[InsurerExposure]:
    """Per insurer and currency: active policies' limits, advances not yet recovered, and the
    recoveries past due (marked OVERDUE, or past `due_at` before the scan marks them)."""
    limits = {
        (row["insurer_id"], row["currency"]): row
        for row in Policy.objects.filter(status=PolicyStatus.ACTIVE)
        .values("insurer_id", "insurer__name", "currency")
        .annotate(policies=Count("id"), limits=Sum("coverage_minor"))
        .order_by()
    }
    overdue = Q(status=RecoveryStatus.OVERDUE) | Q(due_at__lt=now)
    recoveries = {
        (row["policy__insurer_id"], row["currency"]): row
        for row in Recovery.objects.filter(status__in=OUTSTANDING_STATUSES)
        .values("policy__insurer_id", "policy__insurer__name", "currency")
        .annotate(
            outstanding=Sum("outstanding_minor"),
            overdue=Count("id", filter=overdue),
            overdue_minor=Sum("outstanding_minor", filter=overdue),
        )
        .order_by()
    }
    exposure = []
    for key in sorted(limits.keys() | recoveries.keys(), key=lambda k: (str(k[1]), k[0])):
        policy_row = limits.get(key, {})
        recovery_row = recoveries.get(key, {})
        exposure.append(
            InsurerExposure(
                insurer_id=key[0],
                insurer=policy_row.get("insurer__name") or recovery_row["policy__insurer__name"],
                currency=key[1],
                policies=policy_row.get("policies", 0),
                limits_minor=policy_row.get("limits") or 0,
                outstanding_minor=recovery_row.get("outstanding") or 0,
                overdue=recovery_row.get("overdue", 0),
                overdue_minor=recovery_row.get("overdue_minor") or 0,
            )
        )
    return exposure


def requests_waiting_for(user: Any, *, now: datetime) -> WaitingRequests:
    """Four-eyes requests this user could approve now: the one mechanism's own selector
    (approvals.selectors.requests_waiting_for), which the four-eyes list's "waiting for me"
    filter also uses, so the figure and the list it links to agree."""
    row = approval_selectors.requests_waiting_for(user, now=now).aggregate(
        n=Count("id"), oldest=Min("made_at")
    )
    return WaitingRequests(count=row["n"], oldest_made_at=row["oldest"])


def outbox_health(*, now: datetime) -> OutboxHealth:
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING).aggregate(
        n=Count("id"), oldest=Min("created_at")
    )
    failed = DeliveryAttempt.objects.filter(
        FAILED_ATTEMPT, attempted_at__gte=now - timedelta(hours=24)
    ).count()
    return OutboxHealth(
        pending=pending["n"], oldest_pending_at=pending["oldest"], failed_24h=failed
    )


def daily_history(*, now: datetime, days: int = HISTORY_DAYS) -> list[DayTotals]:
    """The last `days` of the daily snapshot (deposits.models.snapshots), oldest first."""
    since = timezone.localdate(now) - timedelta(days=days)
    return [
        DayTotals(
            day=row["day"],
            currency=row["currency"],
            posted_minor=row["posted_minor"],
            shortfalls_open=row["shortfalls_open"],
            shortfall_minor=row["shortfall_minor"],
        )
        for row in DailyDepositSnapshot.objects.filter(day__gt=since)
        .order_by("day", "currency")
        .values("day", "currency", "posted_minor", "shortfalls_open", "shortfall_minor")
    ]

"""What each claim deadline does when it passes (domain.md §6.1 "Flow and deadlines"). Pure: no
database, no clock; the caller passes the claim's fields and `now`.

- NEGOTIATING past `respond_by`: the merchant did not answer, the platform intervenes
  (ESCALATE), except a LATE_SHIPMENT claim whose order data prove the lateness (not shipped
  within 48 hours of payment): the rule decides it UPHELD (AUTO_DECIDE).
- IN_REVIEW past both evidence windows: the evidence is closed, once (CLOSE_EVIDENCE); the claim
  waits for ops. Past `decide_by` it is overdue in the ops queue: no transition, nothing to do.
- DECIDED past `appeal_by`: the appeal window is over (CLOSE_UNAPPEALED, the money slice's
  `claim_close_unappealed`).

`next_deadline_at` is the moment the scan next has something to do for a claim (None: nothing
ever again, or nothing until someone acts); the Claim model keeps it in its own column so the
scan is one indexed range read.

Working days are Monday to Friday in Asia/Shanghai (public holidays are not modelled: a review
target falling on one is a day early, which errs towards the consumer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

MARKET_TZ = ZoneInfo("Asia/Shanghai")

# The merchant's first answer, each side's evidence window, the review target and the appeal.
RESPOND_WITHIN = timedelta(hours=48)
EVIDENCE_WINDOW = timedelta(days=3)
DECIDE_WORKING_DAYS = 4
APPEAL_WINDOW = timedelta(days=15)
# Late shipment: not shipped within this long after payment (domain.md §6 table).
SHIP_WITHIN = timedelta(hours=48)

LATE_SHIPMENT = "LATE_SHIPMENT"

NEGOTIATING = "NEGOTIATING"
IN_REVIEW = "IN_REVIEW"
DECIDED = "DECIDED"
APPEALED = "APPEALED"

# What passes.
NOTHING = "NOTHING"
ESCALATE = "ESCALATE"
AUTO_DECIDE = "AUTO_DECIDE"
CLOSE_EVIDENCE = "CLOSE_EVIDENCE"
CLOSE_UNAPPEALED = "CLOSE_UNAPPEALED"

# Whose move the current deadline waits for.
MERCHANT = "MERCHANT"
BOTH = "BOTH"
PLATFORM = "PLATFORM"


@dataclass(frozen=True)
class DeadlineState:
    """The fields of a claim the rules read."""

    status: str
    reason: str
    order_paid_at: datetime
    order_shipped_at: datetime | None
    respond_by: datetime | None = None
    consumer_evidence_by: datetime | None = None
    merchant_evidence_by: datetime | None = None
    evidence_closed_at: datetime | None = None
    decide_by: datetime | None = None
    appeal_by: datetime | None = None


@dataclass(frozen=True)
class Deadline:
    """The claim's current deadline as people read it."""

    kind: str  # respond | evidence | decide | appeal
    at: datetime
    party: str
    consequence_en: str
    consequence_zh: str
    overdue: bool


def add_working_days(start: datetime, days: int) -> datetime:
    """`days` working days (Mon–Fri, Asia/Shanghai) after `start`, at the same local time of day.
    A start on a Saturday or Sunday counts from the following Monday 00:00 local. Returns an
    aware datetime in Asia/Shanghai."""
    local = start.astimezone(MARKET_TZ)
    if local.weekday() >= 5:
        local = (local + timedelta(days=7 - local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    remaining = days
    while remaining > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            remaining -= 1
    return local


def evidence_closes_at(state: DeadlineState) -> datetime | None:
    windows = [w for w in (state.consumer_evidence_by, state.merchant_evidence_by) if w]
    return max(windows) if windows else None


def decide_by_after(evidence_closes: datetime) -> datetime:
    """The review target: 4 working days after the last evidence window closes."""
    return add_working_days(evidence_closes, DECIDE_WORKING_DAYS)


def lateness_proven(state: DeadlineState, *, now: datetime) -> bool:
    """The order data prove a late shipment: shipped more than 48 hours after payment, or not
    shipped at all and 48 hours have passed."""
    ship_by = state.order_paid_at + SHIP_WITHIN
    if state.order_shipped_at is None:
        return now > ship_by
    return state.order_shipped_at > ship_by


def _evidence_open(state: DeadlineState) -> datetime | None:
    """When the evidence closes, if it has not been closed since the last window was set (a
    request for more material or new consumer evidence reopens it)."""
    closes = evidence_closes_at(state)
    if closes is None:
        return None
    if state.evidence_closed_at is not None and state.evidence_closed_at >= closes:
        return None
    return closes


def next_deadline_at(state: DeadlineState) -> datetime | None:
    """When the scan next has something to do for this claim; None when nothing is scheduled."""
    if state.status == NEGOTIATING:
        return state.respond_by
    if state.status == IN_REVIEW:
        return _evidence_open(state)
    if state.status == DECIDED:
        return state.appeal_by
    return None


def due_action(state: DeadlineState, *, now: datetime) -> str:
    """What the scan does for the claim at `now` (NOTHING one second before its deadline)."""
    if state.status == NEGOTIATING and state.respond_by and now >= state.respond_by:
        if state.reason == LATE_SHIPMENT and lateness_proven(state, now=now):
            return AUTO_DECIDE
        return ESCALATE
    if state.status == IN_REVIEW:
        closes = _evidence_open(state)
        if closes is not None and now >= closes:
            return CLOSE_EVIDENCE
    if state.status == DECIDED and state.appeal_by and now >= state.appeal_by:
        return CLOSE_UNAPPEALED
    return NOTHING


def current_deadline(state: DeadlineState, *, now: datetime) -> Deadline | None:
    """The deadline people should look at now: whose move it is and what happens when it passes.
    None when no deadline runs (settled, withdrawn, appealed, closed)."""
    if state.status == NEGOTIATING and state.respond_by:
        if state.reason == LATE_SHIPMENT:
            en = (
                "If the merchant neither settles nor contests by then, the platform intervenes; "
                "a late shipment the order data prove is decided by the rule automatically."
            )
            zh = "商家须在此前和解或提出异议,否则平台介入;订单数据证明的延迟发货将按规则自动裁定。"
        else:
            en = "If the merchant neither settles nor contests by then, the platform intervenes."
            zh = "商家须在此前和解或提出异议,否则平台介入。"
        return Deadline("respond", state.respond_by, MERCHANT, en, zh, now >= state.respond_by)
    if state.status == IN_REVIEW:
        closes = _evidence_open(state)
        if closes is not None:
            return Deadline(
                "evidence",
                closes,
                BOTH,
                "The evidence windows close; the platform decides on what it has.",
                "举证期届满,平台依据已有材料裁定。",
                now >= closes,
            )
        if state.decide_by:
            return Deadline(
                "decide",
                state.decide_by,
                PLATFORM,
                "The platform's review target (4 working days); after it the claim is overdue.",
                "平台审核目标时间(4 个工作日);逾期案件在队列中优先处理。",
                now >= state.decide_by,
            )
    if state.status == DECIDED and state.appeal_by:
        return Deadline(
            "appeal",
            state.appeal_by,
            MERCHANT,
            "The merchant may appeal once until then; afterwards the decision is final.",
            "商家可在此前申诉一次,逾期裁定即为终局。",
            now >= state.appeal_by,
        )
    return None

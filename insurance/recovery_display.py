"""How the merchant dashboard shows the insurer's advances and recoveries (追偿): the rows of the
insurance page and the banners of the shop and insurance pages. Reads only (selectors)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import pgettext

from common.money import Money
from insurance import selectors
from insurance.models import OUTSTANDING_STATUSES, Advance, Recovery, RecoveryStatus
from shops.models import Shop

# A banner announces a recovery from this long before it is due (the 3-day reminder's moment).
DUE_SOON = timedelta(days=3)


def status_label(status: str) -> str:
    """The recovery's status in the page's language ("Open" means something else elsewhere)."""
    labels = {
        RecoveryStatus.OPEN: lambda: pgettext("recovery status", "Open"),
        RecoveryStatus.OVERDUE: lambda: pgettext("recovery status", "Overdue"),
        RecoveryStatus.REPAID: lambda: pgettext("recovery status", "Repaid"),
        RecoveryStatus.CANCELLED: lambda: pgettext("recovery status", "Cancelled"),
    }
    label = labels.get(status)  # type: ignore[call-overload]
    return label() if label else status


def due_by(recovery: Recovery) -> datetime:
    """The last minute to repay in: `due_at` is the first moment of being overdue (00:00 the
    day after `due_on`), so people read 23:59 of the due day."""
    return recovery.due_at - timedelta(minutes=1)


@dataclass(frozen=True)
class AdvanceRow:
    advance: Advance
    recovery: Recovery | None
    status_label: str
    due_by: datetime | None
    outstanding: bool
    overdue: bool

    @property
    def outstanding_text(self) -> str:
        """The outstanding amount as typed into the repay field (1200.00, no separators)."""
        if self.recovery is None:
            return ""
        amount = Money(self.recovery.outstanding_minor, self.recovery.currency)
        return amount.major_str().replace(",", "")


def past_due(recovery: Recovery, now: datetime) -> bool:
    """Still OPEN but its due time has passed: the scan has not marked it OVERDUE yet (it runs
    every few minutes). Shown as overdue, never as "0 minutes left"."""
    return recovery.status == RecoveryStatus.OPEN and recovery.due_at <= now


def advance_rows(
    shop: Shop, now: datetime, advances: Iterable[Advance] | None = None
) -> dict[int, list[AdvanceRow]]:
    """The shop's advances with their recoveries, by policy id (`advances`: when the page read
    them already, selectors.advances_for_shop)."""
    rows: dict[int, list[AdvanceRow]] = {}
    for advance in selectors.advances_for_shop(shop) if advances is None else advances:
        recovery = getattr(advance, "recovery", None)
        rows.setdefault(advance.policy_id, []).append(
            AdvanceRow(
                advance=advance,
                recovery=recovery,
                status_label=status_label(recovery.status) if recovery else "—",
                due_by=due_by(recovery) if recovery else None,
                outstanding=recovery is not None and recovery.status in OUTSTANDING_STATUSES,
                overdue=recovery is not None
                and (recovery.status == RecoveryStatus.OVERDUE or past_due(recovery, now)),
            )
        )
    return rows


@dataclass(frozen=True)
class RecoveryBanner:
    kind: str  # "overdue", "past_due" (due time passed, not yet marked) or "due_soon"
    recovery: Recovery
    due_by: datetime


def outstanding_recoveries_of(advances: Iterable[Advance]) -> list[Recovery]:
    """The OPEN and OVERDUE recoveries among the advances' (every recovery is an advance's that
    moved money), soonest due first: outstanding_recoveries_for_shop without a query."""
    recoveries = [getattr(advance, "recovery", None) for advance in advances]
    outstanding = [r for r in recoveries if r is not None and r.status in OUTSTANDING_STATUSES]
    return sorted(outstanding, key=lambda r: (r.due_at, r.pk))


def recovery_banners(
    shop: Shop, now: datetime, recoveries: Iterable[Recovery] | None = None
) -> list[RecoveryBanner]:
    """An overdue recovery (the shop is supervised until it is repaid), or one due within 3
    days; overdue ones first. `recoveries`: the outstanding ones when the page read them."""
    banners = []
    if recoveries is None:
        recoveries = selectors.outstanding_recoveries_for_shop(shop)
    for recovery in recoveries:
        if recovery.status == RecoveryStatus.OVERDUE:
            banners.append(RecoveryBanner("overdue", recovery, due_by(recovery)))
        elif past_due(recovery, now):
            banners.append(RecoveryBanner("past_due", recovery, due_by(recovery)))
        elif recovery.due_at - now <= DUE_SOON:
            banners.append(RecoveryBanner("due_soon", recovery, due_by(recovery)))
    order = {"overdue": 0, "past_due": 1, "due_soon": 2}
    return sorted(banners, key=lambda b: order[b.kind])


def banner_context(
    shop: Shop,
    now: datetime,
    *,
    may_see_money: bool,
    recoveries: Iterable[Recovery] | None = None,
) -> dict[str, Any]:
    return {
        "shop": shop,
        "recovery_banners": recovery_banners(shop, now, recoveries),
        "may_see_money": may_see_money,
        "now": now,
    }

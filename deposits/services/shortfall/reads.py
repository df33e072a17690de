"""Reads for the dashboard: the open case and everything its banner says. (Kept beside the
services that give the case its meaning; they only read.)"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deposits.models import (
    Account,
    Entry,
    ShortfallCase,
)
from deposits.services.shortfall.evaluate import OPEN
from deposits.services.shortfall.texts import at, step_description
from shops.models import Shop


def shortfall_open_case(shop: Shop) -> ShortfallCase | None:
    return (
        ShortfallCase.objects.filter(shop=shop, status=OPEN)
        .prefetch_related("steps__restriction")
        .first()
    )


def shortfall_open_cases_by_shop(shop_ids: Iterable[int]) -> dict[int, ShortfallCase]:
    return {
        case.shop_id: case
        for case in ShortfallCase.objects.filter(shop_id__in=list(shop_ids), status=OPEN)
    }


def shortfall_latest_deduction(case: ShortfallCase) -> Entry | None:
    """The last money that left the deposit before the case opened: usually what caused it."""
    return (
        Entry.objects.filter(account_id=case.account_id, amount_minor__lt=0)
        .filter(occurred_at__lte=case.opened_at)
        .order_by("-id")
        .first()
    )


def shortfall_banner(*, shop: Shop, account: Account | None) -> dict[str, Any] | None:
    """Everything the dashboard banner says about an open case: how much, why, what is restricted
    since when, what happens next and when. None when the shop has no open case."""
    if account is None:
        return None
    case = shortfall_open_case(shop)
    if case is None:
        return None
    applied = {step.position: step for step in case.steps.all()}
    restricted = [
        step.restriction
        for step in applied.values()
        if step.restriction is not None and step.restriction.lifted_at is None
    ]
    upcoming = [
        {"when": at(item["due_at"]), "what": step_description(item), "code": item["code"]}
        for item in case.plan
        if item["position"] not in applied
    ]
    return {
        "case": case,
        "amount_minor": account.shortfall_minor,
        "currency": account.currency,
        "opened_at": case.opened_at,
        "required_minor": account.required_minor,
        "available_minor": account.available_minor,
        "guaranteed_minor": account.guaranteed_minor,
        "debt_minor": account.debt_minor,
        "latest_deduction": shortfall_latest_deduction(case),
        "restricted": sorted(restricted, key=lambda r: r.since),
        "next": upcoming[0] if upcoming else None,
        "later": upcoming[1:],
    }

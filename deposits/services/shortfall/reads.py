"""Reads for the dashboard: the open case and everything its banner says. (Kept beside the
services that give the case its meaning; they only read.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from deposits.models import (
    Account,
    Entry,
    ShortfallCase,
)
from deposits.services.shortfall.evaluate import OPEN
from deposits.services.shortfall.texts import ShortfallTexts, at, step_description
from shops.models import RestrictionSource, Shop, ShopRestriction


@dataclass(frozen=True)
class RestrictionTexts:
    why: str
    lifts: str = ""  # for a restriction in force
    lifted: str = ""  # for a lifted one: why it was lifted


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


def shortfall_restriction_texts(
    *, shop: Shop, account: Account | None, restrictions: Iterable[ShopRestriction]
) -> dict[int, RestrictionTexts]:
    """What the dashboard says of each shortfall restriction, in the active language and, for
    one in force, with today's shortfall. The texts stored with a restriction were written once,
    in the merchant's language and with the amount of that day: a merchant reading the English
    dashboard, or after a partial top-up, would read them in the wrong language or stale."""
    refs = {r.pk: r for r in restrictions if r.source == RestrictionSource.SHORTFALL}
    if account is None or not refs:
        return {}
    case_ids = {
        int(r.source_ref.split(":", 1)[1])
        for r in refs.values()
        if r.source_ref.startswith("shortfall:")
    }
    cases = {f"shortfall:{c.pk}": c for c in ShortfallCase.objects.filter(pk__in=case_ids)}
    texts = {}
    for restriction_id, restriction in refs.items():
        case = cases.get(restriction.source_ref)
        if case is None:
            continue
        words = ShortfallTexts(shop=shop, account=account, case=case)
        if restriction.lifted_at is None:
            texts[restriction_id] = RestrictionTexts(
                why=words.restriction_reason(), lifts=words.lifts_when()
            )
        else:
            texts[restriction_id] = RestrictionTexts(
                why=words.past_reason(), lifted=words.lifted_because()
            )
    return texts

"""Reads for the dashboard: the open case and everything its banner says. (Kept beside the
services that give the case its meaning; they only read.)"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import JSONField, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject

from deposits.domain.coverage import coverage_of
from deposits.models import (
    Account,
    Entry,
    ShortfallCase,
)
from deposits.services.shortfall.evaluate import OPEN, ladder_plan
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


def _deductions_before_opening(account_id: int, opened_at: Any) -> Any:
    """The money that left the deposit before a case opened, newest first (`opened_at`: a time,
    or an OuterRef to the case's)."""
    return Entry.objects.filter(
        account_id=account_id, amount_minor__lt=0, occurred_at__lte=opened_at
    ).order_by("-id")


def shortfall_latest_deduction(case: ShortfallCase) -> Entry | None:
    """The last money that left the deposit before the case opened: usually what caused it."""
    if hasattr(case, "latest_deduction_read"):  # read with the case (shortfall_cases_for_page)
        return _entry_from_json(case.latest_deduction_read)
    return _deductions_before_opening(case.account_id, case.opened_at).first()


_DEDUCTION_FIELDS = ("amount_minor", "currency", "occurred_at", "reason", "kind", "reference")


def _entry_from_json(values: dict[str, Any] | None) -> Entry | None:
    if not values:
        return None
    when = datetime.fromisoformat(values["occurred_at"])
    # SQLite's JSON writes the stored UTC text without an offset.
    values = {**values, "occurred_at": when if when.tzinfo else when.replace(tzinfo=UTC)}
    return Entry(**values)


@dataclass(frozen=True)
class PageCases:
    """The shortfall cases one shop page needs, read once: the open one (with its applied steps
    and the deduction before it) and those the shop's restrictions were placed by."""

    open: ShortfallCase | None
    by_ref: dict[str, ShortfallCase]  # "shortfall:<pk>", as a restriction's source_ref names it


def shortfall_cases_for_page(
    shop: Shop, account: Account, restrictions: Iterable[ShopRestriction]
) -> PageCases:
    """One query for the cases (the latest deduction before each opened joined as one JSON
    subquery), one for their applied steps: the shop page's query budget. `account`: the shop's
    deposit account, every case's. Given as a value, not correlated to the case's column: with
    the account a parameter the planner walked the primary key backwards past every other
    account's entries (80 ms at 200,000 entries, EXPLAIN ANALYZE) instead of using
    entry_account_recent_idx (account, -id)."""
    refs = {
        r.source_ref
        for r in restrictions
        if r.source == RestrictionSource.SHORTFALL and r.source_ref.startswith("shortfall:")
    }
    case_ids = {int(ref.split(":", 1)[1]) for ref in refs}
    latest = _deductions_before_opening(account.pk, OuterRef("opened_at")).values(
        json=JSONObject(**{name: name for name in _DEDUCTION_FIELDS})
    )[:1]
    cases = list(
        ShortfallCase.objects.filter(Q(shop=shop, status=OPEN) | Q(pk__in=case_ids))
        .filter(account=account)
        .annotate(latest_deduction_read=Subquery(latest, output_field=JSONField()))
        .prefetch_related("steps")
    )
    return PageCases(
        open=next((c for c in cases if c.status == OPEN and c.shop_id == shop.pk), None),
        by_ref={f"shortfall:{c.pk}": c for c in cases},
    )


_NOT_READ: Any = object()


def shortfall_banner(
    *, shop: Shop, account: Account | None, case: ShortfallCase | None = _NOT_READ
) -> dict[str, Any] | None:
    """Everything the dashboard banner says about an open case: how much, why, what is restricted
    since when, what happens next and when. None when the shop has no open case. `case`: the
    open case when the caller read it already (shortfall_cases_for_page)."""
    if account is None:
        return None
    if case is _NOT_READ:
        case = shortfall_open_case(shop)
    if case is None:
        return None
    applied = {step.position: step for step in case.steps.all()}
    # The shop page read the shop's restrictions already: a step's is one of them.
    known = {r.pk: r for r in getattr(shop, "all_restrictions", [])}
    restrictions = [
        known.get(step.restriction_id) or step.restriction
        for step in applied.values()
        if step.restriction_id is not None
    ]
    restricted = [r for r in restrictions if r.lifted_at is None]
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
    *,
    shop: Shop,
    account: Account | None,
    restrictions: Iterable[ShopRestriction],
    cases: dict[str, ShortfallCase] | None = None,
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
    if cases is None:  # not read with the page's other cases (shortfall_cases_for_page)
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


@dataclass(frozen=True)
class HoldPreview:
    """What a hold of `held_minor` would do to a deposit, before anyone places it (a claim's
    contest page warns with it). Computed with the coverage rule; nothing is written."""

    currency: str
    held_minor: int
    available_after_minor: int
    shortfall_now_minor: int
    shortfall_after_minor: int
    next_when: datetime | None  # the shortfall ladder's next step, as the shop banner says it
    next_what: str

    @property
    def makes_short(self) -> bool:
        return self.shortfall_after_minor > self.shortfall_now_minor


def shortfall_preview_after_hold(
    *, shop: Shop, account: Account, held_minor: int, now: datetime
) -> HoldPreview:
    """The position after holding `held_minor` more, and the ladder's next step should the shop
    fall (or stay) short: the open case's next unapplied step, or for a case the hold would
    open, the active ladder's first step that is not taken at once (the shop banner's "What
    happens next", since the immediate notice is sent as the case opens)."""
    after = coverage_of(account).after(held_delta=held_minor)
    upcoming: list[dict[str, Any]] = []
    if after.shortfall_minor > 0:
        case = shortfall_open_case(shop)
        if case is not None:
            applied = {step.position for step in case.steps.all()}
            upcoming = [item for item in case.plan if item["position"] not in applied]
        else:
            upcoming = [item for item in ladder_plan(now=now) if at(item["due_at"]) > now]  # type: ignore[operator]
    first = upcoming[0] if upcoming else None
    return HoldPreview(
        currency=account.currency,
        held_minor=held_minor,
        available_after_minor=after.available_minor,
        shortfall_now_minor=coverage_of(account).shortfall_minor,
        shortfall_after_minor=after.shortfall_minor,
        next_when=at(first["due_at"]) if first else None,
        next_what=step_description(first) if first else "",
    )

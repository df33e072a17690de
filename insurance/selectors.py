"""Reads of insurance for the API, ops and the services, with joins planned (no N+1)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from deposits import selectors as deposit_selectors
from insurance.domain.eligibility import Rules, ShopFacts, Window, eligibility_check
from insurance.domain.premium import quote_figures
from insurance.models import (
    BenefitWindow,
    InsuranceApplication,
    InsuranceProduct,
    InsuranceQuote,
    Policy,
    PolicyStatus,
    TrendTrack,
)
from shops.models import Shop

# Dates of a term, a registration, a benefit window: the marketplace's calendar (api-v1.md).
MARKET_TZ = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, MARKET_TZ).date()


def products_in_force(now: datetime) -> QuerySet[InsuranceProduct]:
    """For each code, the latest active version with effective_from ≤ now (categories and
    insurer read with it)."""
    latest = (
        InsuranceProduct.objects.filter(
            code=OuterRef("code"), is_active=True, effective_from__lte=now
        )
        .order_by("-effective_from", "-id")
        .values("pk")[:1]
    )
    return (
        InsuranceProduct.objects.filter(is_active=True, effective_from__lte=now)
        .annotate(latest_pk=Subquery(latest))
        .filter(pk=F("latest_pk"))
        .select_related("insurer")
        .prefetch_related("categories")
    )


def product_in_force(code: str, now: datetime) -> InsuranceProduct | None:
    return products_in_force(now).filter(code=code).first()


def benefit_windows_open_on(day: date) -> list[BenefitWindow]:
    return list(BenefitWindow.objects.filter(submit_from__lte=day, submit_to__gte=day))


def trend_track_on(shop: Shop, day: date) -> bool:
    return TrendTrack.objects.filter(
        Q(until__isnull=True) | Q(until__gte=day), shop=shop, since__lte=day
    ).exists()


def counterfeit_awards_since(shop: Shop, since: datetime) -> int:
    """Counterfeit awards against the shop since `since`. Claims do not exist yet, and claims
    imports insurance (never the reverse): the claims slice will record each award here through
    an insurance service, and this will count those rows. Until then: none."""
    return 0


def open_application_or_policy_exists(shop: Shop) -> bool:
    """A SUBMITTED application, or a policy awaiting its premium or in force."""
    return (
        InsuranceApplication.objects.filter(shop=shop, status="SUBMITTED").exists()
        or Policy.objects.filter(
            shop=shop, status__in=[PolicyStatus.AWAITING_PREMIUM, PolicyStatus.ACTIVE]
        ).exists()
    )


def quote_for_shop(shop: Shop, quote_public_id: uuid.UUID) -> InsuranceQuote | None:
    return (
        InsuranceQuote.objects.filter(shop=shop, public_id=quote_public_id)
        .select_related("product__insurer", "shop")
        .first()
    )


def _applications() -> QuerySet[InsuranceApplication]:
    return InsuranceApplication.objects.select_related(
        "shop", "product", "quote", "decided_by", "policy__product", "policy__shop"
    )


def applications_for_shop(shop: Shop) -> QuerySet[InsuranceApplication]:
    """The shop's applications, newest first (the merchant's insurance page)."""
    return _applications().filter(shop=shop).order_by("-id")


def applications_for_partner(
    partner_id: int, *, status: str | None = None
) -> QuerySet[InsuranceApplication]:
    """The applications a partner may see: for its shops, or for products it insures."""
    applications = _applications().filter(
        Q(shop__partner_id=partner_id) | Q(product__insurer_id=partner_id)
    )
    if status is not None:
        applications = applications.filter(status=status)
    return applications


def application_for_partner(
    partner_id: int, application_public_id: uuid.UUID
) -> InsuranceApplication | None:
    return applications_for_partner(partner_id).filter(public_id=application_public_id).first()


def _policies() -> QuerySet[Policy]:
    return Policy.objects.select_related("shop", "product", "insurer")


def policy_for_partner(partner_id: int, policy_public_id: uuid.UUID) -> Policy | None:
    """A policy of one of the partner's shops, or one it issued as insurer."""
    return (
        _policies()
        .filter(Q(shop__partner_id=partner_id) | Q(insurer_id=partner_id))
        .filter(public_id=policy_public_id)
        .first()
    )


def policies_for_shop(shop: Shop) -> QuerySet[Policy]:
    return _policies().filter(shop=shop)


def policies_due_for_expiry(now: datetime) -> QuerySet[Policy]:
    """Policies still awaiting a premium whose due time has passed (the scan's candidates)."""
    return Policy.objects.filter(status=PolicyStatus.AWAITING_PREMIUM, premium_due_at__lte=now)


@dataclass(frozen=True)
class QuotePreview:
    """What a quote would say now, computed without writing anything: the dashboard shows it on
    every visit, and `quote_create` stores it when the merchant or the marketplace asks."""

    product: InsuranceProduct
    eligible: bool
    reasons: list[dict[str, Any]]
    window: BenefitWindow | None
    requirement_minor: int
    coverage_minor: int
    premium_minor: int
    cash_required_minor: int
    currency: str
    starts_on: date
    ends_on: date
    computation_en: str
    computation_zh: str


def _rules(product: InsuranceProduct) -> Rules:
    return Rules(
        category_codes=frozenset(c.code for c in product.categories.all()),
        new_merchant_days=product.new_merchant_days,
        stable_min_days=product.stable_min_days,
        counterfeit_lookback_days=product.counterfeit_lookback_days,
    )


def quote_preview(*, shop: Shop, product: InsuranceProduct, now: datetime) -> QuotePreview:
    """Eligibility (every failed reason) and the figures of `product` for `shop` at `now`."""
    account = deposit_selectors.account_for_shop(shop)
    deposit = deposit_selectors.deposit_summary(account) if account is not None else None
    requirement = deposit.required_minor if deposit is not None else 0
    currency = deposit.currency if deposit is not None else shop.currency
    today = local_date(now)
    windows = benefit_windows_open_on(today)
    facts = ShopFacts(
        today=today,
        registered_on=local_date(shop.created_at),
        category_codes=frozenset(c.code for c in shop.categories.all()),
        requirement_minor=requirement,
        closed=shop.closed_at is not None,
        live_since=local_date(shop.went_live_at) if shop.went_live_at else None,
        on_trend_track=trend_track_on(shop, today),
        benefit_windows=[Window(w.submit_from, w.submit_to, w.activate_by) for w in windows],
        debt_minor=deposit.debt_minor if deposit is not None else 0,
        open_shortfall_case=deposit_selectors.shortfall_case_open(shop),
        # No recovery can be overdue before the advances slice exists.
        overdue_recoveries=0,
        counterfeit_awards_recent=counterfeit_awards_since(
            shop, now - timedelta(days=product.counterfeit_lookback_days)
        ),
    )
    verdict = eligibility_check(facts=facts, rules=_rules(product))
    coverage, premium = quote_figures(
        requirement_minor=requirement,
        coverage_share_bps=product.coverage_share_bps,
        premium_rate_bps=product.premium_rate_bps,
        term_days=product.term_days,
        currency=currency,
    )
    window = next(
        (
            w
            for w in windows
            if verdict.window is not None
            and (w.submit_from, w.submit_to, w.activate_by)
            == (verdict.window.submit_from, verdict.window.submit_to, verdict.window.activate_by)
        ),
        None,
    )
    return QuotePreview(
        product=product,
        eligible=verdict.eligible,
        reasons=[r.as_dict() for r in verdict.reasons],
        window=window,
        requirement_minor=requirement,
        coverage_minor=coverage.amount_minor,
        premium_minor=premium.amount_minor,
        cash_required_minor=max(0, requirement - coverage.amount_minor),
        currency=currency,
        starts_on=today,
        ends_on=today + timedelta(days=product.term_days - 1),
        computation_en=f"{coverage.en} {premium.en}",
        computation_zh=f"{coverage.zh}{premium.zh}",
    )

"""How products, quotes, applications and policies look to partners (api-v1.md). Applications
and policies are the same dicts the events carry (insurance.services)."""

from __future__ import annotations

from typing import Any

from django.utils import translation

from common.times import utc_iso
from insurance.models import InsuranceApplication, InsuranceProduct, InsuranceQuote, Policy
from insurance.services import application_event_data, policy_event_data


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def product_data(product: InsuranceProduct) -> dict[str, Any]:
    return {
        "code": product.code,
        "name_zh": product.name_zh,
        "name_en": product.name_en,
        "insurer": product.insurer.name if product.insurer else None,
        "premium_rate_bps": product.premium_rate_bps,
        "coverage_share_bps": product.coverage_share_bps,
        "term_days": product.term_days,
        "recovery_days": product.recovery_days,
        "categories": sorted(c.code for c in product.categories.all()),
        "effective_from": utc_iso(product.effective_from),
    }


def quote_data(quote: InsuranceQuote, *, shop_public_id: Any) -> dict[str, Any]:
    zh = _chinese()
    return {
        "id": str(quote.public_id),
        "shop": str(shop_public_id),
        "product": quote.product.code,
        "eligible": quote.eligible,
        "reasons": [
            {
                "code": r["code"],
                "detail": r["detail_zh"] if zh else r["detail_en"],
                "detail_en": r["detail_en"],
                "detail_zh": r["detail_zh"],
            }
            for r in quote.reasons
        ],
        "requirement_minor": quote.requirement_minor,
        "coverage_minor": quote.coverage_minor,
        "premium_minor": quote.premium_minor,
        "currency": quote.currency,
        "starts_on": quote.starts_on.isoformat(),
        "ends_on": quote.ends_on.isoformat(),
        "valid_until": utc_iso(quote.valid_until),
        "day_count": "ACT/365",
        "cash_required_minor": quote.cash_required_minor,
        "computation": quote.computation_zh if zh else quote.computation_en,
        "created_at": utc_iso(quote.created_at),
        "renews": str(quote.renews.public_id) if quote.renews_id else None,
    }


def application_data(application: InsuranceApplication) -> dict[str, Any]:
    return application_event_data(application)


def policy_data(policy: Policy) -> dict[str, Any]:
    return policy_event_data(policy)

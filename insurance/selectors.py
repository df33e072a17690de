"""Reads of insurance for the API, ops and the services, with joins planned (no N+1)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

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

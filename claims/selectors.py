"""Reads of the claims app, with their joins planned (no N+1)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet, Sum

from claims.models import (
    Claim,
    ClaimEvent,
    ClaimFunding,
    ClaimReversal,
    CompensationRule,
    Outcome,
)


def rule_in_force(*, reason: str, currency: str, now: datetime) -> CompensationRule | None:
    return (
        CompensationRule.objects.filter(reason=reason, currency=currency, effective_from__lte=now)
        .order_by("-effective_from")
        .first()
    )


def _with_details(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    return queryset.select_related("shop", "rule").prefetch_related(
        Prefetch("events", queryset=ClaimEvent.objects.order_by("at", "id")),
        Prefetch("funding", queryset=ClaimFunding.objects.order_by("id")),
        Prefetch("reversals", queryset=ClaimReversal.objects.order_by("id")),
    )


def claim_with_details(claim_id: int) -> Claim:
    return _with_details(Claim.objects.all()).get(pk=claim_id)


def claim_for_partner(partner_id: int, public_id: uuid.UUID) -> Claim | None:
    return _with_details(Claim.objects.filter(partner_id=partner_id, public_id=public_id)).first()


def claim_by_external_ref(partner_id: int, external_ref: str) -> Claim | None:
    return _with_details(
        Claim.objects.filter(partner_id=partner_id, external_ref=external_ref)
    ).first()


def claims_for_partner(
    partner_id: int,
    *,
    status: str | None = None,
    shop_public_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> QuerySet[Claim]:
    queryset = Claim.objects.filter(partner_id=partner_id)
    if status:
        queryset = queryset.filter(status=status)
    if shop_public_id:
        queryset = queryset.filter(shop__public_id=shop_public_id)
    if reason:
        queryset = queryset.filter(reason=reason)
    return _with_details(queryset)


def earlier_awards_minor(claim: Claim, *, window_hours: int) -> int:
    """What the claim's consumer was already awarded by its shop, under rules with an aggregation
    window, for other orders paid within `window_hours` of this one (either side: a later order
    decided first still counts, so the total stays within the maximum whatever the order of the
    decisions). An award reversed by an upheld appeal no longer counts: it was given back."""
    window = timedelta(hours=window_hours)
    total = (
        Claim.objects.filter(
            shop_id=claim.shop_id,
            consumer_ref=claim.consumer_ref,
            currency=claim.currency,
            outcome__in=[Outcome.UPHELD, Outcome.PARTLY_UPHELD],
            rule__window_hours__isnull=False,
            order_paid_at__gt=claim.order_paid_at - window,
            order_paid_at__lt=claim.order_paid_at + window,
        )
        .exclude(pk=claim.pk)
        .exclude(appeal_outcome=Outcome.UPHELD)
        .aggregate(total=Sum("compensation_minor"))["total"]
    )
    return int(total or 0)

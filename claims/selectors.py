"""Reads of the claims app, with their joins planned (no N+1)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet, Sum

from claims.models import (
    Claim,
    ClaimEvent,
    ClaimEvidence,
    ClaimFunding,
    CompensationRule,
    ConsumerFlag,
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
        Prefetch("evidence", queryset=ClaimEvidence.objects.order_by("submitted_at", "id")),
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
    decisions)."""
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
        .aggregate(total=Sum("compensation_minor"))["total"]
    )
    return int(total or 0)


# --- Evidence and the blacklist (domain.md §6.1) ------------------------------------------------


def evidence_dir() -> Path:
    """The private directory evidence files live in (never under a URL the site serves)."""
    return Path(settings.CLAIMS_EVIDENCE_DIR)


def evidence_path(evidence: ClaimEvidence) -> Path:
    return evidence_dir() / evidence.stored_name


def evidence_for_claim(claim: Claim) -> QuerySet[ClaimEvidence]:
    return ClaimEvidence.objects.filter(claim=claim).order_by("submitted_at", "id")


def evidence_of_claim(claim: Claim, public_id: uuid.UUID) -> ClaimEvidence | None:
    return ClaimEvidence.objects.filter(claim=claim, public_id=public_id).first()


def evidence_count(claim: Claim, *, party: str) -> int:
    return ClaimEvidence.objects.filter(claim=claim, party=party).count()


def active_flags_q(now: datetime) -> Q:
    return Q(lifted_at__isnull=True, expires_at__gt=now)


def active_consumer_flag(
    *, partner_id: int, consumer_ref: str, now: datetime
) -> ConsumerFlag | None:
    """The consumer's standing flag for malicious complaints, if any (not lifted, not expired)."""
    return (
        ConsumerFlag.objects.filter(partner_id=partner_id, consumer_ref=consumer_ref)
        .filter(active_flags_q(now))
        .order_by("-expires_at")
        .first()
    )


def claim_for_merchant(merchant_id: int, public_id: uuid.UUID) -> Claim | None:
    """A claim against one of the merchant's shops; another merchant's looks missing."""
    return (
        Claim.objects.select_related("shop")
        .filter(shop__merchant_id=merchant_id, public_id=public_id)
        .first()
    )

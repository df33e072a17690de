"""Reads of insurance for the API, ops and the services, with joins planned (no N+1)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum

from insurance.models import (
    OUTSTANDING_STATUSES,
    Advance,
    BenefitWindow,
    InsuranceApplication,
    InsuranceProduct,
    InsuranceQuote,
    Policy,
    PolicyStatus,
    Recovery,
    RecoveryStatus,
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


# --- Advances and recoveries ------------------------------------------------------------------


def outstanding_recoveries_minor(policy: Policy) -> int:
    """What the merchant still owes the insurer on this policy: the outstanding amount of its
    OPEN and OVERDUE recoveries (coverage − this = the remaining limit)."""
    total = Recovery.objects.filter(policy=policy, status__in=OUTSTANDING_STATUSES).aggregate(
        total=Sum("outstanding_minor")
    )["total"]
    return int(total or 0)


def overdue_recoveries_count(shop: Shop) -> int:
    return Recovery.objects.filter(shop=shop, status=RecoveryStatus.OVERDUE).count()


def active_policy_id_for_shop(shop_id: int) -> int | None:
    """The shop's ACTIVE policy (at most one: a shop applies again only without one)."""
    return (
        Policy.objects.filter(shop_id=shop_id, status=PolicyStatus.ACTIVE)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )


def advances_for_policy(policy: Policy) -> QuerySet[Advance]:
    """The policy's advances that moved money (an answer of 0 has no recovery), each with its
    recovery and policy read in the same query."""
    return (
        Advance.objects.filter(policy=policy, amount_minor__gt=0)
        .select_related("recovery", "policy")
        .order_by("-id")
    )


def recovery_for_partner(partner_id: int, recovery_public_id: uuid.UUID) -> Recovery | None:
    """A recovery of one of the partner's shops, or of a policy it issued as insurer."""
    return (
        Recovery.objects.filter(Q(shop__partner_id=partner_id) | Q(policy__insurer_id=partner_id))
        .filter(public_id=recovery_public_id)
        .select_related("advance", "policy")
        .first()
    )


def recoveries_due(*, now: datetime, today: date, limit: int) -> list[int]:
    """The scan's candidates, set-based: OPEN recoveries past `due_at` (overdue), or due a
    reminder (1 day before `due_on`, or 3 days before when no reminder went yet). The task for
    each re-checks under lock; a candidate with nothing left to do is a no-op."""
    return list(
        Recovery.objects.filter(status=RecoveryStatus.OPEN)
        .filter(
            Q(due_at__lte=now)
            | Q(reminded_1d_at__isnull=True, due_on__lte=today + timedelta(days=1))
            | Q(
                reminded_3d_at__isnull=True,
                reminded_1d_at__isnull=True,
                due_on__lte=today + timedelta(days=3),
            )
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )

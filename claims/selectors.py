"""Reads of the claims app, with their joins planned (no N+1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from claims.models import (
    Claim,
    ClaimEvent,
    ClaimEvidence,
    ClaimFunding,
    ClaimReversal,
    ClaimStatus,
    CompensationRule,
    ConsumerFlag,
    Outcome,
)
from shops.models import Shop
from shops.selectors import switcher_shops, unread_notices, unread_notices_count


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


# --- The merchant dashboard -----------------------------------------------------------------
# "Waiting on the merchant": a negotiation to answer, or an escalated claim whose merchant
# evidence window is still open. The badge, the shop panel and the list's first rows agree.


def _waiting_on_merchant(now: datetime) -> Q:
    return Q(status=ClaimStatus.NEGOTIATING) | Q(
        status=ClaimStatus.IN_REVIEW, merchant_evidence_by__gt=now
    )


def claims_for_merchant(
    merchant_id: int,
    *,
    now: datetime,
    shop_public_id: uuid.UUID | None = None,
    status: str | None = None,
    reason: str | None = None,
) -> QuerySet[Claim]:
    """The merchant's claims across its shops, what needs its answer first: negotiations by
    their answer deadline, then escalated claims with the merchant's evidence window open (by
    that window's end), then the rest newest first. The shop is joined for the rows."""
    queryset = Claim.objects.filter(shop__merchant_id=merchant_id)
    if shop_public_id:
        queryset = queryset.filter(shop__public_id=shop_public_id)
    if status:
        queryset = queryset.filter(status=status)
    if reason:
        queryset = queryset.filter(reason=reason)
    evidence_open = Q(status=ClaimStatus.IN_REVIEW, merchant_evidence_by__gt=now)
    return (
        queryset.select_related("shop")
        .annotate(
            waiting_rank=Case(
                When(status=ClaimStatus.NEGOTIATING, then=Value(0)),
                When(evidence_open, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            waiting_due=Case(
                When(status=ClaimStatus.NEGOTIATING, then=F("respond_by")),
                When(evidence_open, then=F("merchant_evidence_by")),
                default=Value(None),
                output_field=DateTimeField(),
            ),
        )
        .order_by("waiting_rank", F("waiting_due").asc(nulls_last=True), "-filed_at", "-id")
    )


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
    """One claim of the merchant's shops with its timeline and funding; None for another
    merchant's claim (the page answers 404 either way)."""
    return _with_details(
        Claim.objects.filter(shop__merchant_id=merchant_id, public_id=public_id)
    ).first()


def claims_waiting_count(
    *, now: datetime, user_id: int | None = None, shop_id: int | None = None
) -> int:
    """How many claims wait on the merchant: of the shops the user's merchant owns, or of one
    shop."""
    queryset = Claim.objects.filter(_waiting_on_merchant(now))
    if user_id is not None:
        queryset = queryset.filter(shop__merchant__members__user_id=user_id)
    if shop_id is not None:
        queryset = queryset.filter(shop_id=shop_id)
    return queryset.count()


def claims_summary_for_shop(shop_id: int, *, now: datetime) -> dict[str, int]:
    """The shop page's claims panel: how many claims the shop has, how many wait on the merchant
    (one query)."""
    return Claim.objects.filter(shop_id=shop_id).aggregate(
        total=Count("id"), waiting=Count("id", filter=_waiting_on_merchant(now))
    )


def _count_of(queryset: QuerySet[Any]) -> Subquery:
    """COUNT(*) of `queryset` as a scalar subquery (no GROUP BY: one row, 0 when empty)."""
    return Subquery(
        queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class Navigation:
    """What every dashboard page's navigation shows, read in one query: the user's merchant's
    shops for the switcher, each with its claims (`claims_total`, `claims_waiting`: the shop
    page's claims panel), and the two badges."""

    shops: list[Shop]
    claims_waiting: int
    unread_notices: int

    def shop(self, shop_id: int) -> Shop | None:
        return next((shop for shop in self.shops if shop.pk == shop_id), None)


NO_NAVIGATION = Navigation(shops=[], claims_waiting=0, unread_notices=0)


def dashboard_navigation(*, user_id: int, now: datetime) -> Navigation:
    """One query per page for the navigation, whatever the page: the switcher's shops annotated
    with their claim counts and the unread notices (an uncorrelated subquery, computed once).
    The badge's "waiting" is the sum over the merchant's shops, as claims_waiting_count counts
    it. A merchant without shops has no row to carry the unread count: counted on its own."""
    of_shop = Claim.objects.filter(shop_id=OuterRef("pk"))
    shops = list(
        switcher_shops(user_id).annotate(
            claims_total=_count_of(of_shop),
            claims_waiting=_count_of(of_shop.filter(_waiting_on_merchant(now))),
            unread_notices=_count_of(unread_notices(user_id)),
        )
    )
    if not shops:
        return Navigation(shops=[], claims_waiting=0, unread_notices=unread_notices_count(user_id))
    return Navigation(
        shops=shops,
        claims_waiting=sum(shop.claims_waiting for shop in shops),  # type: ignore[attr-defined]
        unread_notices=shops[0].unread_notices,  # type: ignore[attr-defined]
    )


def shops_of_merchant(merchant_id: int) -> QuerySet[Shop]:
    """The list's shop filter: names and ids only."""
    return (
        Shop.objects.filter(merchant_id=merchant_id)
        .only("public_id", "name")
        .order_by("name", "id")
    )


# --- Deadlines ---------------------------------------------------------------------------------


def claims_deadline_due(
    *, now: datetime, statuses: list[str], chunk_size: int = 1000
) -> Iterator[int]:
    """Ids of claims whose next deadline has passed, in deadline order: one range read of the
    partial index claim_next_deadline_idx (only claims with something scheduled are in it),
    streamed through a server-side cursor `chunk_size` rows at a time on PostgreSQL, so memory
    stays flat whatever the backlog. (Keyset pages would repeat the plan per page and convert
    each row's deadline; one statement reads the range once.)"""
    return (
        Claim.objects.filter(next_deadline_at__lte=now, status__in=statuses)
        .order_by("next_deadline_at", "id")
        .values_list("id", flat=True)
        .iterator(chunk_size=chunk_size)
    )


def ops_queue(*, now: datetime) -> QuerySet[Claim]:
    """Claims waiting for an ops decision, the nearest review target first; `overdue` marks
    those past it, `evidence_closed` those whose evidence windows have closed."""
    return (
        Claim.objects.filter(status=ClaimStatus.IN_REVIEW)
        .select_related("shop", "rule")
        .annotate(
            overdue=Case(
                When(decide_by__lte=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            evidence_closed=Case(
                When(evidence_closed_at__isnull=False, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
        )
        .order_by(F("decide_by").asc(nulls_last=True), "id")
    )


# Claims not finished yet: still negotiated, reviewed, decided within the appeal window, or
# appealed (SETTLED, WITHDRAWN and CLOSED are finished).
OPEN_CLAIM_STATUSES = [
    ClaimStatus.NEGOTIATING,
    ClaimStatus.IN_REVIEW,
    ClaimStatus.DECIDED,
    ClaimStatus.APPEALED,
]


def open_claims_count_of_shop() -> Coalesce:
    """How many open claims the shop of the outer query has: an expression for `annotate` on a
    Shop queryset, so that a list of shops reads every count in its own single query."""
    return Coalesce(
        Subquery(
            Claim.objects.filter(shop_id=OuterRef("pk"), status__in=OPEN_CLAIM_STATUSES)
            .values("shop_id")
            .annotate(n=Count("id"))
            .values("n")[:1]
        ),
        0,
    )


def with_decision_maker(queryset: QuerySet[Claim]) -> QuerySet[Claim]:
    """Each claim with who decided it (`decided_by`, `decided_by_kind`: the timeline's last
    "decided:" row), for the claims export; correlated subqueries, not a query per claim."""
    decided = ClaimEvent.objects.filter(
        claim=OuterRef("pk"), action__startswith="decided:"
    ).order_by("-at", "-id")
    return queryset.annotate(
        decided_by=Subquery(decided.values("actor_label")[:1]),
        decided_by_kind=Subquery(decided.values("actor")[:1]),
    )


def claim_order_refs(shop_id: int, public_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The order reference of each of the shop's claims among `public_ids` (the shop page names
    a ledger line's or a hold's claim by it: deposits.selectors.claim_refs_for_shop)."""
    return dict(
        Claim.objects.filter(shop_id=shop_id, public_id__in=public_ids).values_list(
            "public_id", "order_ref"
        )
    )

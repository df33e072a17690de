"""Reads for ops in the admin (issue 13, item 9): the queue, the calculator, the four-eyes state.

A module of its own beside claims.selectors so the three admin slices can merge; it belongs to the
same room (reads only, no writes, no locks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)

from claims.domain.compensation import Award, RuleTerms, compensation_award
from claims.models import (
    AgentLimit,
    Claim,
    ClaimDecisionRequest,
    ClaimStatus,
    CompensationRule,
    DecisionRequestStatus,
    Outcome,
)

# Claims waiting on ops: a review to decide, or an appeal to decide.
QUEUE_STATUSES = [ClaimStatus.IN_REVIEW, ClaimStatus.APPEALED]
# The appeal's decision target. The appeal slice sets no target of its own yet; ops answer an
# appeal in the same ~4 days as a first decision.
APPEAL_DECIDE_WITHIN = timedelta(days=4)


def four_eyes_above_minor() -> int:
    """Decisions awarding more than this wait for a second person, whoever makes them
    (settings.FOUR_EYES_THRESHOLDS_MINOR["claims.decision"], 10,000.00 CNY; off: no limit)."""
    threshold = settings.FOUR_EYES_THRESHOLDS_MINOR.get("claims.decision")
    return threshold if threshold is not None else 2**62


def agent_limit_minor(user: Any) -> int:
    """What this user may award alone: their own limit (set by a supervisor) or the default,
    never above the four-eyes amount."""
    own = AgentLimit.objects.filter(user_id=user.pk).values_list("limit_minor", flat=True).first()
    limit = own if own is not None else settings.CLAIMS_AGENT_DEFAULT_LIMIT_MINOR
    return min(limit, four_eyes_above_minor())


def queue_due_expression() -> Case:
    """The deadline ops work to: `decide_by` in review, the appeal's target once appealed."""
    return Case(
        When(status=ClaimStatus.IN_REVIEW, then=F("decide_by")),
        When(
            status=ClaimStatus.APPEALED,
            then=ExpressionWrapper(
                F("appealed_at") + Value(APPEAL_DECIDE_WITHIN), output_field=DateTimeField()
            ),
        ),
        default=Value(None, output_field=DateTimeField()),
        output_field=DateTimeField(),
    )


def pending_request_exists() -> Exists:
    return Exists(
        ClaimDecisionRequest.objects.filter(
            subject_id=OuterRef("pk"), status=DecisionRequestStatus.PENDING
        )
    )


def claims_queue(queryset: QuerySet[Claim] | None = None, *, now: datetime) -> QuerySet[Claim]:
    """Claims waiting on ops, nearest deadline first (none last), each with `queue_due`,
    `queue_overdue` (the deadline passed at `now`) and `awaiting_second_person`."""
    queryset = Claim.objects.all() if queryset is None else queryset
    return (
        queryset.filter(status__in=QUEUE_STATUSES)
        .annotate(queue_due=queue_due_expression())
        .annotate(
            queue_overdue=Case(
                When(queue_due__lt=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            awaiting_second_person=pending_request_exists(),
        )
        .select_related("shop")
        .order_by(F("queue_due").asc(nulls_last=True), "pk")
    )


def queue_due(claim: Claim) -> datetime | None:
    if claim.status == ClaimStatus.IN_REVIEW:
        return claim.decide_by
    if claim.status == ClaimStatus.APPEALED and claim.appealed_at is not None:
        return claim.appealed_at + APPEAL_DECIDE_WITHIN
    return None


def pending_decision_request(claim: Claim) -> ClaimDecisionRequest | None:
    return (
        ClaimDecisionRequest.objects.filter(
            subject_id=claim.pk, status=DecisionRequestStatus.PENDING
        )
        .select_related("maker")
        .first()
    )


def decision_requests_of(claim: Claim) -> list[ClaimDecisionRequest]:
    return list(
        ClaimDecisionRequest.objects.filter(subject_id=claim.pk)
        .select_related("maker", "checker")
        .order_by("-made_at", "-pk")
    )


def _terms(rule: CompensationRule) -> RuleTerms:
    return RuleTerms(
        code=rule.code,
        kind=rule.kind,
        rate_bps=rule.rate_bps,
        multiplier=rule.multiplier,
        minimum_minor=rule.minimum_minor,
        maximum_minor=rule.maximum_minor,
        window_hours=rule.window_hours,
    )


@dataclass(frozen=True)
class Calculation:
    """What the claim's rule gives for it now, and the earlier awards its 24-hour cap counts."""

    award: Award
    earlier_awards: list[Claim]
    earlier_total_minor: int


def claim_calculation(claim: Claim) -> Calculation:
    """The calculator on the ops claim page: the same arithmetic claim_decide applies (the claim's
    rule version, the cap over the consumer's other awards from the shop within the rule's
    window, either side of this order), with the awards it counted listed."""
    rule = claim.rule
    earlier: list[Claim] = []
    if rule.window_hours:
        window = timedelta(hours=rule.window_hours)
        earlier = list(
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
            .order_by("order_paid_at", "pk")
        )
    total = sum(c.compensation_minor for c in earlier)
    award = compensation_award(
        terms=_terms(rule),
        paid_minor=claim.order_paid_minor,
        currency=claim.currency,
        requested_minor=claim.requested_minor,
        earlier_awards_minor=total,
    )
    return Calculation(award=award, earlier_awards=earlier, earlier_total_minor=total)


def overdue_filter(*, now: datetime, overdue: bool) -> Q:
    return Q(queue_due__lt=now) if overdue else (Q(queue_due__gte=now) | Q(queue_due__isnull=True))


# Time to the queue's deadline, overdue first: the ops overview counts these, the queue filters
# by them (one definition, so a figure and the list behind it always agree). Needs `queue_due`.
DUE_BUCKETS = ("overdue", "24h", "3d", "later", "none")


def due_bucket_filter(bucket: str, *, now: datetime) -> Q:
    day, three_days = now + timedelta(hours=24), now + timedelta(days=3)
    return {
        "overdue": Q(queue_due__lt=now),
        "24h": Q(queue_due__gte=now, queue_due__lt=day),
        "3d": Q(queue_due__gte=day, queue_due__lt=three_days),
        "later": Q(queue_due__gte=three_days),
        "none": Q(queue_due__isnull=True),
    }[bucket]

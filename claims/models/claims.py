"""Consumer claims against a shop's deposit (domain.md §6, api-v1.md "Claims").

Invariants (the database enforces the ones marked *):
- Money is integer minor units in the claim's currency, which is the shop's deposit currency;
  every amount is ≥ 0 (*), the order's paid amount > 0 (*).
- A compensation rule is versioned like the requirement rules: (reason, currency,
  effective_from) is unique (*); the rule a reason names at a moment is its latest version with
  effective_from ≤ that moment; a version in force is never edited (the admin makes it
  read-only), ops add a newer one. RATE rules have a rate (*), MULTIPLIER rules a multiplier ≥ 1
  (*), minimum ≤ maximum (*). A claim points at the exact version it was filed and decided by.
- `external_ref` is unique per partner (*): filing it again returns the same claim.
- Status: NEGOTIATING → SETTLED | WITHDRAWN | IN_REVIEW; IN_REVIEW → WITHDRAWN | DECIDED;
  DECIDED → APPEALED (once, before `appeal_by`, only an award: a rejection has nothing to
  appeal) → CLOSED, or DECIDED → CLOSED when the appeal window ends. `appealed_at` only on
  APPEALED or CLOSED claims (*); `appeal_outcome` only on CLOSED claims that were appealed (*).
  An outcome exactly when DECIDED, APPEALED or CLOSED, with `decided_at` (*); IN_REVIEW and
  later have `escalated_at` (*).
- A REJECTED claim awards 0; an upheld one awards > 0 (*).
- The hold (deposits' public id) is placed at escalation for the estimate less what the shop's
  insurer would advance, and resolved exactly once by the decision or the withdrawal; a claim's
  funding rows (INSURER_ADVANCE, DEPOSIT, DEBT) sum to its award (services).
- An upheld appeal (`appeal_outcome` UPHELD) gives the award back by new ledger postings,
  recorded as ClaimReversal rows (claims.models.reversals) summing to the award; the funding
  rows and `compensation_minor` stay as the record of what was paid.
- The timeline (ClaimEvent) and the funding rows are append-only records: who did what, when,
  and which ledger transaction moved the money.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from claims.domain import computation_texts, event_texts
from claims.domain import deadlines as deadline_rules
from common.money import CURRENCY_CHOICES


class Reason(models.TextChoices):
    LATE_SHIPMENT = "LATE_SHIPMENT", _("Late shipment")
    FALSE_SHIPMENT = "FALSE_SHIPMENT", _("False shipment")
    OUT_OF_STOCK = "OUT_OF_STOCK", _("Out of stock")
    COUNTERFEIT = "COUNTERFEIT", _("Counterfeit goods")
    RETURN_REFUSED = "RETURN_REFUSED", _("Refused 7-day return")
    AFTER_SALES = "AFTER_SALES", _("After-sales promise not kept")
    FALSE_ADVERTISING = "FALSE_ADVERTISING", _("False advertising")
    PRICE_FRAUD = "PRICE_FRAUD", _("Price fraud")
    OTHER = "OTHER", _("Other")


class RuleKind(models.TextChoices):
    RATE = "RATE", _("Rate of the paid amount")
    MULTIPLIER = "MULTIPLIER", _("Multiple of the paid amount")
    OPS_DECIDES = "OPS_DECIDES", _("Ops decide the amount")


class ClaimStatus(models.TextChoices):
    NEGOTIATING = "NEGOTIATING", _("Negotiating")
    SETTLED = "SETTLED", _("Settled by the merchant")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")
    IN_REVIEW = "IN_REVIEW", _("In review")
    DECIDED = "DECIDED", _("Decided")
    APPEALED = "APPEALED", _("Appealed")
    CLOSED = "CLOSED", pgettext_lazy("claim status", "Closed")  # a shop's "Closed" is 已退店


class Outcome(models.TextChoices):
    UPHELD = "UPHELD", _("Upheld")
    PARTLY_UPHELD = "PARTLY_UPHELD", _("Partly upheld")
    REJECTED = "REJECTED", _("Rejected")


class Actor(models.TextChoices):
    PARTNER = "PARTNER", _("Partner")
    MERCHANT = "MERCHANT", _("Merchant user")
    OPS = "OPS", _("Ops")
    SYSTEM = "SYSTEM", _("System")


class FundingSource(models.TextChoices):
    DEPOSIT = "DEPOSIT", _("Deposit")
    INSURER_ADVANCE = "INSURER_ADVANCE", _("Insurer's advance")
    DEBT = "DEBT", _("Merchant's debt")


# An appeal is upheld (the payout reversed) or rejected; no partial appeal.
APPEAL_OUTCOME_CHOICES = [
    (Outcome.UPHELD.value, Outcome.UPHELD.label),
    (Outcome.REJECTED.value, Outcome.REJECTED.label),
]

DECIDED_STATUSES = [ClaimStatus.DECIDED, ClaimStatus.APPEALED, ClaimStatus.CLOSED]
REVIEWED_STATUSES = [ClaimStatus.IN_REVIEW, *DECIDED_STATUSES]


class CompensationRule(models.Model):
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RuleKind.choices)
    rate_bps = models.PositiveIntegerField(
        _("rate (bps)"), null=True, blank=True, help_text=_("3000 = 30 percent of the paid amount.")
    )
    multiplier = models.PositiveIntegerField(
        _("multiplier"), null=True, blank=True, help_text=_("5 = refund + 4× the paid amount.")
    )
    minimum_minor = models.BigIntegerField(_("minimum"), null=True, blank=True)
    maximum_minor = models.BigIntegerField(
        _("maximum"),
        null=True,
        blank=True,
        help_text=_("With a window: the most one consumer gets from one shop in that window."),
    )
    window_hours = models.PositiveIntegerField(
        _("aggregation window (hours)"),
        null=True,
        blank=True,
        help_text=_("Orders paid within this many hours of each other share the maximum."),
    )
    effective_from = models.DateTimeField(_("effective from"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["reason", "-effective_from"]
        verbose_name = _("compensation rule")
        verbose_name_plural = _("compensation rules")
        constraints = [
            models.UniqueConstraint(
                fields=["reason", "currency", "effective_from"], name="comp_rule_unique_version"
            ),
            models.CheckConstraint(
                condition=~Q(kind="RATE") | Q(rate_bps__isnull=False, rate_bps__gt=0),
                name="comp_rule_rate_has_rate",
            ),
            models.CheckConstraint(
                condition=~Q(kind="MULTIPLIER") | Q(multiplier__isnull=False, multiplier__gte=1),
                name="comp_rule_multiplier_has_multiplier",
            ),
            models.CheckConstraint(
                condition=Q(minimum_minor__isnull=True) | Q(minimum_minor__gte=0),
                name="comp_rule_minimum_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(minimum_minor__isnull=True)
                | Q(maximum_minor__isnull=True)
                | Q(minimum_minor__lte=models.F("maximum_minor")),
                name="comp_rule_minimum_lte_maximum",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """How an award cites it: the reason and the version's start (UTC date)."""
        return f"{self.reason}@{self.effective_from:%Y-%m-%d}"


class Claim(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="claims")
    external_ref = models.CharField(_("partner's reference"), max_length=100)
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="claims")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.NEGOTIATING
    )
    outcome = models.CharField(
        _("outcome"), max_length=14, choices=Outcome.choices, null=True, blank=True
    )
    order_ref = models.CharField(_("order reference"), max_length=100)
    order_paid_minor = models.BigIntegerField(_("order paid"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    order_paid_at = models.DateTimeField(_("order paid at"))
    order_shipped_at = models.DateTimeField(_("order shipped at"), null=True, blank=True)
    consumer_ref = models.CharField(_("consumer reference"), max_length=100)
    description = models.TextField(_("description"), max_length=5000)
    requested_minor = models.BigIntegerField(_("requested"), null=True, blank=True)
    compensation_minor = models.BigIntegerField(
        _("compensation"), help_text=_("The estimate until decided, then the award.")
    )
    rule = models.ForeignKey(
        CompensationRule, on_delete=models.PROTECT, related_name="claims", verbose_name=_("rule")
    )
    computation_en = models.TextField(_("computation (English)"))
    computation_zh = models.TextField(_("computation (Chinese)"))
    # The same arithmetic as facts, rendered in the reader's language by the pages
    # (claims.domain.computation_texts); {} on claims filed before it was stored.
    computation_facts = models.JSONField(_("computation facts"), default=dict, blank=True)
    hold_public_id = models.UUIDField(_("hold"), null=True, blank=True)
    respond_by = models.DateTimeField(_("respond by"), null=True, blank=True)
    filed_at = models.DateTimeField(_("filed at"))
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    ended_at = models.DateTimeField(
        _("ended at"), null=True, blank=True, help_text=_("Settled or withdrawn.")
    )
    # Deadlines once escalated (domain.md §6.1): each side's evidence window, the review target,
    # then the merchant's one appeal. `respond_by` is the negotiation answer only.
    consumer_evidence_by = models.DateTimeField(_("consumer's evidence by"), null=True, blank=True)
    merchant_evidence_by = models.DateTimeField(_("merchant's evidence by"), null=True, blank=True)
    decide_by = models.DateTimeField(
        _("decide by"), null=True, blank=True, help_text=_("The review target for ops.")
    )
    appeal_by = models.DateTimeField(_("appeal by"), null=True, blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_note = models.TextField(_("appeal grounds"), max_length=5000, blank=True)
    appeal_outcome = models.CharField(
        _("appeal outcome"),
        max_length=14,
        choices=APPEAL_OUTCOME_CHOICES,
        null=True,
        blank=True,
    )
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, help_text=_("The appeal decided or its window over.")
    )
    evidence_closed_at = models.DateTimeField(
        _("evidence closed at"),
        null=True,
        blank=True,
        help_text=_("When the deadline task closed the evidence windows; ops decide from here."),
    )
    # Kept by save() from the status and the deadlines (claims.domain.deadlines.next_deadline_at):
    # the deadline scan reads one partial index instead of one per deadline.
    next_deadline_at = models.DateTimeField(
        _("next deadline"), null=True, blank=True, editable=False
    )
    # Ops look at it before acting on it: the consumer was flagged for malicious complaints
    # (domain.md §6.1), when the claim was open or filed while the flag stood.
    needs_review = models.BooleanField(_("needs ops review"), default=False)
    review_reason = models.CharField(_("why it needs review"), max_length=300, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "external_ref"], name="claim_external_ref_unique_per_partner"
            ),
            models.CheckConstraint(
                condition=Q(order_paid_minor__gt=0), name="claim_order_paid_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(compensation_minor__gte=0), name="claim_compensation_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(requested_minor__isnull=True) | Q(requested_minor__gt=0),
                name="claim_requested_gt_0",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=DECIDED_STATUSES, outcome__isnull=False, decided_at__isnull=False)
                    | (
                        ~Q(status__in=DECIDED_STATUSES)
                        & Q(outcome__isnull=True, decided_at__isnull=True)
                    )
                ),
                name="claim_outcome_exactly_when_decided",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=REVIEWED_STATUSES) | Q(escalated_at__isnull=False),
                name="claim_reviewed_was_escalated",
            ),
            models.CheckConstraint(
                condition=Q(outcome__isnull=True)
                | Q(outcome="REJECTED", compensation_minor=0)
                | (~Q(outcome="REJECTED") & Q(compensation_minor__gt=0)),
                name="claim_award_matches_outcome",
            ),
            models.CheckConstraint(
                condition=Q(appealed_at__isnull=True) | Q(status__in=["APPEALED", "CLOSED"]),
                name="claim_appealed_only_when_decided",
            ),
            models.CheckConstraint(
                condition=Q(appeal_outcome__isnull=True)
                | Q(status="CLOSED", appealed_at__isnull=False),
                name="claim_appeal_outcome_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "consumer_ref", "order_paid_at"], name="claim_cap_idx"),
            models.Index(fields=["partner", "-filed_at", "-id"], name="claim_partner_list_idx"),
            # The deadline scan: only claims with something scheduled (most are settled,
            # withdrawn or closed and stay out of it).
            models.Index(
                fields=["next_deadline_at", "id"],
                name="claim_next_deadline_idx",
                condition=Q(next_deadline_at__isnull=False),
            ),
            # The ops overview counts the claims still moving by status and the queue by its
            # deadline: a few among every claim ever filed (most end settled or closed).
            models.Index(
                fields=["status", "decide_by", "appealed_at"],
                name="claim_open_status_idx",
                condition=Q(status__in=["NEGOTIATING", "IN_REVIEW", "APPEALED", "DECIDED"]),
            ),
        ]

    def __str__(self) -> str:
        # The admin's page title and links: reason and status as people read them.
        return f"{self.external_ref} ({self.get_reason_display()}, {self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep `next_deadline_at` in step with the status and the deadlines on every save, so a
        service that moves a claim or a deadline (in this slice or another) cannot leave the scan
        a stale row: a save with `update_fields` naming any of them writes it too. (A
        QuerySet.update() bypasses this: services change claims through save().)"""
        self.next_deadline_at = deadline_rules.next_deadline_at(self.deadline_state())
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "next_deadline_at" not in update_fields:
            if set(update_fields) & _DEADLINE_INPUTS:
                kwargs["update_fields"] = [*update_fields, "next_deadline_at"]
        super().save(*args, **kwargs)

    def computation_text(self) -> str:
        """The computation as the reader should see it, in the active language."""
        return computation_texts.computation_text(
            self.computation_facts, self.computation_en, self.computation_zh
        )

    def deadline_state(self) -> deadline_rules.DeadlineState:
        return deadline_rules.DeadlineState(
            status=self.status,
            reason=self.reason,
            order_paid_at=self.order_paid_at,
            order_shipped_at=self.order_shipped_at,
            respond_by=self.respond_by,
            consumer_evidence_by=self.consumer_evidence_by,
            merchant_evidence_by=self.merchant_evidence_by,
            evidence_closed_at=self.evidence_closed_at,
            decide_by=self.decide_by,
            appeal_by=self.appeal_by,
        )


_DEADLINE_INPUTS = {
    "status",
    "reason",
    "order_paid_at",
    "order_shipped_at",
    "respond_by",
    "consumer_evidence_by",
    "merchant_evidence_by",
    "evidence_closed_at",
    "decide_by",
    "appeal_by",
}


class ClaimEvent(models.Model):
    """The timeline: every step of a claim with who did it and when.

    `note` is what a person wrote, kept as typed. What the system wrote for the record is in
    `system_notes` ([{"code", "params"}], claims.domain.event_texts), rendered in the reader's
    language when read, never frozen in the language of the moment it was written.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.CharField(_("actor"), max_length=10, choices=Actor.choices)
    actor_label = models.CharField(
        _("who"), max_length=200, blank=True, help_text=_("The partner, user or task by name.")
    )
    action = models.CharField(_("action"), max_length=40)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    system_notes = models.JSONField(_("system notes"), default=list, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("claim event")
        verbose_name_plural = _("claim events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"

    def text(self, *, skip: frozenset[str] = frozenset()) -> str:
        """The person's note, then the system's lines in the active language."""
        lines = [self.note] if self.note else []
        return "\n".join(lines + event_texts.render_all(self.system_notes or [], skip=skip))


class ClaimFunding(models.Model):
    """Who paid part of an award, and the ledger transaction that moved it."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="funding")
    source = models.CharField(_("source"), max_length=16, choices=FundingSource.choices)
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    transaction_public_id = models.UUIDField(_("ledger transaction"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("claim funding")
        verbose_name_plural = _("claim funding")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="claim_funding_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.amount_minor} {self.currency}"

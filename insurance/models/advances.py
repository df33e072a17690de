"""Advances and recoveries (先行垫付 / 追偿): an upheld claim on an insured shop is paid to the
consumer by the insurer, up to the policy's remaining limit, and the merchant owes it back.

Invariants:
- An Advance belongs to one policy and one claim: (policy, claim_ref) is unique, and so is its
  `idempotency_key` (a replay of `policy_advance` finds the row and returns it). It records
  what was asked (`requested_minor`), what the insurer advanced (`amount_minor`, at most the
  policy's remaining limit at that moment) and the rest (`uncovered_minor`, which the caller
  takes from cash, then debt): amount + uncovered = requested. An advance of 0 (the limit was
  used up) is kept as a record of the answer, with no recovery and no ledger entry.
- Every advance of more than 0 has exactly one Recovery (one-to-one), with the same amount and
  currency. `0 ≤ outstanding_minor ≤ amount_minor`; outstanding = amount − Σ repayments.
- A recovery's status moves OPEN → OVERDUE (past `due_at`, compare-and-set), OPEN|OVERDUE →
  REPAID (outstanding reaches 0, `repaid_at` set), or OPEN|OVERDUE → CANCELLED (the claims
  slice, on an upheld appeal); REPAID and CANCELLED are final and take no repayment.
- `due_on` is the advance's Asia/Shanghai date + the product's `recovery_days`; `due_at` is the
  first moment after it (00:00 Shanghai the next day): the recovery is overdue from then.
- A RecoveryRepayment is one payment, `payment_ref` unique among its partner's repayments
  (`payment_partner`, the policy's shop's partner; credited once in the ledger, in the same
  scope, so one partner's reference never collides with, and so never reveals, another's),
  amount > 0, in the recovery's currency, pointing at its ledger transaction.
- Ledger (deposits.services.system_transfer, reference "insurance_policy:<policy public id>"):
  an advance posts INSURER_ADVANCES → COMPENSATION_PAYABLE, a repayment PAYMENTS_CLEARING →
  INSURER_ADVANCES; so for each policy, −balance(INSURER_ADVANCES) = Σ outstanding of its
  recoveries that are not CANCELLED.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES
from insurance.models.underwriting import Policy


class Advance(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="advances")
    claim_ref = models.CharField(_("claim"), max_length=100)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    requested_minor = models.BigIntegerField(_("requested"))
    amount_minor = models.BigIntegerField(_("advanced"))
    uncovered_minor = models.BigIntegerField(_("not covered"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    advanced_at = models.DateTimeField(_("advanced at"))
    ledger_transaction = models.ForeignKey(
        "deposits.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-advanced_at", "-id"]
        verbose_name = _("insurer's advance")
        verbose_name_plural = _("insurer's advances")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "claim_ref"], name="insurance_advance_claim_once_per_policy"
            ),
            models.CheckConstraint(
                condition=Q(
                    requested_minor__gt=0,
                    amount_minor__gte=0,
                    uncovered_minor__gte=0,
                    requested_minor=F("amount_minor") + F("uncovered_minor"),
                ),
                name="insurance_advance_amounts_add_up",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor=0) | Q(ledger_transaction__isnull=False),
                name="insurance_advance_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"advance {self.public_id} ({self.claim_ref})"


class RecoveryStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    OVERDUE = "OVERDUE", _("Overdue")
    REPAID = "REPAID", _("Repaid")
    CANCELLED = "CANCELLED", _("Cancelled")


OUTSTANDING_STATUSES = (RecoveryStatus.OPEN, RecoveryStatus.OVERDUE)


class Recovery(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    advance = models.OneToOneField(Advance, on_delete=models.PROTECT, related_name="recovery")
    # The advance's policy and shop, copied so the scans and the limit read one table.
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="recoveries")
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField(_("amount"))
    outstanding_minor = models.BigIntegerField(_("outstanding"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    due_on = models.DateField(_("due on"))
    due_at = models.DateTimeField(_("overdue from"), db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN
    )
    reminded_3d_at = models.DateTimeField(_("3-day reminder sent"), null=True, blank=True)
    reminded_1d_at = models.DateTimeField(_("1-day reminder sent"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("overdue since"), null=True, blank=True)
    repaid_at = models.DateTimeField(_("repaid at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=Q(status__in=["OPEN", "OVERDUE"]),
                name="recovery_outstanding_due_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RecoveryStatus.values), name="recovery_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    amount_minor__gt=0,
                    outstanding_minor__gte=0,
                    outstanding_minor__lte=F("amount_minor"),
                ),
                name="recovery_outstanding_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="REPAID") | Q(outstanding_minor=0, repaid_at__isnull=False),
                name="recovery_repaid_is_settled",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["REPAID", "CANCELLED"]) | Q(outstanding_minor__gt=0),
                name="recovery_outstanding_while_open",
            ),
        ]

    def __str__(self) -> str:
        return f"recovery {self.public_id} ({self.status})"


class RecoveryRepayment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="repayments")
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    payment_ref = models.CharField(_("payment reference"), max_length=100)
    # Whose reference it is (the policy's shop's partner), the scope `payment_ref` is unique in.
    # NULL (a shop without a partner) is one scope of its own.
    payment_partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the unique index below leads with it
        verbose_name=_("payment reference's partner"),
    )
    ledger_transaction = models.ForeignKey(
        "deposits.LedgerTransaction", on_delete=models.PROTECT, related_name="+"
    )
    repaid_at = models.DateTimeField(_("repaid at"))

    class Meta:
        ordering = ["repaid_at", "id"]
        verbose_name = _("recovery repayment")
        verbose_name_plural = _("recovery repayments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="recovery_repayment_amount_gt_0"
            ),
            models.UniqueConstraint(
                fields=["payment_partner", "payment_ref"],
                condition=Q(payment_partner__isnull=False),
                name="recovery_repayment_ref_per_partner",
            ),
            # Without a partner NULLs would be distinct: those references stay unique together.
            models.UniqueConstraint(
                fields=["payment_ref"],
                condition=Q(payment_partner__isnull=True),
                name="recovery_repayment_ref_no_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"repayment {self.payment_ref}"

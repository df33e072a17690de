"""How an upheld appeal gave an award back (domain.md §6.1 "Appeal upheld").

Invariants:
- Append-only, written once per claim by the appeal decision, in its transaction: one row per
  (funding source, where the money went), each amount > 0 (*), pointing at the NEW ledger
  transaction that moved it (the award's own transactions are never edited).
- Per source, the rows sum to that source's funding rows: DEPOSIT → credited back to the
  deposit; DEBT → the merchant's debt cancelled, or credited to the deposit for the part a
  top-up had paid since; INSURER_ADVANCE → back to the insurer with the recovery cancelled for
  what was still owed, and credited to the deposit for what the merchant had repaid.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from claims.models.claims import Claim, FundingSource
from common.money import CURRENCY_CHOICES


class ReturnedTo(models.TextChoices):
    DEPOSIT = "DEPOSIT", _("Credited to the deposit")
    DEBT_CANCELLED = "DEBT_CANCELLED", _("Merchant's debt cancelled")
    INSURER = "INSURER", _("Returned to the insurer, recovery cancelled")


class ClaimReversal(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="reversals")
    source = models.CharField(_("source"), max_length=16, choices=FundingSource.choices)
    returned_to = models.CharField(_("returned to"), max_length=16, choices=ReturnedTo.choices)
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    transaction_public_id = models.UUIDField(_("ledger transaction"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("claim reversal")
        verbose_name_plural = _("claim reversals")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="claim_reversal_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.amount_minor} {self.currency} → {self.returned_to}"

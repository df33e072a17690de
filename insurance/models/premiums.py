"""The money of a policy's life: premium payments, the e-policy issued once, the surrender.

Invariants:
- A PremiumPayment is one confirmed payment towards one policy's premium, posted to the ledger as
  one PREMIUM transaction (PAYMENTS_CLEARING → INSURANCE_PREMIUMS, reference
  "policy:<public id>"); `payment_ref` is unique per partner (`payment_partner`, the policy's
  shop's partner: a payment credits once, whichever policy, and one partner's reference never
  collides with, so never reveals, another's), and the ledger transaction is one-to-one. The
  payments of a policy sum to its `premium_paid_minor`, which never exceeds its premium; written
  under the policy's row lock.
  Rows are never changed: a mistaken payment is corrected in the ledger, not here.
- A PolicyDocument is the e-policy PDF as issued, one per policy (unique policy), with the
  SHA-256 of its bytes; never updated nor deleted (a PostgreSQL trigger refuses both, and `save`
  refuses an update through the ORM everywhere, SQLite included).
- A PolicySurrender is the one surrender (退保) of a policy (unique policy): the day count and
  refund that `insurance.domain.premium` gave under the policy's lock, and the PREMIUM_REFUND
  transaction (INSURANCE_PREMIUMS → PREMIUM_REFUNDS_PAYABLE) when the refund is above zero.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES
from insurance.models.underwriting import Policy


class PremiumPayment(models.Model):
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="premium_payments")
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    payment_ref = models.CharField(_("payment reference"), max_length=200)
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
    ledger_transaction = models.OneToOneField(
        "deposits.LedgerTransaction", on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid at"))
    # The premium still owed after this payment (0: the one that activated the policy).
    outstanding_after_minor = models.BigIntegerField(_("outstanding after"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("premium payment")
        verbose_name_plural = _("premium payments")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0, outstanding_after_minor__gte=0),
                name="premium_payment_amounts_in_range",
            ),
            models.UniqueConstraint(
                fields=["payment_partner", "payment_ref"],
                condition=Q(payment_partner__isnull=False),
                name="premium_payment_ref_per_partner",
            ),
            # Without a partner NULLs would be distinct: those references stay unique together.
            models.UniqueConstraint(
                fields=["payment_ref"],
                condition=Q(payment_partner__isnull=True),
                name="premium_payment_ref_no_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_ref} ({self.amount_minor} {self.currency})"


class PolicyDocument(models.Model):
    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="document")
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("e-policy")
        verbose_name_plural = _("e-policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="policy_document_sha256_hex"
            )
        ]

    def __str__(self) -> str:
        return f"e-policy of {self.policy_id} ({self.sha256[:12]}…)"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("An issued e-policy is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("An issued e-policy is never deleted.")


class PolicySurrender(models.Model):
    policy = models.OneToOneField(Policy, on_delete=models.PROTECT, related_name="surrender")
    surrendered_at = models.DateTimeField(_("surrendered at"))
    surrendered_on = models.DateField(_("surrender day (Asia/Shanghai)"))
    used_days = models.PositiveIntegerField(_("used days"))
    term_days = models.PositiveIntegerField(_("term days"))
    refund_minor = models.BigIntegerField(_("refund"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    computation_en = models.TextField(_("computation (English)"))
    computation_zh = models.TextField(_("computation (Chinese)"))
    ledger_transaction = models.OneToOneField(
        "deposits.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("surrender")
        verbose_name_plural = _("surrenders")
        constraints = [
            models.CheckConstraint(
                condition=Q(refund_minor__gte=0, used_days__lte=F("term_days")),
                name="policy_surrender_figures_in_range",
            ),
            models.CheckConstraint(
                condition=Q(refund_minor=0) | Q(ledger_transaction__isnull=False),
                name="policy_surrender_refund_posted",
            ),
        ]

    def __str__(self) -> str:
        return f"surrender of {self.policy_id} on {self.surrendered_on}"

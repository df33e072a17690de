"""Where a withdrawal's money goes after it leaves the deposit: the payout.

A withdrawal posts deposit → WITHDRAWALS_PAYABLE at once (the ledger); the payment provider then
pays it to the account bound to the shop. These rows trace that second half.

Invariants:
- One `Withdrawal` per posted WITHDRAWAL transaction, created in the same database transaction
  as the posting (`deposits.services.deposit_withdraw`); its `reference` ("WD-2026-000123", the
  year of the request in China time and the transaction's number) is unique and never changes:
  it is what the merchant quotes to support and what the provider echoes back.
- `status` moves REQUESTED → SENT → PAID, or REQUESTED/SENT → FAILED (with a reason), each step a
  compare-and-set in `deposits.services.payouts`; PAID and FAILED are final. A FAILED payout's
  money is put back into the deposit by a reversal of the withdrawal (`reversal`).
- `bank_account_tail` is the last four digits of the account it is paid to, copied from the
  shop's `PayoutAccount` when requested (the provider may correct it when it sends), never more:
  the full number is the provider's to keep.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES


class PayoutAccount(models.Model):
    """The account the payment provider pays a shop's withdrawals to (as the provider reported
    it when the merchant bound it): only a bank name and the last four digits are kept."""

    shop = models.OneToOneField(
        "shops.Shop", on_delete=models.CASCADE, related_name="payout_account"
    )
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    account_tail = models.CharField(_("account ends in"), max_length=4)
    bound_at = models.DateTimeField(_("bound at"))

    class Meta:
        verbose_name = _("payout account")
        verbose_name_plural = _("payout accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(account_tail__regex=r"^[0-9]{4}$"), name="payout_account_tail_4_digits"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bank_name} ···{self.account_tail}".strip()


class Withdrawal(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "REQUESTED", _("Requested")
        SENT = "SENT", _("Sent to the bank")
        PAID = "PAID", _("Paid")
        FAILED = "FAILED", _("Failed, returned to the deposit")

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    transaction = models.OneToOneField(
        "deposits.LedgerTransaction", on_delete=models.PROTECT, related_name="withdrawal"
    )
    account = models.ForeignKey(
        "deposits.Account", on_delete=models.PROTECT, related_name="withdrawals"
    )
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        _("payout status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    bank_account_tail = models.CharField(_("account ends in"), max_length=4, blank=True)
    provider_ref = models.CharField(_("provider's payout reference"), max_length=100, blank=True)
    failure_reason = models.CharField(_("why it failed"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    reversal = models.OneToOneField(
        "deposits.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_withdrawal",
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        indexes = [models.Index(fields=["account", "-requested_at"], name="withdrawal_account_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="withdrawal_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(status__in=["REQUESTED", "SENT", "PAID", "FAILED"]),
                name="withdrawal_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="FAILED") | ~Q(failure_reason=""),
                name="withdrawal_failure_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

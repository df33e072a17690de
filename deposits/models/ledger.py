"""The double-entry deposit ledger.

Invariants (each enforced by PostgreSQL, not only by Python; see the migration's SQL):
- Every money movement is one LedgerTransaction with two or more Entries summing to zero per
  currency (deferred constraint trigger `ledger_entries_balance`).
- Entries and transactions are append-only: triggers reject UPDATE and DELETE of entries, and any
  UPDATE/DELETE of a transaction. Mistakes are corrected by a reversing transaction that points at
  the one it reverses (at most one reversal each: unique `reverses`).
- A deposit account caches `posted_minor` (cash the merchant has paid in), `held_minor` (reserved
  by active holds) and `debt_minor` (what the merchant owes after a deduction larger than the
  deposit). CHECK constraints keep posted − held ≥ 0, held ≥ 0, debt ≥ 0. Only the posting
  function writes these columns, under the account's row lock: `deposits_post` in SQL on
  PostgreSQL (deposits/sql/posting_v2.sql), `deposits.services.posting_orm` on SQLite.
- Each deposit-account entry records `balance_after_minor` for its bucket (POSTED or DEBT), so the
  history is a gap-free chain that `ledger_check` verifies.
- System accounts (payments clearing, compensation payable…) keep no cached balance: one hot row
  updated by every posting would serialise the whole ledger (stack.md); their balances are sums.
- Every transaction has an idempotency key, unique in the database. A refused operation is stored
  too (status FAILED with its error code), so a retried key keeps failing the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.models import ActionManager, FourEyesRequest, RequestStatus
from common.money import CURRENCY_CHOICES
from common.templatetags.money import money
from deposits.domain.coverage import Coverage, coverage_of


class SystemAccount(models.TextChoices):
    PAYMENTS_CLEARING = "PAYMENTS_CLEARING", _("Payments clearing")
    COMPENSATION_PAYABLE = "COMPENSATION_PAYABLE", _("Consumer compensation payable")
    WITHDRAWALS_PAYABLE = "WITHDRAWALS_PAYABLE", _("Withdrawals payable")
    REFUNDS_PAYABLE = "REFUNDS_PAYABLE", _("Exit refunds payable")
    INSURER_RECEIVABLE = "INSURER_RECEIVABLE", _("Insurer receivable")
    PENALTIES = "PENALTIES", _("Penalties and forfeitures")
    ADJUSTMENTS = "ADJUSTMENTS", _("Manual adjustments")
    # Performance insurance (保证金履约险): its money never touches a deposit account (domain
    # §5.1); it moves between these through deposits.services.transfers.system_transfer.
    INSURANCE_PREMIUMS = "INSURANCE_PREMIUMS", _("Insurance premiums held for insurers")
    PREMIUM_REFUNDS_PAYABLE = "PREMIUM_REFUNDS_PAYABLE", _("Premium refunds payable")
    INSURER_ADVANCES = "INSURER_ADVANCES", _("Insurer advances to recover from merchants")


class Account(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "DEPOSIT", _("Shop deposit")
        SYSTEM = "SYSTEM", _("System")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    shop = models.OneToOneField(
        "shops.Shop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deposit_account",
    )
    system_code = models.CharField(
        _("system account"), max_length=30, choices=SystemAccount.choices, blank=True, default=""
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    posted_minor = models.BigIntegerField(_("posted"), default=0, editable=False)
    held_minor = models.BigIntegerField(_("held"), default=0, editable=False)
    debt_minor = models.BigIntegerField(_("debt"), default=0, editable=False)
    # The requirement and guarantees are cached here so that a withdrawal's shortfall check and
    # the shortfall scan read one row; deposits.services.requirements keeps them current.
    required_minor = models.BigIntegerField(_("required"), default=0, editable=False)
    requirement_basis = models.JSONField(_("why this requirement"), default=dict, editable=False)
    guaranteed_minor = models.BigIntegerField(_("guaranteed"), default=0, editable=False)
    recent_gmv_minor = models.BigIntegerField(
        _("recent sales (GMV)"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Reported by the marketplace; used only when a GMV schedule is enabled."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(posted_minor__gte=F("held_minor")), name="account_available_gte_0"
            ),
            models.CheckConstraint(condition=Q(held_minor__gte=0), name="account_held_gte_0"),
            models.CheckConstraint(condition=Q(debt_minor__gte=0), name="account_debt_gte_0"),
            models.CheckConstraint(
                condition=Q(required_minor__gte=0, guaranteed_minor__gte=0),
                name="account_requirement_gte_0",
            ),
            models.CheckConstraint(
                condition=(Q(kind="DEPOSIT", shop__isnull=False, system_code=""))
                | (
                    Q(kind="SYSTEM", shop__isnull=True, posted_minor=0, held_minor=0, debt_minor=0)
                    & ~Q(system_code="")
                ),
                name="account_kind_shape",
            ),
            models.UniqueConstraint(
                fields=["system_code", "currency"],
                condition=Q(kind="SYSTEM"),
                name="account_one_system_account_per_currency",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.SYSTEM:
            return f"{self.get_system_code_display()} ({self.currency})"
        return str(_("Deposit of %(shop)s") % {"shop": self.shop})

    @property
    def coverage(self) -> Coverage:
        """The coverage rule applied to this row's balances (deposits.domain.coverage)."""
        return coverage_of(self)

    @property
    def available_minor(self) -> int:
        return self.coverage.available_minor

    @property
    def shortfall_minor(self) -> int:
        return self.coverage.shortfall_minor


class TransactionKind(models.TextChoices):
    TOP_UP = "TOP_UP", _("Top-up (充值)")
    DEDUCTION = "DEDUCTION", _("Deduction (扣款)")
    HOLD = "HOLD", _("Hold placed")
    HOLD_CAPTURE = "HOLD_CAPTURE", _("Hold captured")
    HOLD_RELEASE = "HOLD_RELEASE", _("Hold released (解冻)")
    HOLD_EXPIRY = "HOLD_EXPIRY", _("Hold expired")
    WITHDRAWAL = "WITHDRAWAL", _("Withdrawal of surplus")
    REFUND = "REFUND", _("Refund on exit (保证金退款)")
    FORFEIT = "FORFEIT", _("Forfeiture (罚没)")
    ADJUSTMENT = "ADJUSTMENT", _("Manual adjustment")
    REVERSAL = "REVERSAL", _("Reversal (撤销)")
    PREMIUM = "PREMIUM", _("Insurance premium (保费)")
    PREMIUM_REFUND = "PREMIUM_REFUND", _("Premium refund on surrender (退保退费)")
    INSURER_ADVANCE = "INSURER_ADVANCE", _("Insurer's advance to a consumer (先行垫付)")
    RECOVERY_REPAYMENT = "RECOVERY_REPAYMENT", _("Repayment of an insurer's advance (追偿还款)")


class LedgerTransaction(models.Model):
    """One operation on one deposit account: a posting (with entries) or a hold step (without).

    Also the idempotency record: `idempotency_key` is unique and `fingerprint` hashes the
    operation's parameters, so a replay is recognised and a reuse with other parameters refused.
    """

    class Status(models.TextChoices):
        POSTED = "POSTED", _("Posted")
        FAILED = "FAILED", _("Refused")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Unique by the constraint below, not `unique=True`, which on PostgreSQL also builds a second
    # (LIKE) index that no query uses and every posting would pay for (docs/benchmarks.md).
    idempotency_key = models.CharField(_("idempotency key"), max_length=300)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    error_code = models.CharField(_("error code"), max_length=50, blank=True)
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,  # ledger_tx_account_idx leads with it
    )
    amount_minor = models.BigIntegerField(_("requested amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    # A confirmed payment credits the deposit once, whatever idempotency key the caller used.
    payment_ref = models.CharField(_("payment reference"), max_length=200, null=True, blank=True)
    # Whose payment reference it is: the deposit's shop's partner, written with the posting. A
    # reference is unique per partner, so that one partner's reference never collides with (and
    # so never reveals) another's; insurance's system transfers pass the paying shop's partner.
    # NULL (no partner: ops' references) is one scope.
    payment_partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the unique index below leads with it
        verbose_name=_("payment reference's partner"),
    )
    hold = models.ForeignKey(
        "deposits.Hold",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        db_index=False,  # partial index below: most postings have no hold
    )
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # partial index below: partners' postings have no actor
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        constraints = [
            # The name PostgreSQL gave the column's UNIQUE when it was `unique=True`.
            models.UniqueConstraint(
                fields=["idempotency_key"], name="deposits_ledgertransaction_idempotency_key_key"
            ),
            models.UniqueConstraint(
                fields=["payment_partner", "payment_ref"],
                condition=Q(
                    payment_ref__isnull=False, payment_partner__isnull=False, status="POSTED"
                ),
                name="ledger_tx_payment_ref_per_partner",
            ),
            # Without a partner NULLs would be distinct: those references stay unique together.
            models.UniqueConstraint(
                fields=["payment_ref"],
                condition=Q(
                    payment_ref__isnull=False, payment_partner__isnull=True, status="POSTED"
                ),
                name="ledger_tx_payment_ref_no_partner",
            ),
            models.CheckConstraint(
                condition=Q(status="POSTED", error_code="")
                | Q(status="FAILED") & ~Q(error_code=""),
                name="ledger_tx_failure_has_code",
            ),
        ]
        # Every index is paid for by every posting: the foreign keys that are mostly NULL are
        # indexed only where set (enough for PROTECT's lookups and the admin's filters).
        indexes = [
            models.Index(fields=["account", "-id"], name="ledger_tx_account_idx"),
            models.Index(
                fields=["hold"], condition=Q(hold__isnull=False), name="ledger_tx_hold_idx"
            ),
            models.Index(
                fields=["actor"], condition=Q(actor__isnull=False), name="ledger_tx_actor_idx"
            ),
            # A reference looked up on its own: the posting function's duplicate check after a
            # conflict (its partner compared with IS NOT DISTINCT FROM, which neither partial
            # unique index above can serve) and reconciliation, whose provider file names no
            # partner. Without it both read every transaction (deposits 0023). Only postings
            # with a reference (top-ups) write it.
            models.Index(
                fields=["payment_ref"],
                condition=Q(payment_ref__isnull=False),
                name="ledger_tx_payment_ref_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Entry(models.Model):
    class Bucket(models.TextChoices):
        POSTED = "POSTED", _("Deposit balance")
        DEBT = "DEBT", _("Merchant debt")

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,  # the three indexes below lead with it
    )
    bucket = models.CharField(_("bucket"), max_length=10, choices=Bucket.choices)
    # Signed from the account's point of view: credits (money in the merchant's favour) positive.
    # A DEBT-bucket entry of −40 means the merchant now owes 40 more.
    amount_minor = models.BigIntegerField(_("amount"))
    balance_after_minor = models.BigIntegerField(_("balance after"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # partial index below
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="entry_amount_nonzero"),
        ]
        indexes = [
            models.Index(fields=["account", "bucket", "id"], name="entry_account_chain_idx"),
            # The statement and the coverage chart: one shop's entries by date in ledger order,
            # the sums of amounts before a date and the per-day sums by kind and bucket, read
            # from the index alone (the columns they need included) for 100,000 entries.
            models.Index(
                fields=["account", "occurred_at", "id"],
                include=["amount_minor", "bucket", "kind", "transaction"],
                name="entry_statement_idx",
            ),
            # The dashboard's ledger, newest first across both buckets: without it PostgreSQL
            # walks the primary key backwards past every other account's entries.
            models.Index(fields=["account", "-id"], name="entry_account_recent_idx"),
            models.Index(
                fields=["actor"], condition=Q(actor__isnull=False), name="entry_actor_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Hold(models.Model):
    """A reservation on the deposit for an open claim: ACTIVE, then exactly one of CAPTURED (in
    full or part; the rest is released), RELEASED or EXPIRED. Resolution is a compare-and-set on
    `status`, so a capture racing the expiry sweeper resolves the hold once."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("Active")
        CAPTURED = "CAPTURED", _("Captured")
        RELEASED = "RELEASED", _("Released")
        EXPIRED = "EXPIRED", _("Expired")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="holds")
    amount_minor = models.BigIntegerField(_("amount"))
    captured_minor = models.BigIntegerField(_("captured"), default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    reason = models.CharField(_("reason"), max_length=300)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(_("created at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="hold_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(captured_minor__gte=0, captured_minor__lte=F("amount_minor")),
                name="hold_captured_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status="ACTIVE", resolved_at__isnull=True, captured_minor=0)
                | (~Q(status="ACTIVE") & Q(resolved_at__isnull=False)),
                name="hold_resolution_shape",
            ),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="ACTIVE"), name="hold_active_expiry_idx"
            )
        ]

    def __str__(self) -> str:
        return str(_("Hold #%(id)s") % {"id": self.pk})


class AdjustmentRequest(FourEyesRequest):
    """A manual adjustment waiting for a second person: the four-eyes requests (approvals app)
    of the action "deposits.adjustment", whose subject is the deposit account."""

    ACTION = "deposits.adjustment"
    Status = RequestStatus

    objects = ActionManager(ACTION)

    class Meta:
        proxy = True
        ordering = ["-id"]
        verbose_name = _("adjustment request")
        verbose_name_plural = _("adjustment requests")

    # The names the deposits code and screens used before the requests moved to one table.
    @property
    def account_id(self) -> int | None:
        return self.subject_id

    @property
    def account(self) -> Account:
        return Account.objects.select_related("shop").get(pk=self.subject_id)

    @property
    def requested_by(self) -> Any:
        return self.maker

    @property
    def decided_by(self) -> Any:
        return self.checker

    @property
    def decision_note(self) -> str:
        return self.check_note

    @property
    def transaction(self) -> LedgerTransaction | None:
        transaction_id = (self.result or {}).get("transaction_id")
        return (
            LedgerTransaction.objects.filter(pk=transaction_id).first() if transaction_id else None
        )

    def __str__(self) -> str:
        amount_minor = self.amount_minor or 0
        # A credit says so too: "+¥ 20,000.00" beside a debit's "-¥ 150.00".
        amount = ("+" if amount_minor > 0 else "") + money(amount_minor, self.currency)
        return gettext("Adjustment %(amount)s (%(status)s)") % {
            "amount": amount,
            "status": self.get_status_display(),
        }


class LedgerCheckRun(models.Model):
    """The outcome of each ledger_check, so ops see in the admin when the books last balanced."""

    ok = models.BooleanField()
    summary = models.TextField()
    problems = models.JSONField(default=list)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("ledger check run")
        verbose_name_plural = _("ledger check runs")

    def __str__(self) -> str:
        return f"{'OK' if self.ok else 'FAILED'} {self.started_at:%Y-%m-%d %H:%M}"

"""Reconciliation: our books against themselves and against the counterparties' files.

Three sources of differences: the ledger's own invariants (`ledger_check`), the payment
partner's daily settlement file (top-ups and withdrawals by `payment_ref`) and the insurers'
statements (premiums, advances and recoveries by policy number; matched by insurance, which
may import deposits, see insurance/services/reconciliation.py).

Invariants:
- A file is imported once per source: `(source, sha256)` is unique in PostgreSQL, so the same
  bytes uploaded again find the first import and change nothing. An import is written whole
  (its lines in the same transaction) or not at all; `line_count` is the number of its lines.
  Imports and lines are never changed afterwards.
- A line is unique per `(import, line_no)` and carries its counterparty's `stream`
  ("PAYMENT_PARTNER", or "INSURER:<partner id>"), so the statements of one counterparty are read
  together. For a day, the counterparty's statement is the *latest* import of that stream that
  has lines for the day (a corrected file supersedes the earlier one for the days it covers).
- A difference is never fixed silently: each becomes one ReconciliationItem, unique by its `key`
  (source, kind of difference and the rows it is about), so running a match again finds the
  same item (its `last_seen_at` moves) and never raises a second one. Only the item services
  change an item, each writing a ReconciliationItemEvent (who, when, from → to, note): the
  item's audit trail, append-only.
- States: OPEN → INVESTIGATING → RESOLVED (with a note) or WRITTEN_OFF (with a note); OPEN may go
  straight to either end. A closed item has `closed_at`, `closed_by` and a note (CHECK).
- A ReconciliationRun records each pass (ledger check, a day's match): when, what triggered it,
  how many rows it read on each side, how many matched, differences found and new items.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.money import CURRENCY_CHOICES


class ReconciliationSource(models.TextChoices):
    LEDGER = "LEDGER", _("Ledger check")
    PAYMENT_PARTNER = "PAYMENT_PARTNER", _("Payment partner settlement")
    INSURER = "INSURER", _("Insurer statement")


FILE_SOURCES = (ReconciliationSource.PAYMENT_PARTNER, ReconciliationSource.INSURER)


class SettlementImport(models.Model):
    source = models.CharField(
        _("source"),
        max_length=20,
        choices=[(s.value, s.label) for s in FILE_SOURCES],
    )
    # The insurer whose statement this is (policy numbers are unique per insurer); none for the
    # payment partner's file.
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("insurer"),
    )
    stream = models.CharField(_("counterparty"), max_length=40, editable=False)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    line_count = models.PositiveIntegerField(_("lines"))
    first_date = models.DateField(_("first day"))
    last_date = models.DateField(_("last day"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_via = models.CharField(_("uploaded via"), max_length=100, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("settlement file")
        verbose_name_plural = _("settlement files")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "sha256"], name="settlement_import_file_once"
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="settlement_import_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(source="PAYMENT_PARTNER", partner__isnull=True)
                | Q(source="INSURER", partner__isnull=False),
                name="settlement_import_insurer_named",
            ),
            models.CheckConstraint(
                condition=Q(last_date__gte=models.F("first_date")),
                name="settlement_import_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.first_date}…{self.last_date})"


class SettlementLine(models.Model):
    class Kind(models.TextChoices):
        TOP_UP = "TOP_UP", _("Top-up")
        WITHDRAWAL = "WITHDRAWAL", _("Withdrawal")
        PREMIUM = "PREMIUM", _("Premium")
        ADVANCE = "ADVANCE", _("Advance")
        RECOVERY = "RECOVERY", _("Recovery repayment")

    class Status(models.TextChoices):
        SUCCESS = "SUCCESS", _("Success")
        FAILED = "FAILED", _("Failed")

    settlement_import = models.ForeignKey(
        SettlementImport, on_delete=models.PROTECT, related_name="lines"
    )
    stream = models.CharField(_("counterparty"), max_length=40)
    line_no = models.PositiveIntegerField(_("line"))
    business_date = models.DateField(_("day"))
    reference = models.CharField(_("reference"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, blank=True)

    class Meta:
        ordering = ["settlement_import", "line_no"]
        verbose_name = _("settlement line")
        verbose_name_plural = _("settlement lines")
        constraints = [
            models.UniqueConstraint(
                fields=["settlement_import", "line_no"], name="settlement_line_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="settlement_line_amount_gt_0"
            ),
        ]
        indexes = [
            models.Index(fields=["stream", "business_date"], name="settlement_line_day_idx"),
            models.Index(fields=["stream", "reference"], name="settlement_line_ref_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.business_date}, line {self.line_no})"


class ReconciliationRun(models.Model):
    class Trigger(models.TextChoices):
        DAILY = "DAILY", _("Daily job")
        IMPORT = "IMPORT", _("File import")
        MANUAL = "MANUAL", _("By hand")

    source = models.CharField(_("source"), max_length=20, choices=ReconciliationSource.choices)
    stream = models.CharField(_("counterparty"), max_length=40, blank=True)
    business_date = models.DateField(_("day"), null=True, blank=True)
    trigger = models.CharField(_("triggered by"), max_length=10, choices=Trigger.choices)
    settlement_import = models.ForeignKey(
        SettlementImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("settlement file"),
    )
    ledger_check_run = models.ForeignKey(
        "deposits.LedgerCheckRun", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Did the counterparty's statement for the day exist? (None for the ledger's own check.)
    has_statement = models.BooleanField(_("counterparty's file present"), null=True, blank=True)
    their_rows = models.PositiveIntegerField(_("their rows"), default=0)
    our_rows = models.PositiveIntegerField(_("our rows"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    differences = models.PositiveIntegerField(_("differences"), default=0)
    new_items = models.PositiveIntegerField(_("new items"), default=0)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")

    def __str__(self) -> str:
        day = f" {self.business_date}" if self.business_date else ""
        return f"{self.get_source_display()}{day} ({self.started_at:%Y-%m-%d %H:%M})"


class ReconciliationItem(models.Model):
    class Kind(models.TextChoices):
        MISSING_OURS = "MISSING_OURS", _("Missing on our side")
        MISSING_THEIRS = "MISSING_THEIRS", _("Missing on their side")
        AMOUNT_MISMATCH = "AMOUNT_MISMATCH", _("Amount differs")
        CURRENCY_MISMATCH = "CURRENCY_MISMATCH", _("Currency differs")
        STATUS_MISMATCH = "STATUS_MISMATCH", _("Status differs")
        DUPLICATE = "DUPLICATE", _("Duplicate in their file")
        LEDGER_INVARIANT = "LEDGER_INVARIANT", _("Ledger invariant broken")

    class State(models.TextChoices):
        OPEN = "OPEN", pgettext_lazy("reconciliation item", "Open")
        INVESTIGATING = "INVESTIGATING", _("Investigating")
        RESOLVED = "RESOLVED", _("Resolved")
        WRITTEN_OFF = "WRITTEN_OFF", _("Written off")

    key = models.CharField(_("key"), max_length=400, unique=True, editable=False)
    source = models.CharField(_("source"), max_length=20, choices=ReconciliationSource.choices)
    stream = models.CharField(_("counterparty"), max_length=40, blank=True)
    kind = models.CharField(_("difference"), max_length=20, choices=Kind.choices)
    business_date = models.DateField(_("day"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=200)
    subject = models.CharField(_("what"), max_length=40, blank=True)  # TOP_UP, PREMIUM, a check…
    our_amount_minor = models.BigIntegerField(_("our amount"), null=True, blank=True)
    our_currency = models.CharField(_("our currency"), max_length=3, blank=True)
    our_status = models.CharField(_("our status"), max_length=20, blank=True)
    their_amount_minor = models.BigIntegerField(_("their amount"), null=True, blank=True)
    their_currency = models.CharField(_("their currency"), max_length=3, blank=True)
    their_status = models.CharField(_("their status"), max_length=20, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    line = models.ForeignKey(
        SettlementLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("their line"),
    )
    first_run = models.ForeignKey(
        ReconciliationRun, on_delete=models.PROTECT, related_name="items", verbose_name=_("run")
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    note = models.TextField(_("resolution note"), blank=True)
    created_at = models.DateTimeField(_("found at"))
    last_seen_at = models.DateTimeField(_("last found at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("reconciliation item")
        verbose_name_plural = _("reconciliation items")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["OPEN", "INVESTIGATING"], closed_at__isnull=True)
                | (Q(state__in=["RESOLVED", "WRITTEN_OFF"], closed_at__isnull=False) & ~Q(note="")),
                name="reconciliation_item_closed_with_note",
            ),
            models.CheckConstraint(
                condition=Q(source__in=ReconciliationSource.values),
                name="reconciliation_item_source_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "source"], name="recon_item_state_idx"),
            models.Index(fields=["business_date"], name="recon_item_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reference}"


class ReconciliationItemEvent(models.Model):
    """One step in an item's life, never changed: found, assigned, investigating, resolved,
    written off. `actor` is empty for the job that found it."""

    class Action(models.TextChoices):
        FOUND = "FOUND", _("Found")
        ASSIGNED = "ASSIGNED", _("Assigned")
        INVESTIGATING = "INVESTIGATING", _("Investigation started")
        RESOLVED = "RESOLVED", _("Resolved")
        WRITTEN_OFF = "WRITTEN_OFF", _("Written off")

    item = models.ForeignKey(ReconciliationItem, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("reconciliation item event")
        verbose_name_plural = _("reconciliation item events")

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

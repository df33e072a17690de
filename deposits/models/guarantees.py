"""Guarantees: something that stands in for cash in a shop's deposit coverage.

An insurance policy (保证金履约险) today, a bank guarantee tomorrow: deposits knows only the generic
record, and the app that owns the source (insurance) registers and withdraws it through
`deposits.services.guarantee_register` / `guarantee_withdraw` (architecture.md: deposits never
imports insurance).

Invariants:
- `source_ref` ("insurance_policy:<id>") is unique: a source registers once; a replay with the same
  terms returns the first row, with other terms it is refused.
- A guarantee counts towards coverage while it is ACTIVE and `valid_from <= now < valid_to`.
  `in_coverage` says whether its amount is in the account's cached `guaranteed_minor` right now, and
  `guaranteed_minor == SUM(amount_minor WHERE in_coverage)` for every deposit account. Both are
  written together, only by deposits.services.guarantees, under the account's row lock.
- Status moves ACTIVE → WITHDRAWN (the source ended it) or ACTIVE → EXPIRED (valid_to passed), once;
  `ended_at` is set exactly when the status is not ACTIVE. Rows are never deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES


class Guarantee(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("Active")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn")
        EXPIRED = "EXPIRED", _("Expired")

    class SourceKind(models.TextChoices):
        INSURANCE_POLICY = "INSURANCE_POLICY", _("Performance insurance policy (保证金履约险)")
        BANK_GUARANTEE = "BANK_GUARANTEE", _("Bank guarantee")
        OTHER = "OTHER", _("Other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(
        "deposits.Account", on_delete=models.PROTECT, related_name="guarantees"
    )
    amount_minor = models.BigIntegerField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    valid_from = models.DateTimeField(_("valid from"))
    valid_to = models.DateTimeField(
        _("valid to"), null=True, blank=True, help_text=_("Empty: until withdrawn.")
    )
    source_kind = models.CharField(_("source"), max_length=30, choices=SourceKind.choices)
    source_ref = models.CharField(
        _("source reference"),
        max_length=200,
        unique=True,
        help_text=_("What stands behind it, e.g. insurance_policy:<id>."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    in_coverage = models.BooleanField(
        _("counted in coverage now"),
        default=False,
        editable=False,
        help_text=_("Whether the amount is in the account's cached guaranteed balance."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("registered at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("guarantee")
        verbose_name_plural = _("guarantees")
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="guarantee_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="guarantee_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=Q(status="ACTIVE", ended_at__isnull=True)
                | (~Q(status="ACTIVE") & Q(ended_at__isnull=False, in_coverage=False)),
                name="guarantee_end_shape",
            ),
        ]
        indexes = [
            # The sweeper's two questions: which active guarantees start or end by now.
            models.Index(
                fields=["valid_to"], condition=Q(status="ACTIVE"), name="guarantee_active_to_idx"
            ),
            models.Index(
                fields=["valid_from"],
                condition=Q(status="ACTIVE", in_coverage=False),
                name="guarantee_pending_from_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_kind_display()} {self.source_ref} ({self.status})"

    def in_force_at(self, now: datetime) -> bool:
        return (
            self.status == self.Status.ACTIVE
            and self.valid_from <= now
            and (self.valid_to is None or now < self.valid_to)
        )

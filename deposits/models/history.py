"""The requirement's history: one row each time a shop's required amount changes.

The account caches only the current requirement (`required_minor`); the audit trail leaves it out
on purpose (it moves with every recompute), and rule rows alone cannot say what a shop owed on a
past day once its categories or type changed. So from migration 0015 on, every recompute that
changes an account's amount writes a row here, in the same transaction as the new amount. Before
that, one row per account was backfilled from the cached basis's `computed_at` (the moment the
current amount was last set): what a shop owed before it is not known and is shown as such.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequirementChange(models.Model):
    account = models.ForeignKey(
        "deposits.Account", on_delete=models.PROTECT, related_name="requirement_changes"
    )
    changed_at = models.DateTimeField(_("changed at"))
    required_minor = models.BigIntegerField(_("required"))
    # None: not known (the backfilled first row of an account older than this history).
    previous_minor = models.BigIntegerField(_("required before"), null=True, blank=True)
    # What set the new amount: base, category, gmv, override or closed (the basis's `deciding`).
    deciding = models.CharField(_("set by"), max_length=20, blank=True)
    # The rule change, override or report that caused the recompute, when one was named.
    cause = models.CharField(_("cause"), max_length=300, blank=True)

    class Meta:
        ordering = ["account", "changed_at", "id"]
        verbose_name = _("requirement change")
        verbose_name_plural = _("requirement changes")
        indexes = [
            models.Index(fields=["account", "changed_at", "id"], name="requirement_change_idx")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} @ {self.changed_at:%Y-%m-%d}: {self.required_minor}"

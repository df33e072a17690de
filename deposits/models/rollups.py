"""Each deposit account's ledger summed per calendar day and kind: what the coverage chart and
the statement's balances read instead of every entry (deposits.coverage_history,
deposits.services.rollups).

Why: the chart's per-day sums read every entry of the period (540–790 ms of SQL for 100,000
entries, docs/benchmarks.md) and the statement's balances every entry before the period; a
day's sums hardly ever change once the day is over, the ledger being append-only. Why not kept
by the posting path: that would put a second hot row in every posting (deposits_post stays as it
is), so a beat task (and the `rollup_entries` command) rolls the entries up after the fact, and
readers add what came after the last roll from the entries themselves.

What a roll covers is an **entry id**, not a day: an entry can be posted with a moment in the
past (`occurred_at` is the caller's `now`: a task that ran late, a backdated correction), so a
day that is over can still receive entries. Each account's `EntryRollupMark.through_entry_id`
says that every entry of the account with an id up to it is in the rollup and none above it is.
That is sound because `deposits_post` draws entry ids under the account's row lock and commits
before releasing it (deposits/sql/posting_v3.sql): the highest id a reader sees committed for an
account has no uncommitted entry of that account below it, so nothing can later appear under a
mark.

Invariants:
- Rows are appended, never updated: a roll adds one row per (day, kind) it saw, tagged with the
  roll's mark (`through_entry_id`); a late entry for an old day adds a second row for that day.
  Readers add them up. Unique (account, day, kind, through_entry_id).
- For every account, the rows' sums equal the sums of its entries with `id <= mark`, grouped by
  their day in STATEMENT_TZ (Asia/Shanghai) and kind. `rollup_entries --verify` checks it;
  `rollup_entries --rebuild` recomputes an account from its entries.
- The mark and the rows it covers are written in one transaction, under the mark's row lock, so
  two workers rolling one account at once roll each entry once.
- The days are Asia/Shanghai calendar days (deposits.statement.STATEMENT_TZ): changing that zone
  needs a rebuild.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from deposits.models.ledger import TransactionKind


class EntryDayRollup(models.Model):
    account = models.ForeignKey(
        "deposits.Account",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the unique index below leads with it
        verbose_name=_("account"),
    )
    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    # Sums of the day's entries of this kind, per bucket, signed as entries are.
    posted_minor = models.BigIntegerField(_("deposit balance moved"), default=0)
    debt_minor = models.BigIntegerField(_("debt bucket moved"), default=0)
    # Money in and out as a statement counts it (both buckets): the sums of the positive and of
    # the negative amounts (debits negative, as entries are).
    credits_minor = models.BigIntegerField(_("credits"), default=0)
    debits_minor = models.BigIntegerField(_("debits"), default=0)
    # How many postings (transactions): a deduction beyond the deposit is two entries, one event.
    transactions = models.PositiveIntegerField(_("postings"), default=0)
    entries = models.PositiveIntegerField(_("entries"), default=0)
    # The roll that wrote the row: it covers the account's entries with an id above the previous
    # mark and up to this one.
    through_entry_id = models.BigIntegerField(_("up to entry"))
    rolled_at = models.DateTimeField(_("rolled at"))

    class Meta:
        ordering = ["account", "day", "kind", "through_entry_id"]
        verbose_name = _("ledger day total")
        verbose_name_plural = _("ledger day totals")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "day", "kind", "through_entry_id"],
                name="entry_day_rollup_one_per_roll",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.day} {self.kind}"


class EntryRollupMark(models.Model):
    """How far each account's ledger is rolled up (the highest entry id in the rollup)."""

    account = models.OneToOneField(
        "deposits.Account",
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="+",
        verbose_name=_("account"),
    )
    through_entry_id = models.BigIntegerField(_("up to entry"), default=0)
    rolled_at = models.DateTimeField(_("rolled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ledger rollup mark")
        verbose_name_plural = _("ledger rollup marks")

    def __str__(self) -> str:
        return f"{self.account_id} ≤ #{self.through_entry_id}"

"""One row per day and currency with the deposit book's totals, for the overview's 90-day charts.

Why a table and not the ledger: the chart needs each day's totals, and deriving them from the
ledger on every page view means reading every entry of the last 90 days (millions at a
marketplace's scale). The beat task `deposits.tasks.take_daily_snapshot` rewrites today's row
every hour from the cached account balances (one grouped read), so the last row of a day is the
day's close; `deposits.services.snapshots.daily_snapshots_backfill` derives the days before the
table existed from the ledger and the shortfall cases once.

Invariants: one row per (day, currency) (*unique*); amounts are integer minor units ≥ 0.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.money import CURRENCY_CHOICES


class DailyDepositSnapshot(models.Model):
    day = models.DateField(_("day"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    posted_minor = models.BigIntegerField(_("cash held"), default=0)
    held_minor = models.BigIntegerField(_("on hold"), default=0)
    debt_minor = models.BigIntegerField(_("debt"), default=0)
    guaranteed_minor = models.BigIntegerField(_("guaranteed"), default=0)
    shortfalls_open = models.PositiveIntegerField(_("open shortfalls"), default=0)
    shortfall_minor = models.BigIntegerField(_("shortfall amount"), default=0)
    derived = models.BooleanField(
        _("derived from the ledger"),
        default=False,
        help_text=_("Backfilled for a day before snapshots were taken (holds and guarantees 0)."),
    )
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        ordering = ["day", "currency"]
        verbose_name = _("daily deposit snapshot")
        verbose_name_plural = _("daily deposit snapshots")
        constraints = [
            models.UniqueConstraint(fields=["day", "currency"], name="daily_snapshot_one_per_day"),
            models.CheckConstraint(
                condition=Q(
                    posted_minor__gte=0,
                    held_minor__gte=0,
                    debt_minor__gte=0,
                    guaranteed_minor__gte=0,
                    shortfall_minor__gte=0,
                ),
                name="daily_snapshot_amounts_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.currency}"

"""One row per day and currency with the deposit book's totals and the shops' standing: the ops
overview's figures over every shop (today's row) and its 90-day charts (the earlier rows).

Why a table: a total over every account or every shop is a full scan, ~0.2 s per million rows on
an idle server and seconds on a busy one (bench/overview_bench.py), too slow for a page that
must answer in 300 ms; and a chart from the ledger would read 90 days of entries. The beat task
`deposits.tasks.take_daily_snapshot` rewrites today's row every 5 minutes (two grouped reads), so
the page reads a few rows and says "as of" when; the last row of a day is the day's close.
`deposits.services.snapshots.daily_snapshots_backfill` derives the days before the table existed
from the ledger and the shortfall cases once. Bounded figures (open cases, the claims queue,
four-eyes requests, deliveries) are read live by the overview, not from here.

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
    # Shops of this currency by standing; "closing": closed, the deposit not yet refunded.
    shops_live = models.PositiveIntegerField(_("live shops"), default=0)
    shops_onboarding = models.PositiveIntegerField(_("onboarding shops"), default=0)
    shops_restricted = models.PositiveIntegerField(_("restricted shops"), default=0)
    shops_frozen = models.PositiveIntegerField(_("frozen shops"), default=0)
    shops_closing = models.PositiveIntegerField(_("closing shops"), default=0)
    derived = models.BooleanField(
        _("derived from the ledger"),
        default=False,
        help_text=_(
            "Backfilled for a day before snapshots were taken (holds, guarantees and shops 0)."
        ),
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

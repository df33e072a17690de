"""The daily deposit snapshot behind the ops overview's totals and charts: read-only (beat writes
it every 5 minutes; a derived row was backfilled from the ledger)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, money_column
from deposits.models import DailyDepositSnapshot


@admin.register(DailyDepositSnapshot)
class DailyDepositSnapshotAdmin(ReadOnlyAdmin):
    list_display = [
        "day",
        "currency",
        "posted",
        "held",
        "debt",
        "guaranteed",
        "shortfalls_open",
        "shops_live",
        "derived",
        "taken_at",
    ]
    list_filter = ["currency", "derived"]
    date_hierarchy = "day"
    ordering = ["-day", "currency"]
    posted = money_column("posted_minor", _("cash held"))
    held = money_column("held_minor", _("on hold"))
    debt = money_column("debt_minor", _("debt"))
    guaranteed = money_column("guaranteed_minor", _("guaranteed"))

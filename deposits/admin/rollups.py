"""The ledger's day totals behind the coverage chart and the statement's balances: read-only
(the nightly task and `manage.py rollup_entries` write them; `--verify` checks them)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from common.admin import ReadOnlyAdmin, money_column
from deposits.models import EntryDayRollup, EntryRollupMark


@admin.register(EntryDayRollup)
class EntryDayRollupAdmin(ReadOnlyAdmin):
    list_display = [
        "account",
        "day",
        "kind",
        "posted",
        "debt",
        "transactions",
        "entries",
        "through_entry_id",
        "rolled_at",
    ]
    list_filter = ["kind"]
    list_select_related = ["account__shop"]
    search_fields = ["=account__id", "account__shop__name"]
    date_hierarchy = "day"
    ordering = ["-day", "account", "kind"]
    show_full_result_count = False
    posted = money_column("posted_minor", _("deposit balance moved"), currency="account.currency")
    debt = money_column("debt_minor", _("debt bucket moved"), currency="account.currency")


@admin.register(EntryRollupMark)
class EntryRollupMarkAdmin(ReadOnlyAdmin):
    list_display = ["account", "through_entry_id", "rolled_at"]
    list_select_related = ["account__shop"]
    search_fields = ["=account__id", "account__shop__name"]
    ordering = ["-rolled_at"]
    show_full_result_count = False

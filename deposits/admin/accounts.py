"""A shop's deposit account: its balances, ledger and holds on one page, and the actions that
move its money (each one service call with the acting user and a reason)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from approvals.models import FourEyesRequest, RequestWhy
from common.admin import (
    ON_STATEMENT,
    OPERATE,
    AmountReasonActionForm,
    ReadOnlyAdmin,
    ReadOnlyInline,
    action_reason,
    apply_to_each,
    money_column,
    money_text,
    service_action,
)
from common.money import Money
from deposits import services
from deposits.models import Account, AdjustmentRequest, Entry, Hold
from deposits.selectors import ACCOUNT_BALANCE_FILTERS, requirement_explanation


class EntryInline(ReadOnlyInline):
    model = Entry
    fk_name = "account"
    ordering = ["-id"]
    fields = ["occurred_at", "kind", "bucket", "amount", "balance_after", "reason", "reference"]
    verbose_name_plural = _("Ledger entries (newest first)")
    amount = money_column("amount_minor", _("amount"))
    balance_after = money_column("balance_after_minor", _("balance after"))


class HoldInline(ReadOnlyInline):
    model = Hold
    fields = ["status", "amount", "captured", "reason", "reference", "expires_at"]
    amount = money_column("amount_minor", _("amount"))
    captured = money_column("captured_minor", _("captured"))


class BalanceFilter(admin.SimpleListFilter):
    """Accounts holding money or in debt (the ops overview links its money figures here)."""

    title = _("balance")
    parameter_name = "balance"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("holding", _("Holds money")), ("debt", _("In debt"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        condition = ACCOUNT_BALANCE_FILTERS.get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    """Opened with the shop (no add); balances move only through the actions below."""

    list_display = [
        "__str__",
        "kind",
        "currency",
        "required",
        "posted",
        "held",
        "available",
        "debt",
        "shortfall",
    ]
    list_filter = ["kind", "currency", "shop__status", BalanceFilter]
    search_fields = ["shop__name", "shop__external_ref", "shop__public_id", "system_code"]
    list_select_related = ["shop"]
    readonly_fields = [
        "kind",
        "shop",
        "system_code",
        "currency",
        "posted",
        "held",
        "available",
        "debt",
        "required",
        "guaranteed",
        "shortfall",
        "why_required",
        "requirement_basis",
        "recent_gmv_minor",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [HoldInline, EntryInline]
    action_form = AmountReasonActionForm
    actions = ["adjust", "forfeit", "refund_on_exit", "recompute_requirement"]

    held = money_column("held_minor", _("held"))
    available = money_column("available_minor", _("available"), sortable=False)
    debt = money_column("debt_minor", _("debt"))
    required = money_column("required_minor", _("required"))
    guaranteed = money_column("guaranteed_minor", _("guaranteed"))

    # The model's field (the raw JSON, kept below for the record) is already called "why this
    # requirement"; this is the same, in words.
    @admin.display(description=_("why this requirement, in words"))
    def why_required(self, a: Account) -> str:
        """The cached basis in words, as the merchant's dashboard says it (the JSON stays below
        for the record)."""
        if a.kind != Account.Kind.DEPOSIT or not a.requirement_basis:
            return "—"
        explained = requirement_explanation(a.requirement_basis, language=get_language() or "en")
        lines = format_html_join(
            "",
            "<li>{}{} — {} · {}</li>",
            (
                (
                    "★ " if row["deciding"] else "",
                    row["category"],
                    row["rule"],
                    money_text(row["amount_minor"], a.currency),
                )
                for row in explained["rows"]
            ),
        )
        return format_html("<p>{}</p><ul>{}</ul>", explained["text"], lines)

    @admin.display(description=_("posted"))
    def posted(self, a: Account) -> str:
        if a.kind == Account.Kind.SYSTEM:
            # System accounts keep no cached balance (no hot row): show the sum of their entries.
            total = a.entries.aggregate(total=Sum("amount_minor"))["total"] or 0
            return money_text(total, a.currency)
        return money_text(a.posted_minor, a.currency)

    @admin.display(description=_("shortfall"))
    def shortfall(self, a: Account) -> str:
        if a.kind != Account.Kind.DEPOSIT or not a.shortfall_minor:
            return "—"
        return format_html(
            '<b style="color:#b91c1c">{}</b>', money_text(a.shortfall_minor, a.currency)
        )

    @admin.action(
        description=_("Adjust balance by Amount (signed) — reason required"), permissions=OPERATE
    )
    def adjust(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        reason = action_reason(request, ON_STATEMENT, self.opts.verbose_name_plural)
        if reason is None:
            return

        def one(account: Account) -> str:
            amount = Money.parse(request.POST.get("amount", ""), account.currency)
            result = services.deposit_adjust(
                account_id=account.pk,
                amount_minor=amount.amount_minor,
                reason=reason,
                actor=request.user,
                idempotency_key=f"admin-adjust:{uuid.uuid4()}",
                now=timezone.now(),
            )
            if isinstance(result, AdjustmentRequest):
                if result.why == RequestWhy.DAILY_LIMIT:
                    return str(
                        _("past your daily limit of adjustments: waiting for a second person")
                    )
                return str(_("above the approval threshold: waiting for a second person"))
            return str(_("adjusted by %(amount)s") % {"amount": amount})

        apply_to_each(request, queryset, one)

    @admin.action(
        description=_("Forfeit the available deposit (罚没) — reason required"), permissions=OPERATE
    )
    def forfeit(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        if request.POST.get("amount", "").strip():
            # The Amount box serves Adjust; a forfeiture that quietly took everything while ops
            # had typed a smaller amount would be the worst kind of surprise.
            messages.error(
                request,
                _(
                    "A forfeiture takes the whole available deposit: leave Amount empty. To take "
                    "part of it, use Adjust with a negative amount."
                ),
            )
            return
        self._forfeit_each(request, queryset)

    def _forfeit_each(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        reason = action_reason(request, ON_STATEMENT, self.opts.verbose_name_plural)
        if reason is None:
            return

        def one(account: Account) -> str:
            result = services.deposit_forfeit_or_request(
                account_id=account.pk,
                reason=reason,
                actor=request.user,
                idempotency_key=f"admin-forfeit:{uuid.uuid4()}",
                now=timezone.now(),
            )
            if isinstance(result, FourEyesRequest):
                return str(_("above the four-eyes threshold: waiting for a second person"))
            return str(_("forfeited"))

        apply_to_each(request, queryset, one)

    refund_on_exit = service_action(
        _("Refund the deposit of a closed shop"),
        done=_("refunded"),
        reason_required=False,
        call=lambda a, act: services.deposit_refund_on_exit(
            account_id=a.pk,
            actor=act.actor,
            # A key per click: a refusal ("holds must be resolved first") is stored under its
            # key, and a fixed key would refuse every later click. A second refund cannot happen
            # anyway: the first takes everything.
            idempotency_key=f"exit-refund:{a.pk}:{uuid.uuid4()}",
            now=act.now,
        ),
    )

    @admin.action(
        description=_("Recompute the requirement from the rules in force"), permissions=OPERATE
    )
    def recompute_requirement(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        shop_ids = [a.shop_id for a in queryset if a.shop_id]
        done, changed = services.requirements_recompute(
            now=timezone.now(),
            shop_ids=shop_ids,
            actor=request.user,
            description=f"Manual recompute of {len(shop_ids)} shop(s) from the admin",
        )
        messages.success(
            request,
            _("%(done)d recomputed, %(changed)d changed.") % {"done": done, "changed": changed},
        )

"""Withdrawals' payouts: ops record what the payment provider reports (sent, paid, failed with
its reason) through the payout services, until the provider reports it itself."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from common.admin import (
    ON_STATEMENT,
    ReadOnlyAdmin,
    StatementReasonActionForm,
    money_column,
    service_action,
)
from deposits import services
from deposits.models import PayoutAccount, Withdrawal


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = ["reference", "account", "amount", "status", "bank_account_tail", "requested_at"]
    list_filter = ["status"]
    search_fields = ["reference", "provider_ref", "account__shop__name"]
    list_select_related = ["account__shop"]
    date_hierarchy = "requested_at"
    amount = money_column("amount_minor", _("amount"))
    # A failure's reason is on the merchant's payouts list and statement ("提现失败 <ref>: …").
    action_form = StatementReasonActionForm
    actions = ["mark_sent", "mark_paid", "mark_failed"]

    mark_sent = service_action(
        _("Payout sent to the bank"),
        done=_("marked sent"),
        reason_required=False,
        call=lambda w, act: services.withdrawal_payout_sent(reference=w.reference, now=act.now),
    )
    mark_paid = service_action(
        _("Payout paid"),
        done=_("marked paid"),
        reason_required=False,
        call=lambda w, act: services.withdrawal_payout_paid(reference=w.reference, now=act.now),
    )
    mark_failed = service_action(
        _("Payout failed (returned to the deposit) — reason required"),
        done=_("marked failed and returned to the deposit"),
        call=lambda w, act: services.withdrawal_payout_failed(
            reference=w.reference, reason=act.reason, actor=act.actor, now=act.now
        ),
        seen=ON_STATEMENT,
    )


@admin.register(PayoutAccount)
class PayoutAccountAdmin(ModelAdmin):
    list_display = ["shop", "bank_name", "account_tail", "bound_at"]
    search_fields = ["shop__name", "account_tail"]
    readonly_fields = ["bound_at"]
    autocomplete_fields = ["shop"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from django.utils import timezone

        saved = services.payout_account_bind(
            shop_id=obj.shop_id,
            account_tail=obj.account_tail,
            bank_name=obj.bank_name,
            now=timezone.now(),
        )
        obj.pk = saved.pk

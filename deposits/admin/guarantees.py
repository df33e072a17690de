"""Guarantees that stand in for cash. Insurance registers its policies through the service; ops
may add a bank guarantee here (through the same service) and withdraw one with a reason."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from common.admin import ReasonActionForm, money_column, operate_permission, service_action
from deposits import services
from deposits.models import Guarantee


@admin.register(Guarantee)
class GuaranteeAdmin(ModelAdmin):
    list_display = [
        "source_ref",
        "account",
        "amount",
        "status",
        "in_coverage",
        "valid_from",
        "valid_to",
        "ended_at",
    ]
    list_filter = ["status", "source_kind", "in_coverage", "currency"]
    search_fields = ["source_ref", "account__shop__name", "account__shop__external_ref", "note"]
    list_select_related = ["account__shop"]
    autocomplete_fields = ["account"]
    fields = [
        "account",
        "source_kind",
        "source_ref",
        "amount_minor",
        "currency",
        "valid_from",
        "valid_to",
        "note",
    ]
    amount = money_column("amount_minor", _("amount"))
    action_form = ReasonActionForm
    actions = ["withdraw"]
    has_operate_permission = operate_permission

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [f.name for f in Guarantee._meta.fields]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return self.fields
        return [f.name for f in Guarantee._meta.fields if f.name != "id"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        created = services.guarantee_register(
            account_id=obj.account_id,
            amount_minor=obj.amount_minor,
            currency=obj.currency,
            valid_from=obj.valid_from,
            valid_to=obj.valid_to,
            source_kind=obj.source_kind,
            source_ref=obj.source_ref,
            note=obj.note,
            actor=request.user,
            now=timezone.now(),
        )
        obj.pk = created.pk

    withdraw = service_action(
        _("Withdraw (coverage drops at once) — reason required"),
        done=_("withdrawn"),
        call=lambda g, act: services.guarantee_withdraw(
            guarantee_id=g.pk, reason=act.reason, actor=act.actor, now=act.now
        ),
    )

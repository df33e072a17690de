"""Ops screens for claims.

Compensation rules are versioned like the requirement rules: a version in force is read-only
(claims cite it), ops add a newer one; a future version may be edited or deleted. Claims, their
timeline and their funding are records of what happened: read-only here, money shown through
common.admin.money_column. Ops actions on claims (decide, mark malicious) come with the admin
queue slice and will call claims.services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from claims.models import Claim, ClaimEvent, ClaimFunding, ClaimReversal, CompensationRule
from common.admin import ReadOnlyAdmin, ReadOnlyInline, money_column


@admin.register(CompensationRule)
class CompensationRuleAdmin(ModelAdmin):
    list_display = [
        "reason",
        "currency",
        "kind",
        "rate_bps",
        "multiplier",
        "minimum",
        "maximum",
        "window_hours",
        "effective_from",
    ]
    list_filter = ["reason", "kind", "currency"]
    minimum = money_column("minimum_minor", _("minimum"))
    maximum = money_column("maximum_minor", _("maximum"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.effective_from <= timezone.now():
            return [f.name for f in self.model._meta.fields]  # in force: add a newer version
        return ["created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.effective_from > timezone.now()


class ClaimEventInline(ReadOnlyInline):
    model = ClaimEvent
    fields = ["at", "actor", "actor_label", "action", "note"]


class ClaimFundingInline(ReadOnlyInline):
    model = ClaimFunding
    fields = ["source", "amount_minor", "currency", "transaction_public_id", "created_at"]


class ClaimReversalInline(ReadOnlyInline):
    """An upheld appeal's reversal: where each funded part went back, by which transaction."""

    model = ClaimReversal
    fields = [
        "source",
        "returned_to",
        "amount_minor",
        "currency",
        "transaction_public_id",
        "created_at",
    ]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = [
        "external_ref",
        "shop",
        "reason",
        "status",
        "outcome",
        "paid",
        "compensation",
        "filed_at",
        "respond_by",
    ]
    list_filter = ["status", "reason", "outcome"]
    search_fields = ["external_ref", "order_ref", "consumer_ref", "shop__name"]
    list_select_related = ["shop"]
    inlines = [ClaimEventInline, ClaimFundingInline, ClaimReversalInline]
    paid = money_column("order_paid_minor", _("paid"))
    compensation = money_column("compensation_minor", _("compensation"))


@admin.register(ClaimEvent)
class ClaimEventAdmin(ReadOnlyAdmin):
    list_display = ["claim", "at", "actor", "actor_label", "action"]
    list_filter = ["actor"]
    search_fields = ["claim__external_ref", "action"]
    list_select_related = ["claim"]


@admin.register(ClaimFunding)
class ClaimFundingAdmin(ReadOnlyAdmin):
    list_display = ["claim", "source", "amount", "transaction_public_id", "created_at"]
    list_filter = ["source"]
    search_fields = ["claim__external_ref"]
    list_select_related = ["claim"]
    amount = money_column("amount_minor", _("amount"))


@admin.register(ClaimReversal)
class ClaimReversalAdmin(ReadOnlyAdmin):
    list_display = [
        "claim",
        "source",
        "returned_to",
        "amount",
        "transaction_public_id",
        "created_at",
    ]
    list_filter = ["source", "returned_to"]
    search_fields = ["claim__external_ref"]
    list_select_related = ["claim"]
    amount = money_column("amount_minor", _("amount"))

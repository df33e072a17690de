"""What a shop must keep: the versioned requirement rules, per-shop overrides, and the audit of
every change to them (RuleChange)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from approvals.models import FourEyesRequest
from common.admin import DeferredSaveMixin, ReadOnlyAdmin, money_column
from common.errors import DomainError
from deposits import services
from deposits.models import (
    BaseRequirementRule,
    CategoryRequirementRule,
    GmvRequirementSchedule,
    RequirementChange,
    RuleChange,
    ShopRequirementOverride,
)

FOUR_EYES_MESSAGE = _("Nothing changed yet: this waits for a second person on the four-eyes list.")


class RuleAdmin(DeferredSaveMixin, ModelAdmin):
    """Rules are versioned: a row in force is read-only; change it by adding a newer row."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.effective_from <= timezone.now():
            return [f.name for f in self.model._meta.fields]
        return ["created_by", "created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.effective_from > timezone.now()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if services.requirement_rule_needs_four_eyes():
            # Four-eyes: nothing is saved; the rule as typed waits for a second person, who
            # carries it out through the same service (deposits/services/four_eyes.py).
            try:
                services.requirement_rule_request(
                    rule=obj,
                    actor=request.user,
                    now=timezone.now(),
                    reason=(getattr(obj, "note", "") or "").strip()
                    or str(_("Requirement rule changed in the admin")),
                    changed_fields=list(form.changed_data),
                )
            except DomainError as exc:
                messages.error(request, exc.detail)
            else:
                messages.info(request, FOUR_EYES_MESSAGE)
            obj._four_eyes_deferred = True
            return
        # Through the service: saved, audited (RuleChange) and, when in force, applied at once.
        try:
            outcome = services.requirement_rule_save(
                rule=obj, actor=request.user, now=timezone.now(), changed_fields=form.changed_data
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
            return
        if outcome is not None:
            done, changed = outcome
            messages.info(
                request,
                _("Requirements recomputed for %(done)d shops; %(changed)d changed.")
                % {"done": done, "changed": changed},
            )
        else:
            messages.info(
                request,
                _(
                    "This rule takes effect on %(when)s; shops are recomputed then by the "
                    "periodic recompute (or the admin action)."
                )
                % {"when": obj.effective_from},
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.requirement_rule_delete(rule=obj, actor=request.user, now=timezone.now())

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for rule in queryset:
            self.delete_model(request, rule)


@admin.register(BaseRequirementRule)
class BaseRequirementRuleAdmin(RuleAdmin):
    list_display = [
        "shop_type",
        "trademark_status",
        "amount",
        "effective_from",
        "note",
        "created_by",
    ]
    amount = money_column("amount_minor", _("amount"))
    list_filter = ["shop_type", "trademark_status", "currency"]
    search_fields = ["note"]


@admin.register(CategoryRequirementRule)
class CategoryRequirementRuleAdmin(RuleAdmin):
    list_display = [
        "category",
        "shop_type",
        "trademark_status",
        "amount",
        "effective_from",
        "note",
    ]
    amount = money_column("amount_minor", _("amount"))
    list_filter = ["category", "shop_type", "trademark_status", "currency"]
    search_fields = ["category__code", "category__name_zh", "note"]


@admin.register(GmvRequirementSchedule)
class GmvRequirementScheduleAdmin(RuleAdmin):
    list_display = ["effective_from", "enabled", "currency", "tiers", "note"]
    list_filter = ["enabled", "currency"]
    search_fields = ["note"]


@admin.register(ShopRequirementOverride)
class ShopRequirementOverrideAdmin(DeferredSaveMixin, ModelAdmin):
    list_display = ["shop", "amount", "reason", "effective_from", "expires_at", "created_by"]
    list_select_related = ["shop", "created_by"]
    amount = money_column("amount_minor", _("amount"), currency="shop.currency")
    search_fields = ["shop__name", "reason"]
    autocomplete_fields = ["shop"]
    fields = ["shop", "amount_minor", "reason", "expires_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = services.override_set_or_request(
            shop=obj.shop,
            amount_minor=obj.amount_minor,
            reason=obj.reason,
            actor=request.user,
            now=timezone.now(),
            expires_at=obj.expires_at,
        )
        if isinstance(created, FourEyesRequest):
            messages.info(request, FOUR_EYES_MESSAGE)
            obj._four_eyes_deferred = True
            return
        obj.pk = created.pk


@admin.register(RuleChange)
class RuleChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "description", "shops_recomputed", "shops_changed"]
    search_fields = ["description"]


@admin.register(RequirementChange)
class RequirementChangeAdmin(ReadOnlyAdmin):
    """Each shop's requirement over time (the merchant's coverage chart reads it)."""

    list_display = ["changed_at", "account", "previous", "required", "deciding", "cause"]
    list_filter = ["deciding"]
    search_fields = ["account__shop__name", "cause"]
    list_select_related = ["account__shop"]
    required = money_column("required_minor", _("required"), currency="account.currency")
    previous = money_column("previous_minor", _("required before"), currency="account.currency")

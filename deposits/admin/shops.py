"""The shop screen, with the fields that decide its deposit requirement edited through deposits.

shops/admin.py shows them read-only once the shop has a deposit account (shops cannot recompute
a requirement: it may not import deposits). Here, type, trademark status and categories are
editable again, and a change goes through deposits.services.shop_profile_change: recomputed at
once, with the acting user and a reason in the audit (RuleChange). The currency stays fixed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.admin import field_label, service_action
from common.errors import DomainError
from deposits.exports import ShopCoverageResource
from deposits.services.onboarding import shop_exit_confirm, shop_profile_change
from shops.admin import ShopAdmin, has_deposit_account
from shops.admin_exports import ExportableAdmin
from shops.models import Shop

PROFILE_FIELDS = ("shop_type", "trademark_status", "categories")


class ShopProfileForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Reason for a change of type, trademark status or categories"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail: the deposit requirement is recomputed at once."),
    )

    class Meta:
        model = Shop
        fields = ["partner", "external_ref", "merchant", "name", *PROFILE_FIELDS, "currency"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_account = self.instance.pk is not None and has_deposit_account(self.instance)
        if has_account and set(PROFILE_FIELDS) & set(self.changed_data):
            if not (cleaned.get("reason") or "").strip():
                self.add_error(
                    "reason",
                    _("Say why: the shop's deposit requirement follows its profile."),
                )
        return cleaned


class ShopWithDepositAdmin(ExportableAdmin, ShopAdmin):
    form = ShopProfileForm
    # The list's export: each shop with its deposit's position (requirement, cash, holds,
    # guarantees, shortfall).
    export_resource = ShopCoverageResource
    export_permission = "shops.export_shops"
    export_select_related = ("deposit_account", "merchant")
    requirement_fields = ["currency"]
    actions = [*ShopAdmin.actions, "confirm_exit"]

    # The exit is dated by the clock at the click, never typed: the refund date (30 days + 10
    # working days later) is counted from it, so it can never be set in the past.
    confirm_exit = service_action(
        _("Confirm the exit (退店): the deposit is refunded after the exit period"),
        done=_("exit confirmed"),
        call=lambda shop, act: shop_exit_confirm(shop=shop, now=act.now),
        reason_required=False,
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = [f for f in super().get_fields(request, obj) if f != "reason"]
        if obj is not None and has_deposit_account(obj):
            fields.append("reason")
        return fields

    def save_model(self, request: HttpRequest, obj: Shop, form: Any, change: bool) -> None:
        if change and has_deposit_account(obj):
            # The plain fields (name, references, merchant) save here; the requirement's fields
            # keep their stored values until the service writes them in save_related.
            stored = Shop.objects.get(pk=obj.pk)
            obj.shop_type, obj.trademark_status = stored.shop_type, stored.trademark_status
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not (change and has_deposit_account(form.instance)):
            super().save_related(request, form, formsets, change)
            return
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        if not set(PROFILE_FIELDS) & set(form.changed_data):
            return
        try:
            shop_profile_change(
                shop_id=form.instance.pk,
                actor=request.user,
                reason=form.cleaned_data.get("reason") or "",
                now=timezone.now(),
                shop_type=form.cleaned_data["shop_type"],
                trademark_status=form.cleaned_data["trademark_status"],
                category_codes=[c.code for c in form.cleaned_data["categories"]],
            )
        except DomainError as exc:
            detail = " ".join(
                f"{field_label(form.instance, k)}: {' '.join(v)}"
                for k, v in (exc.fields or {}).items()
            )
            messages.error(request, f"{form.instance}: {detail or exc.detail}")
        else:
            messages.info(request, _("The deposit requirement was recomputed."))


admin.site.unregister(Shop)
admin.site.register(Shop, ShopWithDepositAdmin)

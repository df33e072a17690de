"""Ops screens for merchants, shops, restrictions and notifications. Freezes go through
shops.services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from approvals.models import FourEyesRequest
from common.admin import (
    IN_NOTICE,
    OPERATE,
    NoticeReasonActionForm,
    ReadOnlyAdmin,
    ReadOnlyInline,
    action_reason,
    apply_to_each,
    operate_permission,
    service_action,
)
from shops import services
from shops.models import (
    Category,
    ExportLog,
    Invitation,
    Merchant,
    MerchantUser,
    Notification,
    NotificationPreference,
    NotificationRead,
    Shop,
    ShopRestriction,
    StaffTwoFactorReset,
    TeamChange,
)


def has_deposit_account(shop: Shop) -> bool:
    # By the reverse relation's name, not by import: shops may not import deposits.
    return getattr(shop, "deposit_account", None) is not None


class MerchantUserInline(TabularInline):
    model = MerchantUser
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Merchant)
class MerchantAdmin(ModelAdmin):
    list_display = ["name", "contact_email", "language", "created_at"]
    list_filter = ["language"]
    search_fields = ["name", "contact_email", "public_id"]
    readonly_fields = ["public_id", "created_at"]
    inlines = [MerchantUserInline]

    # A merchant's shops protect it (PROTECT): no bulk delete that could only fail, and no
    # delete button on a merchant with shops.
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Merchant | None = None) -> bool:
        if obj is not None and obj.shops.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(MerchantUser)
class MerchantUserAdmin(ModelAdmin):
    list_display = ["user", "merchant", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "merchant__name"]
    autocomplete_fields = ["user", "merchant"]


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "insurance_eligible", "is_active"]
    list_filter = ["insurance_eligible", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]


class RestrictionInline(ReadOnlyInline):
    model = ShopRestriction
    fields = ["kind", "source", "reason", "since", "lifted_at", "lift_reason", "created_by"]


@admin.register(Shop)
class ShopAdmin(ModelAdmin):
    list_display = [
        "name",
        "merchant",
        "shop_type",
        "trademark_status",
        "status",
        "partner",
        "created_at",
    ]
    list_filter = ["status", "shop_type", "trademark_status", "partner", "categories"]
    search_fields = ["name", "external_ref", "public_id", "merchant__name"]
    readonly_fields = [
        "public_id",
        "status",
        "deposit_account",
        "went_live_at",
        "closed_at",
        "created_at",
    ]
    # What decides the deposit requirement: once the shop has a deposit account, changing these
    # here would move money without the recompute and its audit. deposits/admin/shops.py
    # re-opens type, trademark status and categories through deposits.services (with a
    # reason); the currency stays fixed.
    requirement_fields = ["shop_type", "trademark_status", "categories", "currency"]
    autocomplete_fields = ["merchant"]
    filter_horizontal = ["categories"]
    inlines = [RestrictionInline]
    action_form = NoticeReasonActionForm  # the freeze notices quote the reason as typed
    actions = ["freeze", "unfreeze"]
    has_operate_permission = operate_permission

    # A shop with a deposit account has a ledger, which protects it (PROTECT): "Delete selected
    # shops" could only fail, so it is not offered; nor is the delete button on such a shop.
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Shop | None = None) -> bool:
        if obj is not None and has_deposit_account(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Shop | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and has_deposit_account(obj):
            fields += self.requirement_fields
        return fields

    @admin.display(description=_("deposit account"))
    def deposit_account(self, shop: Shop) -> str:
        # By URL name, not by import: shops may not import deposits.
        account_id = getattr(getattr(shop, "deposit_account", None), "pk", None)
        if account_id is None:
            return "—"
        url = reverse("admin:deposits_account_change", args=[account_id])
        return format_html('<a href="{}">{}</a>', url, _("Open the deposit and its ledger"))

    freeze = service_action(
        _("Freeze (no selling) — reason required"),
        done=_("frozen"),
        call=lambda shop, act: services.shop_freeze(
            shop=shop, reason=act.reason, actor=act.actor, now=act.now
        ),
        seen=IN_NOTICE,
    )

    @admin.action(description=_("Lift an ops freeze — reason required"), permissions=OPERATE)
    def unfreeze(self, request: HttpRequest, queryset: QuerySet[Shop]) -> None:
        reason = action_reason(request, IN_NOTICE, self.opts.verbose_name_plural)
        if reason is None:
            return

        def one(shop: Shop) -> str:
            result = services.shop_unfreeze_or_request(
                shop=shop, reason=reason, actor=request.user, now=timezone.now()
            )
            if isinstance(result, FourEyesRequest):
                return str(_("waiting for a second person (four-eyes)"))
            return str(_("unfrozen"))

        apply_to_each(request, queryset, one)


@admin.register(ShopRestriction)
class ShopRestrictionAdmin(ModelAdmin):
    list_display = ["shop", "kind", "source", "since", "lifted_at", "created_by"]
    list_filter = ["kind", "source", ("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["shop__name", "reason", "source_ref"]
    readonly_fields = [f.name for f in ShopRestriction._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # restrictions come from services (shop actions, shortfall enforcement)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "merchant",
        "shop",
        "kind",
        "title",
        "language",
        "email_status",
    ]
    # Read state is per user (NotificationRead): a merchant-wide "read" column no longer exists.
    list_filter = ["kind", "email_status", "language"]
    search_fields = ["title", "dedupe_key", "merchant__name", "shop__name"]
    list_select_related = ["merchant", "shop"]
    date_hierarchy = "created_at"


@admin.register(NotificationRead)
class NotificationReadAdmin(ReadOnlyAdmin):
    """Who read which notice, when (read state is per user)."""

    list_display = ["notification", "user", "read_at"]
    search_fields = ["notification__title", "user__username"]
    list_select_related = ["notification", "user"]
    date_hierarchy = "read_at"


@admin.register(StaffTwoFactorReset)
class StaffTwoFactorResetAdmin(ReadOnlyAdmin):
    """Written only by `reset_staff_2fa`: whose two-factor devices were deleted, by whom, why."""

    list_display = ["created_at", "username", "reset_by", "devices_removed", "reason"]
    search_fields = ["username", "reset_by", "reason"]
    date_hierarchy = "created_at"


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Merchants' team invitations, as the owner sees them on the team page (the link's nonce is
    not shown: with the secret key it would make the link)."""

    list_display = ["created_at", "merchant", "email", "role", "expires_at", "accepted_at"]
    list_filter = ["role", "email_status"]
    search_fields = ["email", "merchant__name"]
    list_select_related = ["merchant"]
    exclude = ["nonce"]


@admin.register(TeamChange)
class TeamChangeAdmin(ReadOnlyAdmin):
    """The teams' own record: invitations, joins, role changes, removals."""

    list_display = ["created_at", "merchant", "action", "email", "old_role", "new_role", "actor"]
    list_filter = ["action"]
    search_fields = ["email", "merchant__name", "actor_label"]
    list_select_related = ["merchant", "actor"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyAdmin):
    """Which groups of notices each merchant user has e-mailed (urgent kinds always are)."""

    list_display = ["user", "group", "email", "updated_at"]
    list_filter = ["group", "email"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    """Every download of an ops list: who, when, which list, with which filters, how many rows.
    Written only by the exports (shops.admin_exports); read by the supervisor and the auditor."""

    list_display = [
        "started_at",
        "username",
        "list_name",
        "file_format",
        "filters_text",
        "row_count",
        "finished_at",
    ]
    list_filter = ["list_label", "file_format"]
    search_fields = ["username", "list_label", "list_name"]
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in ExportLog._meta.fields]

    @admin.display(description=_("filters"))
    def filters_text(self, log: ExportLog) -> str:
        return (
            "; ".join(f"{key}={', '.join(values)}" for key, values in sorted(log.filters.items()))
            or "—"
        )


# Re-register the auth screens with Unfold's look, searchable (autocomplete needs search_fields).
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin  # noqa: E402
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm  # noqa: E402

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    pass

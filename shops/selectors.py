"""Reads for the merchant dashboard, with their joins planned (no N+1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from common.templatetags.money import mask_money
from shops.models import (
    Category,
    Merchant,
    MerchantUser,
    Notification,
    NotificationRead,
    Shop,
    ShopRestriction,
)

# What a reader without the deposit permission reads where a notice names an amount.
AMOUNT_HIDDEN = _("[amount hidden]")


def merchant_for_user(user: AbstractBaseUser | AnonymousUser) -> Merchant | None:
    if not user.is_authenticated:
        return None
    membership = MerchantUser.objects.select_related("merchant").filter(user_id=user.pk).first()
    return membership.merchant if membership else None


def membership_for_user(user: AbstractBaseUser | AnonymousUser) -> MerchantUser | None:
    if not user.is_authenticated:
        return None
    return MerchantUser.objects.select_related("merchant").filter(user_id=user.pk).first()


def shops_for_merchant(merchant: Merchant) -> QuerySet[Shop]:
    return (
        Shop.objects.filter(merchant=merchant)
        .prefetch_related(
            "categories",
            Prefetch(
                "restrictions",
                queryset=ShopRestriction.objects.filter(lifted_at__isnull=True),
                to_attr="active_restrictions",
            ),
        )
        .order_by("name", "id")
    )


def restrictions_lifted_for_shop(shop: Shop, *, limit: int = 50) -> list[ShopRestriction]:
    """The shop's restriction history (lifted ones), most recently lifted first."""
    return list(shop.restrictions.filter(lifted_at__isnull=False).order_by("-lifted_at")[:limit])


def notifications_for_merchant(merchant: Merchant, *, limit: int = 100) -> list[Notification]:
    """The merchant's latest in-app notices, newest first, each with its shop joined."""
    return list(
        Notification.objects.filter(merchant=merchant)
        .select_related("shop")
        .order_by("-created_at", "-id")[:limit]
    )


def unread_notices_count(user_id: int) -> int:
    """How many of their merchant's notices this user has not read (the navigation's badge)."""
    return (
        Notification.objects.filter(merchant__members__user_id=user_id)
        .exclude(reads__user_id=user_id)
        .count()
    )


@dataclass(frozen=True)
class NoticeRow:
    """One notice as one reader sees it: in their language, amounts only if they may see them."""

    notice: Notification
    title: str
    body: str
    is_read: bool


def notice_rows(membership: MerchantUser, *, language: str, limit: int = 100) -> list[NoticeRow]:
    """The merchant's latest notices for this member, newest first, in `language` (the
    reader's, not the one of the day the notice was made). A member without the deposit
    permission reads every amount as "amount hidden", as on the rest of the dashboard."""
    notices = (
        Notification.objects.filter(merchant_id=membership.merchant_id)
        .select_related("shop")
        .annotate(
            is_read=Exists(
                NotificationRead.objects.filter(
                    notification=OuterRef("pk"), user_id=membership.user_id
                )
            )
        )
        .order_by("-created_at", "-id")[:limit]
    )
    hidden = None if membership.may_manage_deposit else AMOUNT_HIDDEN
    rows = []
    for notice in notices:
        title, body = notice.text_for(language)
        if hidden is not None:
            title, body = mask_money(title, str(hidden)), mask_money(body, str(hidden))
        rows.append(NoticeRow(notice=notice, title=title, body=body, is_read=notice.is_read))  # type: ignore[attr-defined]
    return rows


def category_catalogue(shop: Shop) -> list[Category]:
    """Every category, open ones first, by code, each with `on_shop` (whether `shop` sells in
    it): the what-if's choices and the shop's own categories in one query."""
    on_shop = Shop.categories.through.objects.filter(shop_id=shop.pk, category_id=OuterRef("pk"))
    return list(Category.objects.annotate(on_shop=Exists(on_shop)).order_by("-is_active", "code"))


def shops_for_user_switcher(user_id: int) -> list[Shop]:
    """The shops of the user's merchant, names and status only, by name (the shop switcher)."""
    return list(
        Shop.objects.filter(merchant__members__user_id=user_id)
        .only("public_id", "name", "status")
        .order_by("name", "id")
    )

"""Reads for the merchant dashboard, with their joins planned (no N+1)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, QuerySet

from shops.models import Merchant, MerchantUser, Notification, Shop, ShopRestriction


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

"""Arrange data through services, never by writing balance columns (architecture.md)."""

from __future__ import annotations

import itertools
from datetime import datetime

from django.contrib.auth import get_user_model

from deposits import services
from deposits.models import Account
from shops.models import MerchantUser, Shop

_seq = itertools.count(1)


def make_shop(
    *,
    now: datetime,
    shop_type: str = "FLAGSHIP",
    trademark_status: str = "REGISTERED",
    categories: tuple[str, ...] = ("apparel",),
    merchant_email: str | None = None,
    partner_id: int | None = None,
    currency: str = "CNY",
) -> tuple[Shop, Account]:
    n = next(_seq)
    return services.shop_register(
        merchant_email=merchant_email or f"merchant{n}@example.com",
        merchant_name=f"Merchant {n}",
        name=f"Shop {n}",
        shop_type=shop_type,
        trademark_status=trademark_status,
        category_codes=categories,
        external_ref=f"ext-{n}",
        partner_id=partner_id,
        currency=currency,
        now=now,
    )


def fund(account: Account, amount_minor: int, *, now: datetime) -> Account:
    n = next(_seq)
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency=account.currency,
        payment_ref=f"PAY-{n}",
        idempotency_key=f"fund-{n}",
        now=now,
    )
    account.refresh_from_db()
    return account


def make_user(username: str | None = None, *, staff: bool = False, password: str = "pw-123456!"):  # type: ignore[no-untyped-def]
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=password
    )
    if staff:
        user.is_staff = user.is_superuser = True
        user.save()
    return user


def make_member(shop: Shop, *, role: str = "OWNER", can_manage_deposit: bool = False):  # type: ignore[no-untyped-def]
    """A login in the shop's merchant with `role`. The roles before the team's (issue 15):
    "STAFF" with the deposit permission is now FINANCE, without it VIEWER (shops/0009)."""
    if role == "STAFF":
        role = MerchantUser.Role.FINANCE if can_manage_deposit else MerchantUser.Role.VIEWER
    user = make_user()
    MerchantUser.objects.create(user=user, merchant=shop.merchant, role=role)
    return user

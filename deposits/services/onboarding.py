"""Registering a shop together with its deposit account.

Lives in deposits because a shop without a deposit account is not useful to anyone, and shops
may not import deposits (dependencies point one way: deposits → shops).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from common.money import validate_currency
from deposits.models import Account
from deposits.services.requirements import account_open, requirements_recompute
from shops import services as shop_services
from shops.models import Shop


def shop_register(
    *,
    merchant_email: str,
    merchant_name: str,
    name: str,
    shop_type: str,
    trademark_status: str,
    category_codes: Iterable[str],
    external_ref: str,
    now: datetime,
    partner_id: int | None = None,
    currency: str = "CNY",
) -> tuple[Shop, Account]:
    validate_currency(currency)
    with transaction.atomic():
        merchant = shop_services.merchant_get_or_create(
            email=merchant_email, name=merchant_name, partner_id=partner_id
        )
        shop = shop_services.shop_create(
            merchant=merchant,
            name=name,
            shop_type=shop_type,
            trademark_status=trademark_status,
            category_codes=category_codes,
            external_ref=external_ref,
            partner_id=partner_id,
            currency=currency,
        )
        account = account_open(shop=shop, now=now)
    return shop, account


def shop_exit_confirm(*, shop: Shop, now: datetime) -> None:
    """The exit (退店) is confirmed: the shop closes and its requirement drops to zero; the
    deposit is refunded after the exit delay by deposit_refund_on_exit."""
    with transaction.atomic():
        shop_services.shop_close(shop=shop, now=now)
        requirements_recompute(now=now, shop_ids=[shop.pk])

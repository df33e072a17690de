"""Registering a shop together with its deposit account.

Lives in deposits because a shop without a deposit account is not useful to anyone, and shops
may not import deposits (dependencies point one way: deposits → shops).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet

from common.errors import InvalidInput
from common.money import validate_currency
from deposits import locks
from deposits.models import Account, BaseRequirementRule
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
    _require_rules(
        shop_type=shop_type, trademark_status=trademark_status, currency=currency, now=now
    )
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


def _require_rules(*, shop_type: str, trademark_status: str, currency: str, now: datetime) -> None:
    """A shop whose kind has no base rule in its currency would be required 0 and go live without
    paying anything in: refuse to register it until ops have set the rules (admin, "Base
    requirement rules"). The field named is the one a partner would change."""
    in_force = BaseRequirementRule.objects.filter(effective_from__lte=now)
    if in_force.filter(
        shop_type=shop_type, trademark_status=trademark_status, currency=currency
    ).exists():
        return
    if not in_force.filter(currency=currency).exists():
        raise InvalidInput(
            fields={
                "currency": [
                    f"No deposit rules are set in {currency} yet: shops can be registered in "
                    f"{', '.join(_currencies_with_rules(in_force)) or 'no currency'}."
                ]
            }
        )
    raise InvalidInput(
        fields={
            "shop_type": [
                f"No deposit rule is set for a {shop_type} shop with trademark status "
                f"{trademark_status} in {currency}."
            ]
        }
    )


def _currencies_with_rules(rules: QuerySet[BaseRequirementRule]) -> list[str]:
    return sorted(set(rules.values_list("currency", flat=True)))


def shop_exit_confirm(*, shop: Shop, now: datetime) -> None:
    """The exit (退店) is confirmed: the shop closes and its requirement drops to zero; the
    deposit is refunded after the exit delay by deposit_refund_on_exit."""
    with transaction.atomic():
        # deposits.locks' order: the account before the shop that shop_close locks (the
        # requirement is then recomputed on that account).
        locks.lock_account_of_shop(shop.pk)
        shop_services.shop_close(shop=shop, now=now)
        requirements_recompute(now=now, shop_ids=[shop.pk])

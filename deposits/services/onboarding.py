"""Registering a shop together with its deposit account.

Lives in deposits because a shop without a deposit account is not useful to anyone, and shops
may not import deposits (dependencies point one way: deposits → shops).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import InvalidInput, NotFound
from common.money import validate_currency
from deposits import locks
from deposits.models import Account, BaseRequirementRule, LedgerTransaction
from deposits.services.requirements import account_open, requirements_recompute
from shops import services as shop_services
from shops import team
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
    invite_owner: bool = False,
) -> tuple[Shop, Account]:
    """Register a shop and open its deposit account, creating its merchant if new.

    `invite_owner` (the partner API): a merchant nobody can sign in for yet gets an invitation
    to set the owner's password, e-mailed after commit (shops.team.merchant_owner_invite), so
    the merchant can use the dashboard at all."""
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
        if invite_owner:
            team.merchant_owner_invite(merchant=merchant, now=now)
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


def shop_profile_change(
    *,
    shop_id: int,
    actor: AbstractBaseUser,
    reason: str,
    now: datetime,
    shop_type: str | None = None,
    trademark_status: str | None = None,
    category_codes: Iterable[str] | None = None,
    currency: str | None = None,
) -> Shop:
    """Ops change what decides a shop's requirement (type, trademark status, categories); the
    requirement is recomputed at once and the change is audited (RuleChange: who, what, why).
    A field left None keeps its value.

    The currency is fixed once the deposit account exists: the account, its ledger and the rules
    that priced the requirement are in that currency, and a shop moved to a currency without
    rules was required 0.00 and could withdraw everything. (A database trigger refuses it too.)

    Plain `atomic`, not durable: the admin calls it inside its own transaction. Locks the deposit
    account, then the shop (the fixed order), so a concurrent posting or recompute waits.
    """
    with transaction.atomic():
        account = locks.lock_account_of_shop(shop_id)
        shop = locks.lock_shop(shop_id)
        if account is None or shop is None:
            raise NotFound(gettext("No such shop with a deposit account."))
        if currency is not None and currency != shop.currency:
            raise InvalidInput(
                gettext("The shop's currency cannot change."),
                fields={
                    "currency": [
                        f"fixed once money has moved: the deposit is held in {account.currency}."
                    ]
                },
            )
        new_type = shop_type or shop.shop_type
        new_trademark = trademark_status or shop.trademark_status
        codes = (
            list(category_codes)
            if category_codes is not None
            else list(shop.categories.values_list("code", flat=True))
        )
        if not reason.strip():
            raise InvalidInput(
                fields={"reason": ["Say why: the shop's deposit requirement follows its profile."]}
            )
        _require_rules(
            shop_type=new_type, trademark_status=new_trademark, currency=shop.currency, now=now
        )
        changes = shop_services.shop_profile_set(
            shop=shop, shop_type=new_type, trademark_status=new_trademark, category_codes=codes
        )
        if changes:
            what = "; ".join(f"{name} {old} → {new}" for name, (old, new) in changes.items())
            requirements_recompute(
                now=now,
                shop_ids=[shop.pk],
                actor=actor,
                description=f"Profile of shop {shop.name}: {what} ({reason.strip()})",
            )
    return shop


def shop_exit_confirm(*, shop: Shop, now: datetime) -> None:
    """The exit (退店) is confirmed: the shop closes and its requirement drops to zero; the
    deposit is refunded after the exit delay by deposit_refund_on_exit.

    `now` is when the exit is confirmed, and the refund date is computed from it: an exit dated
    before money the shop has already moved is refused, or a backdated confirmation would put
    the refund date in the past and skip the claims window the exit delay exists for."""
    latest = LedgerTransaction.objects.filter(account__shop=shop).aggregate(at=Max("occurred_at"))
    if latest["at"] is not None and now < latest["at"]:
        raise InvalidInput(
            gettext("The exit cannot be confirmed before the shop's latest deposit movement."),
            fields={
                "closed_at": [
                    "Must not be before "
                    f"{timezone.localtime(latest['at']):%Y-%m-%d %H:%M}, the shop's latest "
                    "deposit movement: the refund date is counted from the exit."
                ]
            },
        )
    with transaction.atomic():
        # deposits.locks' order: the account before the shop that shop_close locks (the
        # requirement is then recomputed on that account).
        locks.lock_account_of_shop(shop.pk)
        shop_services.shop_close(shop=shop, now=now)
        requirements_recompute(now=now, shop_ids=[shop.pk])

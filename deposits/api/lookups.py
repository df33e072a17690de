"""Every object a partner names is looked up *with* the partner in the query: another partner's
shop or hold is simply not found (404), never a 403 that would confirm it exists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from rest_framework.exceptions import NotFound

from deposits.models import Account, Hold
from deposits.selectors import account_snapshot_for_partner_shop
from shops.models import Shop, ShopRestriction


def parse_uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def shops_for_partner(partner_id: int) -> QuerySet[Shop]:
    """Shops with what their representation needs: deposit account joined, categories and
    active restrictions prefetched (three queries per page, whatever its size)."""
    return (
        Shop.objects.filter(partner_id=partner_id, deposit_account__isnull=False)
        .select_related("deposit_account")
        .prefetch_related(
            "categories",
            Prefetch(
                "restrictions",
                queryset=ShopRestriction.objects.filter(lifted_at__isnull=True).order_by(
                    "since", "id"
                ),
                to_attr="active_restrictions",
            ),
        )
    )


def shop_for_partner(partner_id: int, shop_id: Any) -> Shop:
    shop = shops_for_partner(partner_id).filter(public_id=parse_uuid(shop_id)).first()
    if shop is None:
        raise NotFound("No such shop.")
    return shop


@dataclass(frozen=True)
class AccountRef:
    account_id: int
    currency: str
    # The balances as read with the lookup: a posting starts planning from them instead of
    # reading them again (deposits.services.posting.run_operation, `snapshot`).
    snapshot: Account


def account_for_partner(partner_id: int, shop_id: Any) -> AccountRef:
    """The deposit account of a partner's shop, with its balances: one indexed query on every
    posting, the same one the posting would otherwise make itself."""
    account = account_snapshot_for_partner_shop(
        partner_id=partner_id, shop_public_id=parse_uuid(shop_id)
    )
    if account is None:
        raise NotFound("No such shop.")
    return AccountRef(account_id=account.pk, currency=account.currency, snapshot=account)


def hold_for_partner(partner_id: int, hold_id: Any) -> tuple[Hold, uuid.UUID]:
    """A hold of one of the partner's shops, and that shop's public id (one query)."""
    hold = (
        Hold.objects.filter(public_id=parse_uuid(hold_id), account__shop__partner_id=partner_id)
        .annotate(shop_public_id=F("account__shop__public_id"))
        .first()
    )
    if hold is None:
        raise NotFound("No such hold.")
    return hold, hold.shop_public_id  # type: ignore[attr-defined]

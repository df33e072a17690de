"""Every object a partner names is looked up *with* the partner in the query: another partner's
shop or hold is simply not found (404), never a 403 that would confirm it exists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import F, Prefetch, QuerySet
from rest_framework.exceptions import NotFound

from deposits.models import Account, Hold
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


_PUBLIC_ID = Shop._meta.get_field("public_id")
_ACCOUNT_SQL = (
    f"SELECT a.id, a.currency FROM {Account._meta.db_table} a "
    f"JOIN {Shop._meta.db_table} s ON s.id = a.shop_id "
    "WHERE s.public_id = %s AND s.partner_id = %s"
)


def account_for_partner(partner_id: int, shop_id: Any) -> AccountRef:
    """The deposit account of a partner's shop: one indexed query on every posting, written as
    SQL because building it through the ORM cost as much as sending it (bench/api_profile.py)."""
    with connection.cursor() as cursor:
        public_id = _PUBLIC_ID.get_db_prep_value(parse_uuid(shop_id), connection)
        cursor.execute(_ACCOUNT_SQL, [public_id, partner_id])
        row = cursor.fetchone()
    if row is None:
        raise NotFound("No such shop.")
    return AccountRef(account_id=row[0], currency=row[1])


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

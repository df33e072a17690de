"""Every object a partner names is looked up *with* the partner in the query: another partner's
shop or hold is simply not found (404), never a 403 that would confirm it exists.

The queries are deposits.selectors'; this module maps "not found" to the API's 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from rest_framework.exceptions import NotFound

from deposits.models import Account, Hold
from deposits.selectors import (
    account_snapshot_for_partner_shop,
    hold_with_shop_for_partner,
    shops_with_accounts_for_partner,
)
from shops.models import Shop


def parse_uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def shop_for_partner(partner_id: int, shop_id: Any) -> Shop:
    shop = shops_with_accounts_for_partner(partner_id).filter(public_id=parse_uuid(shop_id)).first()
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
    hold = hold_with_shop_for_partner(partner_id=partner_id, hold_public_id=parse_uuid(hold_id))
    if hold is None:
        raise NotFound("No such hold.")
    return hold, hold.shop_public_id  # type: ignore[attr-defined]

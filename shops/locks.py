"""The one row lock the shops app takes: the shop row. deposits.locks builds on it (deposits may
import shops, never the reverse) and documents the project's lock order and mode; in short:

- the shop comes last (deposit account → holds → guarantees → shortfall case → shop): a
  money change holds the account when it takes a shop live or restricts it;
- FOR NO KEY UPDATE, never plain FOR UPDATE: restrictions, notifications, accounts and shortfall
  cases point at the shop, and the foreign-key check of every INSERT of such a row takes
  KEY SHARE on it. Plain FOR UPDATE would make those inserts queue behind whoever holds the shop
  (and deadlock with them, as deposits_post's comment tells); NO KEY UPDATE does not, since no
  service ever changes a shop's keys (id, public_id, external_ref) under this lock.
"""

from __future__ import annotations

from shops.models import Shop


def lock_shop(shop_id: int) -> Shop | None:
    """The shop, locked for the rest of the caller's transaction (None if it does not exist).
    Re-locking a shop this transaction already holds returns at once."""
    return Shop.objects.select_for_update(no_key=True).filter(pk=shop_id).first()

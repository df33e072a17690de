"""The row locks the shops app takes: the shop row (and, below, the team's rows). deposits.locks
builds on it (deposits may import shops, never the reverse) and documents the project's lock
order and mode; in short:

- the shop comes last (deposit account → holds → guarantees → shortfall case → shop): a
  money change holds the account when it takes a shop live or restricts it;
- FOR NO KEY UPDATE, never plain FOR UPDATE: restrictions, notifications, accounts and shortfall
  cases point at the shop, and the foreign-key check of every INSERT of such a row takes
  KEY SHARE on it. Plain FOR UPDATE would make those inserts queue behind whoever holds the shop
  (and deadlock with them, as deposits_post's comment tells); NO KEY UPDATE does not, since no
  service ever changes a shop's keys (id, public_id, external_ref) under this lock.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from shops.models import Invitation, Merchant, MerchantUser, Shop


def lock_shop(shop_id: int) -> Shop | None:
    """The shop, locked for the rest of the caller's transaction (None if it does not exist).
    Re-locking a shop this transaction already holds returns at once."""
    return Shop.objects.select_for_update(no_key=True).filter(pk=shop_id).first()


# --- The team (shops.team): its rows locked here too, in the same NO KEY UPDATE mode ----------


def lock_merchant(merchant_id: int) -> Merchant | None:
    """The merchant row: serialises a merchant's invitations (the hourly limit is counted under
    it)."""
    return Merchant.objects.select_for_update(no_key=True).filter(pk=merchant_id).first()


def lock_invitation(invitation_id: int, *, merchant_id: int | None = None) -> Invitation | None:
    invitations = Invitation.objects.select_for_update(no_key=True).filter(pk=invitation_id)
    if merchant_id is not None:
        invitations = invitations.filter(merchant_id=merchant_id)
    return invitations.first()


def lock_open_invitation(merchant_id: int, address: str) -> Invitation | None:
    """The merchant's open (not accepted, not revoked) invitation to `address`, if any."""
    return (
        Invitation.objects.select_for_update(no_key=True)
        .filter(
            merchant_id=merchant_id,
            email=address,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .first()
    )


def lock_member(member_id: int, merchant_id: int) -> MerchantUser | None:
    """A member of the merchant's team, with their login (both rows locked)."""
    return (
        MerchantUser.objects.select_for_update(no_key=True)
        .select_related("user")
        .filter(pk=member_id, merchant_id=merchant_id)
        .first()
    )


def lock_logins_with_address(address: str) -> list[AbstractBaseUser]:
    """Every login whose username or e-mail is `address` (case-insensitive)."""
    return list(
        get_user_model()
        .objects.select_for_update(no_key=True)
        .filter(Q(username__iexact=address) | Q(email__iexact=address))
    )

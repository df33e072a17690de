"""Writes for merchants, shops and restrictions. Keyword-only; `now` is passed in, never read here.

Building blocks use plain `transaction.atomic` and compose inside a caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from common.errors import InvalidInput, InvalidTransition
from shops.models import (
    FREEZING_KINDS,
    Category,
    Merchant,
    RestrictionKind,
    RestrictionSource,
    Shop,
    ShopRestriction,
    ShopStatus,
    ShopType,
    TrademarkStatus,
)


def merchant_get_or_create(*, email: str, name: str, language: str = "zh-hans") -> Merchant:
    merchant, _ = Merchant.objects.get_or_create(
        contact_email=email.strip().lower(), defaults={"name": name.strip(), "language": language}
    )
    return merchant


def _categories_by_code(codes: Iterable[str]) -> list[Category]:
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        raise InvalidInput(
            "A shop needs at least one category.",
            fields={"categories": ["Give one or more codes."]},
        )
    found = {c.code: c for c in Category.objects.filter(code__in=wanted, is_active=True)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise InvalidInput(
            f"Unknown category codes: {', '.join(unknown)}.",
            fields={"categories": [f"Unknown category code {code!r}." for code in unknown]},
        )
    return [found[code] for code in wanted]


def shop_create(
    *,
    merchant: Merchant,
    name: str,
    shop_type: str,
    trademark_status: str,
    category_codes: Iterable[str],
    external_ref: str,
    partner_id: int | None = None,
    currency: str = "CNY",
) -> Shop:
    """Register a shop (ONBOARDING until its deposit is paid in full). Composable building block."""
    if shop_type not in ShopType.values:
        raise InvalidInput(fields={"shop_type": [f"Must be one of {', '.join(ShopType.values)}."]})
    if trademark_status not in TrademarkStatus.values:
        raise InvalidInput(
            fields={"trademark_status": [f"Must be one of {', '.join(TrademarkStatus.values)}."]}
        )
    categories = _categories_by_code(category_codes)
    try:
        with transaction.atomic():
            shop = Shop.objects.create(
                merchant=merchant,
                name=name.strip(),
                shop_type=shop_type,
                trademark_status=trademark_status,
                external_ref=external_ref,
                partner_id=partner_id,
                currency=currency,
            )
            shop.categories.set(categories)
    except IntegrityError:
        raise InvalidInput(
            f"A shop with external_ref {external_ref!r} already exists.",
            fields={"external_ref": ["Already used by another of your shops."]},
        ) from None
    return shop


def shop_derive_status(shop: Shop, active_kinds: set[str]) -> str:
    if shop.closed_at is not None:
        return ShopStatus.CLOSED
    if shop.went_live_at is None:
        return ShopStatus.ONBOARDING
    if active_kinds & FREEZING_KINDS:
        return ShopStatus.FROZEN
    if active_kinds:
        return ShopStatus.RESTRICTED
    return ShopStatus.ACTIVE


def shop_refresh_status(*, shop: Shop) -> tuple[str, str]:
    """Recompute the cached status from the restriction rows; returns (old, new).

    Re-reads the shop under its row lock rather than trusting the caller's instance, which may be
    stale (another service may have just taken it live), and so that two concurrent changes of
    the same shop's restrictions serialise instead of each writing a status from its own view.
    """
    with transaction.atomic():
        fresh = Shop.objects.select_for_update().get(pk=shop.pk)
        active_kinds = set(
            ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True).values_list(
                "kind", flat=True
            )
        )
        old = fresh.status
        new = shop_derive_status(fresh, active_kinds)
        if new != old:
            Shop.objects.filter(pk=shop.pk).update(status=new)
    shop.status, shop.went_live_at, shop.closed_at = new, fresh.went_live_at, fresh.closed_at
    return old, new


def shop_mark_live(*, shop: Shop, now: datetime) -> bool:
    """The deposit was paid in full for the first time: the shop leaves onboarding. Idempotent."""
    updated = Shop.objects.filter(pk=shop.pk, went_live_at__isnull=True).update(went_live_at=now)
    if updated:
        shop_refresh_status(shop=shop)
    return bool(updated)


def shop_close(*, shop: Shop, now: datetime) -> None:
    """Record a confirmed exit (退店). Building block: deposits.services.shop_exit_confirm also
    drops the requirement to zero."""
    updated = Shop.objects.filter(pk=shop.pk, closed_at__isnull=True).update(closed_at=now)
    if not updated:
        raise InvalidTransition("The shop is already closed.")
    shop_refresh_status(shop=shop)


def restriction_add(
    *,
    shop: Shop,
    kind: str,
    source: str,
    reason: str,
    now: datetime,
    source_ref: str = "",
    lifts_when: str = "",
    actor: AbstractBaseUser | None = None,
) -> ShopRestriction:
    """Add a restriction unless the same cause already holds the same one (then return that)."""
    if kind not in RestrictionKind.values:
        raise InvalidInput(
            fields={"kind": [f"Must be one of {', '.join(RestrictionKind.values)}."]}
        )
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why: the merchant will read it."]})
    with transaction.atomic():
        existing = ShopRestriction.objects.filter(
            shop=shop, kind=kind, source=source, source_ref=source_ref, lifted_at__isnull=True
        ).first()
        if existing:
            return existing
        restriction = ShopRestriction.objects.create(
            shop=shop,
            kind=kind,
            source=source,
            source_ref=source_ref,
            reason=reason.strip(),
            lifts_when=lifts_when,
            since=now,
            created_by=actor,
        )
        shop_refresh_status(shop=shop)
    return restriction


def restrictions_lift(
    *,
    shop: Shop,
    source: str,
    now: datetime,
    reason: str,
    source_ref: str | None = None,
    restriction_ids: Iterable[int] | None = None,
    actor: AbstractBaseUser | None = None,
) -> int:
    """Lift the active restrictions of one cause (and only those). Returns how many were lifted."""
    with transaction.atomic():
        qs = ShopRestriction.objects.filter(shop=shop, source=source, lifted_at__isnull=True)
        if source_ref is not None:
            qs = qs.filter(source_ref=source_ref)
        if restriction_ids is not None:
            qs = qs.filter(pk__in=list(restriction_ids))
        lifted = qs.update(lifted_at=now, lifted_by=actor, lift_reason=reason)
        if lifted:
            shop_refresh_status(shop=shop)
    return lifted


def shop_freeze(
    *, shop: Shop, reason: str, actor: AbstractBaseUser, now: datetime
) -> ShopRestriction:
    """Ops freeze a shop by hand; it stays frozen until ops lift it (a top-up does not)."""
    return restriction_add(
        shop=shop,
        kind=RestrictionKind.FROZEN,
        source=RestrictionSource.MANUAL,
        reason=reason,
        now=now,
        lifts_when="Lifted by the platform's operations team after review.",
        actor=actor,
    )


def shop_unfreeze(*, shop: Shop, reason: str, actor: AbstractBaseUser, now: datetime) -> int:
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why the shop is unfrozen."]})
    lifted = restrictions_lift(
        shop=shop, source=RestrictionSource.MANUAL, now=now, reason=reason, actor=actor
    )
    if not lifted:
        raise InvalidTransition("The shop has no manual freeze to lift.")
    return lifted

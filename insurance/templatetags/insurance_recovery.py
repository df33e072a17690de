"""`{% recovery_banners shop may_see_money %}`: the insurer's advances to repay, as banners on
the shop page and the insurance page (insurance.recovery_display)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from insurance.recovery_display import banner_context
from shops.models import Shop, ShopRestriction

register = template.Library()


@register.inclusion_tag("insurance/_recovery_banner.html")
def recovery_banners(shop: Shop, may_see_money: bool, recoveries: Any = None) -> dict[str, Any]:
    """`recoveries`: the shop's outstanding recoveries when the page read them already."""
    return banner_context(
        shop, timezone.now(), may_see_money=bool(may_see_money), recoveries=recoveries
    )


@register.simple_tag
def recovery_explains_status(shop: Shop) -> bool:
    """Whether the recovery banner already says why the shop is frozen or restricted and what
    lifts it: every active restriction is an insurance supervision. The shop page then leaves
    out its generic "frozen" banner (one banner, the one that says what lifts it); any other
    restriction keeps it."""
    active = getattr(shop, "active_restrictions", None)  # prefetched by the shop page
    if active is None:
        active = list(ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True))
    return bool(active) and all(r.source == "INSURANCE" for r in active)

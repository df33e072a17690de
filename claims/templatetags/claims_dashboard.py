"""`{% claims_panel shop %}`: the shop page's link to the shop's claims, with how many wait on
the merchant. A tag, so the shop page (a deposits view) shows it without deposits importing
claims (the apps depend one way)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from claims import selectors
from shops.models import Shop

register = template.Library()


@register.inclusion_tag("claims/_shop_panel.html", takes_context=True)
def claims_panel(context: template.Context, shop: Shop) -> dict[str, Any]:
    # The navigation's query counted every shop's claims already (claims.context_processors).
    navigation = context.get("navigation")
    counted = navigation.shop(shop.pk) if navigation is not None else None
    if counted is not None:
        total, waiting = counted.claims_total, counted.claims_waiting  # type: ignore[attr-defined]
    else:
        summary = selectors.claims_summary_for_shop(shop.pk, now=timezone.now())
        total, waiting = summary["total"], summary["waiting"]
    return {"shop": shop, "total": total or 0, "waiting": waiting or 0}

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


@register.inclusion_tag("claims/_shop_panel.html")
def claims_panel(shop: Shop) -> dict[str, Any]:
    summary = selectors.claims_summary_for_shop(shop.pk, now=timezone.now())
    return {"shop": shop, "total": summary["total"] or 0, "waiting": summary["waiting"] or 0}

"""`{% shop_switcher %}`: on every shop page (any dashboard URL with a `shop_id`), a menu of the
merchant's other shops that keeps you on the same kind of page: the withdraw page of one shop
leads to the withdraw page of the next. A page whose URL names more than the shop (a payment, a
policy) leads to the other shop's main page instead. The list is the reader's own merchant's
shops, so another merchant's shop is never offered; it comes with the navigation's badges (the
`navigation` the claims context processor puts on every page: one query for all three), or in
a query of its own where a page is rendered without it."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse

from shops.selectors import shops_for_user_switcher

register = template.Library()


@register.inclusion_tag("dashboard/_shop_switcher.html", takes_context=True)
def shop_switcher(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    if match is None or "shop_id" not in match.kwargs or user is None:
        return {"shops": []}
    if not user.is_authenticated:
        return {"shops": []}
    current = str(match.kwargs["shop_id"])
    same_kind = match.view_name if set(match.kwargs) == {"shop_id"} else "dashboard:shop_detail"
    entries = []
    navigation = context.get("navigation")
    shops = navigation.shops if navigation is not None else shops_for_user_switcher(user.pk)
    for shop in shops:
        try:
            href = reverse(same_kind, kwargs={"shop_id": shop.public_id})
        except NoReverseMatch:  # pragma: no cover - every shop page reverses with a shop id
            href = reverse("dashboard:shop_detail", kwargs={"shop_id": shop.public_id})
        entries.append({"shop": shop, "href": href, "current": str(shop.public_id) == current})
    if len(entries) < 2:
        return {"shops": []}  # nothing to switch to
    return {"shops": entries, "current": next((e for e in entries if e["current"]), None)}

"""`{% recovery_banners shop may_see_money %}`: the insurer's advances to repay, as banners on
the shop page and the insurance page (insurance.recovery_display)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from insurance.recovery_display import banner_context
from shops.models import Shop

register = template.Library()


@register.inclusion_tag("insurance/_recovery_banner.html")
def recovery_banners(shop: Shop, may_see_money: bool) -> dict[str, Any]:
    return banner_context(shop, timezone.now(), may_see_money=bool(may_see_money))

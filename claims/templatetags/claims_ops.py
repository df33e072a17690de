"""The ops panel on the claim's admin page (claims.admin_panel builds its context)."""

from __future__ import annotations

from typing import Any

from django import template

from claims.admin_panel import ops_panel_context

register = template.Library()


@register.inclusion_tag("admin/claims/claim/_ops_panel.html", takes_context=True)
def claim_ops_panel(context: template.Context, claim: Any) -> dict[str, Any]:
    request = context["request"]
    data = ops_panel_context(request, claim)
    data["request"] = request
    data["csrf_token"] = context.get("csrf_token")
    return data

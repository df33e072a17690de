"""Whether the dashboard's navigation shows "Team", whichever view rendered it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from shops.selectors import membership_for_user

# The unread notices badge is claims.context_processors.navigation's: read in the same query as
# the claims badge and the shop switcher.


def team_link(request: HttpRequest) -> dict[str, Any]:
    """Whether the navigation shows "Team": only to an owner (who alone manages it). Looked up
    only when a page renders the navigation, never for visitors."""

    def is_owner() -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_staff:
            return False
        membership = membership_for_user(user)
        return bool(membership and membership.may_manage_team)

    return {"may_manage_team": SimpleLazyObject(is_owner)}

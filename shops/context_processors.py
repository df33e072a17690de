"""What every dashboard page's navigation shows, whichever view rendered it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from shops.selectors import membership_for_user, unread_notices_count


def unread_notices(request: HttpRequest) -> dict[str, Any]:
    """The notices this user has not read, for the badge beside "Notices". Counted only when a page
    shows it (lazily), and never for visitors or ops without a merchant."""

    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return unread_notices_count(user.pk)

    return {"unread_notices": SimpleLazyObject(count)}


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

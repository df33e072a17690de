"""The navigation of every dashboard page, whichever view rendered it: the claims and notices
badges and the shop switcher's list, read together in one query (claims.selectors.
dashboard_navigation) the first time the page shows any of them, once per request."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from claims import selectors


class _RequestNavigation:
    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def figures(self) -> selectors.Navigation:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return selectors.NO_NAVIGATION  # never for visitors
        return selectors.dashboard_navigation(user_id=user.pk, now=timezone.now())


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`claims_waiting`: claims waiting on the merchant (an answer to give, or evidence while the
    window is open); `unread_notices`: the notices this user has not read; `navigation`: both and
    the switcher's shops with their claim counts (the shop switcher and the claims panel read
    them here instead of asking again). Lazy: a page that shows none of them reads nothing."""
    nav = _RequestNavigation(request)
    return {
        "claims_waiting": SimpleLazyObject(lambda: nav.figures.claims_waiting),
        "unread_notices": SimpleLazyObject(lambda: nav.figures.unread_notices),
        "navigation": SimpleLazyObject(lambda: nav.figures),
    }

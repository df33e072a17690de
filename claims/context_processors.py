"""The navigation's claims badge on every dashboard page, whichever view rendered it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from claims import selectors


def claims_waiting(request: HttpRequest) -> dict[str, Any]:
    """How many claims wait on the merchant (an answer to give, or evidence while the window is
    open). Counted only when a page shows it (lazily), never for visitors."""

    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return selectors.claims_waiting_count(now=timezone.now(), user_id=user.pk)

    return {"claims_waiting": SimpleLazyObject(count)}

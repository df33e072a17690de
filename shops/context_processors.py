"""What every dashboard page's navigation shows, whichever view rendered it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from shops.models import Notification


def unread_notices(request: HttpRequest) -> dict[str, Any]:
    """The merchant's unread notices, for the badge beside "Notices". Counted only when a page
    shows it (lazily), and never for visitors or ops without a merchant."""

    def count() -> int:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return Notification.objects.filter(
            merchant__members__user_id=user.pk, read_at__isnull=True
        ).count()

    return {"unread_notices": SimpleLazyObject(count)}

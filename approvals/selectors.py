"""Reads of the four-eyes mechanism.

`requests_waiting_for(user)` is what the admin's "waiting for me" filter and the overview page
count: PENDING, not yet expired, made by someone else, of a kind this user may approve.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from approvals import registry
from approvals.models import FourEyesRequest, RequestStatus


def approvable_actions(user: Any) -> list[str]:
    return [k.action for k in registry.kinds() if user.has_perm(k.approve_permission)]


def requests_waiting_for(user: Any, *, now: datetime | None = None) -> QuerySet[FourEyesRequest]:
    """Pending requests this user may approve and did not make (`.count()` for a badge)."""
    now = now or timezone.now()
    if not getattr(user, "is_authenticated", False):
        return FourEyesRequest.objects.none()
    return (
        FourEyesRequest.objects.filter(
            status=RequestStatus.PENDING,
            expires_at__gt=now,
            action__in=approvable_actions(user),
        )
        .exclude(maker_id=user.pk)
        .order_by("expires_at", "pk")
    )


def pending_for_subject(action: str, subject_id: int) -> FourEyesRequest | None:
    return (
        FourEyesRequest.objects.filter(
            action=action, subject_id=subject_id, status=RequestStatus.PENDING
        )
        .select_related("maker")
        .first()
    )

"""Writes for partners: the event outbox (webhook delivery and keys are built on top of it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partners.models import Event


def event_publish(
    *,
    partner_id: int | None,
    type: str,
    data: dict[str, Any],
    now: datetime,
    ordering_key: str = "",
) -> Event:
    """Record an event in the caller's transaction. Delivery happens after commit, elsewhere:
    never do network I/O here."""
    return Event.objects.create(
        partner_id=partner_id, type=type, data=data, ordering_key=ordering_key, created_at=now
    )

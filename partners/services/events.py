"""The event outbox: every app records here what partners should hear about.

`event_publish` writes the event and one Delivery per matching webhook endpoint in the caller's
transaction, and asks for delivery only after that transaction commits: no network I/O here, and
no delivery of something that was rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from common.enqueue import task_nudge
from partners.models import Delivery, Event, WebhookEndpoint

# The task that attempts one delivery, enqueued by name (common.enqueue says why: partners.tasks
# imports these services, so they must not import it back). partners.tasks registers under it.
DELIVER_WEBHOOK_TASK = "partners.tasks.deliver_webhook"


def retry_window() -> timedelta:
    """How long a delivery is retried (api-v1.md: 24 hours); also how long an endpoint may
    keep failing before it is disabled."""
    return timedelta(hours=getattr(settings, "WEBHOOK_RETRY_HOURS", 24))


def event_publish(
    *,
    partner_id: int | None,
    type: str,
    data: dict[str, Any],
    now: datetime,
    ordering_key: str = "",
) -> Event:
    """Record an event in the caller's transaction, with a delivery for each of the partner's
    active endpoints that wants this type. Delivery is enqueued after commit.

    On PostgreSQL this is one statement (event, endpoint match and deliveries): it is meant to
    ride inside every posting's transaction, where each round trip counts (stack.md)."""
    if connection.vendor == "postgresql":
        event, delivery_ids = _publish_pg(
            partner_id=partner_id, type=type, data=data, now=now, ordering_key=ordering_key
        )
    else:
        event, delivery_ids = _publish_orm(
            partner_id=partner_id, type=type, data=data, now=now, ordering_key=ordering_key
        )
    deliveries_enqueue_on_commit(delivery_ids)
    return event


# partners/sql/event_publish_v1.sql: the event and its deliveries in one call. The ledger's posting
# function calls the same SQL function, so both publish through one definition.
_PUBLISH_SQL = (
    "SELECT o_event_id, o_delivery_ids FROM partners_event_publish("
    "%(public_id)s, %(partner_id)s, %(type)s, %(ordering_key)s, %(data)s::jsonb, %(now)s, "
    "%(give_up_at)s)"
)


def _publish_pg(
    *, partner_id: int | None, type: str, data: dict[str, Any], now: datetime, ordering_key: str
) -> tuple[Event, list[int]]:
    event = Event(
        public_id=uuid.uuid4(),
        partner_id=partner_id,
        type=type,
        data=data,
        ordering_key=ordering_key,
        created_at=now,
    )
    params = {
        "public_id": event.public_id,
        "partner_id": partner_id,
        "type": type,
        "ordering_key": ordering_key,
        "data": Event._meta.get_field("data").get_db_prep_value(data, connection),
        "now": now,
        "give_up_at": now + retry_window(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_PUBLISH_SQL, params)
        event_id, delivery_ids = cursor.fetchone()
    event.pk = event.id = event_id
    event._state.adding = False
    event._state.db = connection.alias
    return event, list(delivery_ids or [])


def _publish_orm(
    *, partner_id: int | None, type: str, data: dict[str, Any], now: datetime, ordering_key: str
) -> tuple[Event, list[int]]:
    event = Event.objects.create(
        partner_id=partner_id, type=type, data=data, ordering_key=ordering_key, created_at=now
    )
    if partner_id is None:
        return event, []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(partner_id=partner_id, is_active=True).only(
            "id", "event_types"
        )
        if endpoint.wants(type)
    ]
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(
                event=event,
                endpoint=endpoint,
                ordering_key=ordering_key,
                next_attempt_at=now,
                give_up_at=now + retry_window(),
                created_at=now,
            )
            for endpoint in endpoints
        ]
    )
    return event, [d.pk for d in deliveries]


def deliveries_enqueue_on_commit(delivery_ids: Iterable[int]) -> None:
    """Ask a worker to attempt these deliveries once the current transaction commits. A broker
    that is down loses nothing and holds no one up: one try each, none at all for a few seconds
    after a failure (common.enqueue.task_nudge); the periodic sweep (deliver_due_webhooks)
    finds them."""
    ids = [i for i in delivery_ids if i is not None]
    if not ids:
        return

    def enqueue() -> None:
        for delivery_id in ids:
            if not task_nudge(DELIVER_WEBHOOK_TASK, delivery_id=delivery_id):
                return  # the broker is down: the sweep sends this one and the rest

    transaction.on_commit(enqueue, robust=True)

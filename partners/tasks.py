"""Celery entry points for partners: each loads by id and calls one service.

Tasks import services, never the other way: services enqueue by name (common.enqueue)."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from partners import services
from partners.services.events import DELIVER_WEBHOOK_TASK


@shared_task(
    name=DELIVER_WEBHOOK_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def deliver_webhook(delivery_id: int) -> str:
    return services.delivery_attempt(delivery_id=delivery_id, now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def deliver_due_webhooks() -> int:
    return services.deliveries_enqueue_due(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def prune_idempotency_records() -> int:
    return services.idempotency_records_prune(now=timezone.now())

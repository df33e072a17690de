"""Celery entry points for deposits: each loads what it needs and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from deposits import services


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def expire_due_holds() -> int:
    return services.holds_expire_due(now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def run_ledger_check() -> bool:
    return services.ledger_check_run().ok

"""Celery entry points of the four-eyes mechanism (services do the work)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from approvals import services


@shared_task(name="approvals.tasks.expire_requests")
def expire_requests() -> int:
    """Mark PENDING requests past their 72 hours EXPIRED (beat, every 15 minutes)."""
    return services.requests_expire(now=timezone.now())

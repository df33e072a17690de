"""Celery entry points of claims: load, call one service."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError
from django.utils import timezone

from claims import services

SCAN_DEADLINES_TASK = "claims.tasks.scan_deadlines"
PROCESS_DEADLINE_TASK = "claims.tasks.process_deadline"


# A claim enqueued by one scan is not enqueued again by the next ones for this long: when the
# workers lag behind a large backlog, the queue does not fill with copies (each would find
# nothing to do, but still costs a message and a lock). After it, a claim still due (its task
# failed or was lost) is sent again.
PENDING_SECONDS = 180


def _fan_out(claim_ids: list[int]) -> None:
    for claim_id in claim_ids:
        if cache.add(f"claims:deadline-pending:{claim_id}", 1, PENDING_SECONDS):
            process_deadline.apply_async(kwargs={"claim_id": claim_id})


@shared_task(
    name=SCAN_DEADLINES_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def scan_deadlines() -> int:
    """Beat, every minute: one indexed query for claims whose deadline passed, then one task per
    claim (which re-checks under lock, so a duplicate message or a second scan does nothing)."""
    return services.claims_due_scan(now=timezone.now(), dispatch=_fan_out)


@shared_task(
    name=PROCESS_DEADLINE_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def process_deadline(*, claim_id: int) -> str:
    return services.claim_deadline_process(claim_id=claim_id, now=timezone.now())

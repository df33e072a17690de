"""Celery entry points of insurance: load, call one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from insurance import services

EXPIRE_UNPAID_APPLICATIONS_TASK = "insurance.tasks.expire_unpaid_applications"


@shared_task(
    name=EXPIRE_UNPAID_APPLICATIONS_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def expire_unpaid_applications() -> int:
    """Accepted applications whose premium was not paid in time: EXPIRED, policy CANCELLED."""
    return services.applications_expire_due(now=timezone.now())


@shared_task(
    name=services.ISSUE_POLICY_DOCUMENT_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def issue_policy_document(*, policy_id: int) -> str:
    """Render and store the e-policy of a policy just activated; a second run changes nothing."""
    return services.policy_document_issue(policy_id=policy_id, now=timezone.now()).sha256

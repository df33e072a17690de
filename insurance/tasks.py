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


ISSUE_MISSING_POLICY_DOCUMENTS_TASK = "insurance.tasks.issue_missing_policy_documents"


@shared_task(
    name=ISSUE_MISSING_POLICY_DOCUMENTS_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def issue_missing_policy_documents() -> int:
    """Beat: the safety net for e-policies whose on-commit nudge was lost (broker down): one
    set-based query, then one issue_policy_document per policy. That task finds a document
    already stored and returns it, and the one-per-policy constraint settles two renders racing,
    so a sweep beside the nudge, or two sweeps, still store exactly one."""
    policy_ids = services.policy_documents_due_scan(now=timezone.now())
    for policy_id in policy_ids:
        issue_policy_document.apply_async(kwargs={"policy_id": policy_id})
    return len(policy_ids)


SCAN_RECOVERIES_TASK = "insurance.tasks.scan_recoveries"
PROCESS_RECOVERY_TASK = "insurance.tasks.process_recovery"


@shared_task(
    name=SCAN_RECOVERIES_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def scan_recoveries() -> int:
    """Beat: one set-based query for recoveries with a reminder or the overdue step due, then one
    task per recovery (which re-checks under lock, so a duplicate message does nothing)."""
    recovery_ids = services.recoveries_due_scan(now=timezone.now())
    for recovery_id in recovery_ids:
        process_recovery.delay(recovery_id=recovery_id)
    return len(recovery_ids)


@shared_task(
    name=PROCESS_RECOVERY_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def process_recovery(*, recovery_id: int) -> str:
    return services.recovery_process(recovery_id=recovery_id, now=timezone.now())


SCAN_POLICY_TERMS_TASK = "insurance.tasks.scan_policy_terms"
PROCESS_POLICY_TERM_TASK = "insurance.tasks.process_policy_term"


@shared_task(
    name=SCAN_POLICY_TERMS_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def scan_policy_terms() -> int:
    """Beat: one set-based query for ACTIVE policies with a renewal reminder or expiry due, then
    one task per policy (which re-checks under lock, so a duplicate message does nothing)."""
    policy_ids = services.policy_terms_due_scan(now=timezone.now())
    for policy_id in policy_ids:
        process_policy_term.delay(policy_id=policy_id)
    return len(policy_ids)


@shared_task(
    name=PROCESS_POLICY_TERM_TASK,
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def process_policy_term(*, policy_id: int) -> str:
    return services.policy_term_process(policy_id=policy_id, now=timezone.now())


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def reconcile_insurers_daily() -> dict[str, object]:
    """Daily (django-celery-beat, 02:40 Asia/Shanghai, after deposits' reconcile_daily):
    yesterday's premiums, advances and recoveries against each insurer's statement."""
    return services.insurers_reconcile_daily(now=timezone.now())

"""Idempotency records are kept 24 hours, then pruned by a periodic Celery task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from partners import services, tasks
from partners.models import IdempotencyRecord
from tests.partners.api_client import make_api

pytestmark = pytest.mark.django_db


def record(api, key, created_at):
    return IdempotencyRecord.objects.create(
        partner=api.partner,
        key=key,
        fingerprint="f" * 64,
        method="POST",
        path="/api/v1/shops/",
        status_code=201,
        response_body="{}",
        created_at=created_at,
    )


def test_prunes_records_older_than_24_hours(now):
    api = make_api("Tmall")
    record(api, "old", now - timedelta(hours=24, seconds=1))
    record(api, "fresh", now - timedelta(hours=23))

    deleted = services.idempotency_records_prune(now=now, batch=1)

    assert deleted == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_the_task_runs_the_prune():
    api = make_api("Tmall")
    from django.utils import timezone

    record(api, "ancient", timezone.now() - timedelta(days=3))

    assert tasks.prune_idempotency_records() == 1


def test_a_pruned_key_can_be_used_again_without_double_posting(now):
    from tests.partners.api_client import funded_shop

    api = make_api("Tmall")
    shop = funded_shop(api)
    path = f"/api/v1/shops/{shop['id']}/deductions/"
    body = {"amount_minor": 100, "reason": "r", "reference": "o"}
    first = api.post(path, body, key="reused-after-a-day")
    IdempotencyRecord.objects.filter(key="reused-after-a-day").update(
        created_at=now - timedelta(days=2)
    )
    services.idempotency_records_prune(now=now)

    again = api.post(path, body, key="reused-after-a-day")

    assert again.status_code == 201
    assert again.json()["entry"] == first.json()["entry"]  # the ledger key still replays
    from deposits.models import LedgerTransaction

    assert LedgerTransaction.objects.filter(kind="DEDUCTION").count() == 1


def test_beat_schedules_delivery_and_pruning():
    scheduled = dict(PeriodicTask.objects.values_list("task", "enabled"))

    assert scheduled.get("partners.tasks.prune_idempotency_records") is True
    assert scheduled.get("partners.tasks.deliver_due_webhooks") is True

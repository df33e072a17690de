"""An overdue recovery through a real Celery worker and beat on Redis: beat sends the recovery
scan, the worker marks the recovery OVERDUE and supervises the shop; the merchant's repayment
(through the partner API, in this process) lifts the supervision, measured to be within one
second of the repayment, and the worker's later scans leave it lifted.

Needs CELERY_BROKER_URL=redis://… (skipped without it, failed when CI=true) and PostgreSQL.
"""

from __future__ import annotations

import importlib
import time
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.utils import timezone

from insurance import services
from insurance.models import Recovery
from partners.models import Event
from shops.models import Shop, ShopRestriction
from tests.insurance import conftest as insurance_conftest
from tests.insurance.advance_helpers import make_active_policy
from tests.integration.test_celery_shortfall import _wait_for, worker_and_beat

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgres(reason="the worker process reaches the test database by DATABASE_URL"),
    pytest.mark.django_db(transaction=True),
]

LIFT_WITHIN = 1.0  # seconds, issue 12
# The insurance tests' partners: the marketplace (Tmall) and the insurer (PICC).
api = insurance_conftest.api
insurer_api = insurance_conftest.insurer_api


def supervised(shop_id: int) -> bool:
    return ShopRestriction.objects.filter(
        shop_id=shop_id, kind="SUPERVISED", source="INSURANCE", lifted_at__isnull=True
    ).exists()


def test_a_real_worker_supervises_an_overdue_recovery_and_repayment_lifts_it_within_a_second(
    tmp_path, settings, api, insurer_api
):
    assert connection.vendor == "postgresql"
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False
    started = timezone.now() - timedelta(days=20)
    # Cash covers the requirement besides the policy: the advance opens no shortfall, so the
    # only restriction the shop can get is the recovery's supervision.
    policy = make_active_policy(api, insurer_api, started)
    services.policy_advance(
        policy_id=policy.pk,
        claim_ref="CLM-IT-1",
        amount_minor=30_000,
        currency="CNY",
        idempotency_key="adv-it-1",
        now=timezone.now() - timedelta(days=16),  # due 15 days later: overdue by now
    )
    recovery = Recovery.objects.get(advance__claim_ref="CLM-IT-1")
    assert recovery.status == "OPEN" and not supervised(policy.shop_id)
    # The recovery scan's schedule (a data migration; an earlier transactional test flushed it).
    importlib.import_module("insurance.migrations.0006_recovery_schedule").install(
        django_apps, None
    )

    with worker_and_beat(tmp_path, ["insurance.tasks.scan_recoveries"], name="recovery-it") as logs:
        supervised_in = _wait_for(
            lambda: supervised(policy.shop_id), "the worker's supervision", logs
        )
        recovery.refresh_from_db()
        assert recovery.status == "OVERDUE"
        assert Shop.objects.get(pk=policy.shop_id).status == "FROZEN"

        before = time.monotonic()
        response = api.post(
            f"/api/v1/recoveries/{recovery.public_id}/repayments/",
            {"amount_minor": 30_000, "currency": "CNY", "payment_ref": "alipay-it-0001"},
        )
        assert response.status_code == 201, response.content
        while supervised(policy.shop_id) and time.monotonic() - before < 5:
            time.sleep(0.01)
        lifted_in = time.monotonic() - before

        assert lifted_in < LIFT_WITHIN, f"lifted after {lifted_in:.3f}s\n{logs()}"
        assert Shop.objects.get(pk=policy.shop_id).status == "ACTIVE"
        assert response.json()["status"] == "REPAID"
        changed = Event.objects.filter(type="shop.status_changed", data__status="ACTIVE")
        assert changed.filter(data__previous_status="FROZEN").exists()

        # The worker keeps scanning every second; nothing brings the supervision back.
        time.sleep(3)
        assert not supervised(policy.shop_id)
        assert (
            ShopRestriction.objects.filter(shop_id=policy.shop_id, source="INSURANCE").count() == 1
        )
    print(f"supervised after {supervised_in:.1f}s, lifted {lifted_in * 1000:.0f} ms after repaying")

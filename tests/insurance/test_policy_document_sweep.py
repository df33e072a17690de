"""The e-policy after a premium paid while the broker is down: the payment's after-commit message
is a nudge (common.enqueue.task_nudge) that fails without raising, so the caller still gets its
answer for a premium that was paid, and the sweep (insurance.tasks.issue_missing_policy_documents)
issues the document later, exactly once however many sweeps and nudges race for it."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from common import enqueue
from insurance import services, tasks
from insurance.models import Policy, PolicyDocument, PolicyStatus
from tests.insurance.test_api_policies import accepted, pay
from tests.insurance.test_policies import accepted_policy
from tests.insurance.test_policies import pay as pay_service

pytestmark = pytest.mark.django_db

PAID_AT = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)


@pytest.fixture
def broker_publish_raises(monkeypatch):  # type: ignore[no-untyped-def]
    """Every publish to the broker raises, as kombu does when Redis is down."""
    from config.celery import app

    tried: list[str] = []

    def send_task(name: str, *args: object, **kwargs: object) -> None:
        tried.append(name)
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    enqueue.broker_down_forget()
    monkeypatch.setattr(app, "send_task", send_task)
    yield tried
    enqueue.broker_down_forget()


def documents(policy_id: int) -> int:
    return PolicyDocument.objects.filter(policy_id=policy_id).count()


@pytest.mark.django_db(transaction=True)  # the after-commit work runs inside the request
class TestPremiumPaidWhileTheBrokerIsDown:
    def test_the_request_succeeds_and_the_sweep_issues_one_document(
        self, api, insurer_api, broker_publish_raises
    ):
        _shop, policy = accepted(api, insurer_api)
        enqueue.broker_down_forget()  # the nudges of the set-up failed too; try this one anew

        response = pay(api, policy["id"], 150_000, "PAY-DOWN")

        assert response.status_code == 201, response.content
        assert response.json()["status"] == "ACTIVE"
        assert "insurance.tasks.issue_policy_document" in broker_publish_raises  # it did try
        paid = Policy.objects.get(public_id=policy["id"])
        assert paid.status == PolicyStatus.ACTIVE
        assert documents(paid.pk) == 0
        # Within the grace the sweep leaves it to the nudge; after it, the sweep finds it.
        assert services.policy_documents_due_scan(now=timezone.now()) == []
        due = services.policy_documents_due_scan(now=timezone.now() + timedelta(minutes=3))
        assert due == [paid.pk]
        for policy_id in due:
            tasks.issue_policy_document(policy_id=policy_id)
        assert documents(paid.pk) == 1
        assert services.policy_documents_due_scan(now=timezone.now() + timedelta(minutes=3)) == []


class TestPremiumPayNudge:
    def test_the_service_returns_the_active_policy_when_the_publish_raises(
        self, api, insurer_api, broker_publish_raises, django_capture_on_commit_callbacks
    ):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        enqueue.broker_down_forget()

        with django_capture_on_commit_callbacks(execute=True):
            paid = pay_service(policy, 150_000, now=PAID_AT)

        assert paid.status == PolicyStatus.ACTIVE
        assert broker_publish_raises[-1] == "insurance.tasks.issue_policy_document"
        assert documents(policy.pk) == 0


class TestIssueMissingPolicyDocuments:
    def paid(self, api, insurer_api) -> Policy:
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        pay_service(policy, 150_000, now=PAID_AT)
        return policy

    def test_two_sweeps_store_one_document(self, api, insurer_api, monkeypatch):
        policy = self.paid(api, insurer_api)
        queued: list[dict] = []
        monkeypatch.setattr(tasks, "timezone", SimpleNamespace(now=lambda: PAID_AT + timedelta(3)))
        monkeypatch.setattr(
            tasks.issue_policy_document, "apply_async", lambda kwargs: queued.append(kwargs)
        )

        assert tasks.issue_missing_policy_documents() == 1
        assert tasks.issue_missing_policy_documents() == 1  # neither has run yet
        for kwargs in queued:
            tasks.issue_policy_document(**kwargs)

        assert queued == [{"policy_id": policy.pk}, {"policy_id": policy.pk}]
        assert documents(policy.pk) == 1
        assert tasks.issue_missing_policy_documents() == 0

    def test_leaves_young_policies_to_their_nudge_and_ignores_unpaid_ones(self, api, insurer_api):
        policy = self.paid(api, insurer_api)
        unpaid = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))

        young = services.policy_documents_due_scan(now=PAID_AT + timedelta(seconds=90))
        old = services.policy_documents_due_scan(now=PAID_AT + timedelta(minutes=3))

        assert young == []
        assert old == [policy.pk]
        assert unpaid.pk not in old

    @pytest.mark.parametrize("ended", [PolicyStatus.EXPIRED, PolicyStatus.SURRENDERED])
    def test_a_policy_that_ended_before_its_document_still_gets_one(self, api, insurer_api, ended):
        policy = self.paid(api, insurer_api)
        Policy.objects.filter(pk=policy.pk).update(status=ended)  # as the term scan or 退保 do

        due = services.policy_documents_due_scan(now=PAID_AT + timedelta(minutes=3))
        for policy_id in due:
            tasks.issue_policy_document(policy_id=policy_id)

        assert due == [policy.pk]
        assert documents(policy.pk) == 1

    def test_is_scheduled_in_beat_on_the_notices_queue(self):
        from django_celery_beat.models import PeriodicTask

        from config.celery import app

        sweep = PeriodicTask.objects.get(task=tasks.ISSUE_MISSING_POLICY_DOCUMENTS_TASK)

        assert (sweep.interval.every, sweep.interval.period) == (120, "seconds")
        assert sweep.enabled
        assert settings.CELERY_TASK_ROUTES[sweep.task] == {"queue": "notices"}
        assert app.amqp.router.route({}, sweep.task)["queue"].name == "notices"


@pytest.mark.postgres(reason="two renders racing meet at the unique index, under real concurrency")
@pytest.mark.django_db(transaction=True)
class TestSweepRacingTheNudge:
    def test_two_concurrent_issues_store_one_document(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        pay_service(policy, 150_000, now=PAID_AT, ref=f"PAY-{uuid.uuid4().hex[:8]}")
        barrier = threading.Barrier(2)
        results: list[str] = []
        errors: list[BaseException] = []

        def issue() -> None:
            try:
                barrier.wait()
                results.append(tasks.issue_policy_document(policy_id=policy.pk))
            except BaseException as exc:  # noqa: BLE001 — reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=issue) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert documents(policy.pk) == 1
        assert results == [PolicyDocument.objects.get(policy_id=policy.pk).sha256] * 2

"""While the broker is down a posting does not wait on it (common.enqueue.task_nudge): the
posting commits with its event and delivery rows, the after-commit "deliver now" tries once
without Celery's publish retries, and the delivery stays PENDING for the sweep
(deliver_due_webhooks). After that failure the process skips the nudges for a few seconds."""

from __future__ import annotations

import socket
import time

import pytest
from celery import Celery
from django.conf import settings

from common import enqueue
from partners import services
from partners.models import Delivery
from partners.services.events import DELIVER_WEBHOOK_TASK
from tests.factories import fund, make_shop
from tests.partners.api_client import make_api

pytestmark = pytest.mark.django_db

# Celery's default publish retries alone sleep 0 + 0.2 + 0.2 s against a refused connection
# (docs/operations.md measured ~0.5 s more per posting while Redis was down): a posting whose
# after-commit work takes less than this did not retry.
BOUND_SECONDS = 0.3


@pytest.fixture
def closed_broker(monkeypatch):  # type: ignore[no-untyped-def]
    """The current Celery app, pointed at a port on this machine where nothing listens (every
    connection refused at once), with the project's broker transport options."""
    from config.celery import app as project_app

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery would prefer it to ours
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    url = f"redis://127.0.0.1:{port}/0"
    app = Celery("closed-broker", broker=url, set_as_current=False)
    app.conf.broker_url = url
    app.conf.broker_transport_options = dict(settings.BROKER_SOCKET_TIMEOUTS)
    app.conf.task_routes = settings.CELERY_TASK_ROUTES
    enqueue.broker_down_forget()
    app.set_current()
    yield app
    project_app.set_current()
    enqueue.broker_down_forget()
    app.close()


@pytest.fixture
def shop_with_endpoint(now):  # type: ignore[no-untyped-def]
    api = make_api("Tmall")
    shop = make_shop(now=now, partner_id=api.partner.pk)
    # After the shop: the posting's delivery is the head of the shop's queue, the one the sweep
    # picks first.
    services.webhook_endpoint_create(
        partner_id=api.partner.pk, url="https://hooks.example.com/h", event_types=["*"], now=now
    )
    return shop


def _timed_posting(account, now, capture):  # type: ignore[no-untyped-def]
    """A top-up through the service, then its after-commit callbacks run as a commit runs them
    (an error is logged and the next goes on, as `on_commit(robust=True)` does); the seconds
    those callbacks took and the errors they raised."""
    with capture(execute=False) as callbacks:
        fund(account, 100_000, now=now)
    errors: list[Exception] = []
    started = time.monotonic()
    for callback in callbacks:
        try:
            callback()
        except Exception as error:
            errors.append(error)
    return time.monotonic() - started, errors


class TestPostingWhileTheBrokerIsDown:
    def test_the_posting_does_not_wait_and_its_delivery_waits_for_the_sweep(
        self, closed_broker, shop_with_endpoint, now, django_capture_on_commit_callbacks, sent_tasks
    ):
        from config.celery import app as project_app

        _shop, account = shop_with_endpoint
        before = set(Delivery.objects.values_list("pk", flat=True))

        seconds, errors = _timed_posting(account, now, django_capture_on_commit_callbacks)
        project_app.set_current()  # the broker is back: the sweep runs (sent_tasks records it)
        services.deliveries_enqueue_due(now=now)

        deliveries = Delivery.objects.exclude(pk__in=before)
        assert deliveries.exists()
        assert set(deliveries.values_list("status", "attempts")) == {(Delivery.Status.PENDING, 0)}
        assert seconds < BOUND_SECONDS, f"the after-commit publish took {seconds:.2f} s"
        assert errors == []  # the failed publish was logged, not raised
        swept = {kw["delivery_id"] for name, kw in sent_tasks if name == DELIVER_WEBHOOK_TASK}
        assert set(deliveries.values_list("pk", flat=True)) <= swept

    def test_after_a_failed_publish_the_next_postings_do_not_try_the_broker(
        self,
        closed_broker,
        shop_with_endpoint,
        now,
        django_capture_on_commit_callbacks,
        monkeypatch,
    ):
        _shop, account = shop_with_endpoint
        _timed_posting(account, now, django_capture_on_commit_callbacks)  # fails, remembered
        tries: list[str] = []
        acquire = closed_broker.producer_or_acquire

        def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
            tries.append("broker")  # every publish starts by taking a producer from the pool
            return acquire(*args, **kwargs)

        monkeypatch.setattr(closed_broker, "producer_or_acquire", counted)

        _timed_posting(account, now, django_capture_on_commit_callbacks)
        skipped = list(tries)
        monkeypatch.setattr(settings, "BROKER_DOWN_SKIP_SECONDS", 0)
        enqueue.broker_down_forget()
        _timed_posting(account, now, django_capture_on_commit_callbacks)

        assert skipped == []
        assert tries == ["broker"]  # tried again once the memo is over, once

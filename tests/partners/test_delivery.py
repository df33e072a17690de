"""Outbound webhooks against a real local receiver: outbox → deliveries, signed POSTs, retries
with backoff for 24 hours, order per shop, giving up, disabling and telling ops, redelivery."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail

from partners import services, signing
from partners.models import Delivery, DeliveryAttempt, WebhookEndpoint
from partners.services.events import DELIVER_WEBHOOK_TASK
from partners.services.webhooks import backoff
from tests.partners.api_client import make_api
from tests.partners.receiver import CLOSE, TIMEOUT, receiver

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("allow_local_receiver"),
]


def deliveries_sent(sent_tasks: list[tuple[str, dict]]) -> list[int]:
    return [kw["delivery_id"] for name, kw in sent_tasks if name == DELIVER_WEBHOOK_TASK]


@pytest.fixture
def allow_local_receiver(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.ADMINS = [("Ops", "ops@deposit-desk.local")]


@pytest.fixture
def partner_api(db):
    return make_api("Tmall")


@pytest.fixture
def hook():
    with receiver() as r:
        yield r


def endpoint_for(api, url, now, types=("*",)):
    return services.webhook_endpoint_create(
        partner_id=api.partner.pk, url=url, event_types=list(types), now=now
    )


def publish(api, now, type="deposit.entry_posted", shop="shop-1", **data):
    return services.event_publish(
        partner_id=api.partner.pk,
        type=type,
        data={"shop": {"id": shop}, **data},
        now=now,
        ordering_key=shop,
    )


def delivery_of(event, endpoint):
    return Delivery.objects.get(event=event, endpoint=endpoint)


class TestOutbox:
    def test_one_delivery_per_matching_active_endpoint(self, partner_api, now):
        other = make_api("JD")
        every = endpoint_for(partner_api, "https://a.example.com/h", now)
        holds = endpoint_for(partner_api, "https://b.example.com/h", now, ["hold.expired"])
        off = endpoint_for(partner_api, "https://c.example.com/h", now)
        WebhookEndpoint.objects.filter(pk=off.pk).update(is_active=False)
        endpoint_for(other, "https://d.example.com/h", now)

        event = publish(partner_api, now)

        assert set(Delivery.objects.filter(event=event).values_list("endpoint", flat=True)) == {
            every.pk
        }
        assert holds.pk  # subscribed to another type: nothing for it

    def test_delivery_is_enqueued_only_after_commit(
        self, partner_api, now, sent_tasks, django_capture_on_commit_callbacks
    ):
        endpoint = endpoint_for(partner_api, "https://a.example.com/h", now)

        with django_capture_on_commit_callbacks(execute=True):
            event = publish(partner_api, now)
            assert deliveries_sent(sent_tasks) == []

        assert deliveries_sent(sent_tasks) == [delivery_of(event, endpoint).pk]


class TestDelivery:
    def test_posts_the_event_signed_and_logs_the_attempt(self, partner_api, hook, now):
        endpoint = endpoint_for(partner_api, hook.url, now)
        event = publish(partner_api, now, amount_minor=-1500)
        delivery = delivery_of(event, endpoint)

        outcome = services.delivery_attempt(delivery_id=delivery.pk, now=now)

        assert outcome == "delivered"
        [request] = hook.received
        body = json.loads(request.body)
        assert body == services.event_payload(event)
        assert set(body) == {"id", "type", "created_at", "data"}
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["Deposit-Event-Id"] == str(event.public_id)
        timestamp = signing.verify(
            endpoint.secret,
            request.body,
            request.headers[signing.HEADER],
            now=int(now.timestamp()),
        )
        assert timestamp == int(now.timestamp())
        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.SUCCEEDED
        assert delivery.attempts == 1
        attempt = DeliveryAttempt.objects.get(delivery=delivery)
        assert (attempt.status_code, attempt.response_excerpt) == (200, "status 200")

    def test_running_it_again_sends_nothing_more(self, partner_api, hook, now):
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)
        services.delivery_attempt(delivery_id=delivery.pk, now=now)

        again = services.delivery_attempt(delivery_id=delivery.pk, now=now)

        assert again == "done"
        assert len(hook.received) == 1

    def test_a_leased_delivery_is_left_to_its_worker(self, partner_api, hook, now):
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)
        Delivery.objects.filter(pk=delivery.pk).update(lease_until=now + timedelta(seconds=30))

        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == "leased"
        assert hook.received == []
        later = now + timedelta(seconds=31)
        assert services.delivery_attempt(delivery_id=delivery.pk, now=later) == "delivered"

    def test_a_failure_is_retried_with_exponential_backoff(self, partner_api, hook, now):
        hook.statuses = [500, 503]
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)

        first = services.delivery_attempt(delivery_id=delivery.pk, now=now)
        delivery.refresh_from_db()
        early = services.delivery_attempt(delivery_id=delivery.pk, now=now + timedelta(seconds=9))
        second = services.delivery_attempt(delivery_id=delivery.pk, now=now + timedelta(seconds=10))
        delivery.refresh_from_db()
        third = services.delivery_attempt(delivery_id=delivery.pk, now=delivery.next_attempt_at)

        assert (first, early, second, third) == ("retry", "not_due", "retry", "delivered")
        assert len(hook.received) == 3
        assert [a.status_code for a in DeliveryAttempt.objects.order_by("id")] == [500, 503, 200]
        endpoint.refresh_from_db()
        assert endpoint.failing_since is None
        assert endpoint.last_success_at is not None

    def test_a_receiver_that_times_out_fails_or_hangs_up_is_retried_with_backoff(
        self, partner_api, hook, now, settings
    ):
        settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
        hook.slow_seconds = 1.5
        hook.statuses = [TIMEOUT, 500, CLOSE]
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)

        outcomes, delays, at = [], [], now
        for _ in range(4):
            outcomes.append(services.delivery_attempt(delivery_id=delivery.pk, now=at))
            delivery.refresh_from_db()
            delays.append((delivery.next_attempt_at - at).total_seconds())
            at = delivery.next_attempt_at

        attempts = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("id"))
        assert outcomes == ["retry", "retry", "retry", "delivered"]
        assert delays[:3] == [10, 20, 40]  # each failure waits twice as long as the one before
        assert [a.status_code for a in attempts] == [None, 500, None, 200]
        assert "timed out" in attempts[0].error.lower()
        assert "RemoteDisconnected" in attempts[2].error or "closed" in attempts[2].error.lower()
        assert attempts[0].duration_ms < 1400  # the sender gave up at its timeout, not later
        # The same event each time, numbered by attempt, so the receiver can deduplicate.
        assert {r.headers["Deposit-Event-Id"] for r in hook.received} == {
            str(delivery.event.public_id)
        }
        assert [r.headers["Deposit-Delivery-Attempt"] for r in hook.received] == [
            "1",
            "2",
            "3",
            "4",
        ]
        assert delivery.status == Delivery.Status.SUCCEEDED

    def test_backoff_doubles_up_to_an_hour(self):
        delays = [backoff(n).total_seconds() for n in range(1, 12)]

        assert delays[:4] == [10, 20, 40, 80]
        assert delays[-1] == 3600
        assert all(b >= a for a, b in zip(delays, delays[1:], strict=False))

    def test_an_unreachable_receiver_is_a_failed_attempt(self, partner_api, now):
        endpoint = endpoint_for(partner_api, "http://127.0.0.1:1/hooks", now)
        delivery = delivery_of(publish(partner_api, now), endpoint)

        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == "retry"

        attempt = DeliveryAttempt.objects.get(delivery=delivery)
        assert attempt.status_code is None
        assert "refused" in attempt.error.lower() or "error" in attempt.error.lower()

    def test_a_redirect_is_not_followed(self, partner_api, hook, now):
        hook.statuses = [302]
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)

        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == "retry"
        assert len(hook.received) == 1

    def test_a_private_address_is_refused_at_delivery_unless_allowed(
        self, partner_api, hook, now, settings
    ):
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)
        settings.WEBHOOK_ALLOWED_HOSTS = []

        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == "retry"

        assert hook.received == []
        assert DeliveryAttempt.objects.get(delivery=delivery).error.startswith("Refused")


class TestOrderPerShop:
    def test_a_later_event_of_the_same_shop_waits_for_the_earlier_one(self, partner_api, hook, now):
        hook.statuses = [500]
        endpoint = endpoint_for(partner_api, hook.url, now)
        first = delivery_of(publish(partner_api, now, n=1), endpoint)
        second = delivery_of(publish(partner_api, now + timedelta(seconds=1), n=2), endpoint)
        other_shop = delivery_of(
            publish(partner_api, now + timedelta(seconds=2), shop="shop-2", n=3), endpoint
        )
        t = now + timedelta(seconds=2)

        assert services.delivery_attempt(delivery_id=second.pk, now=t) == "waiting"
        assert services.delivery_attempt(delivery_id=first.pk, now=t) == "retry"
        assert services.delivery_attempt(delivery_id=second.pk, now=t) == "waiting"
        assert services.delivery_attempt(delivery_id=other_shop.pk, now=t) == "delivered"
        t += timedelta(seconds=10)
        assert services.delivery_attempt(delivery_id=first.pk, now=t) == "delivered"
        assert services.delivery_attempt(delivery_id=second.pk, now=t) == "delivered"

        delivered = [json.loads(r.body)["data"]["n"] for r in hook.received if r.body]
        assert delivered == [1, 3, 1, 2]

    def test_success_enqueues_the_next_of_its_queue(
        self, partner_api, hook, now, sent_tasks, django_capture_on_commit_callbacks
    ):
        endpoint = endpoint_for(partner_api, hook.url, now)
        first = delivery_of(publish(partner_api, now), endpoint)
        second = delivery_of(publish(partner_api, now + timedelta(seconds=1)), endpoint)

        with django_capture_on_commit_callbacks(execute=True):
            services.delivery_attempt(delivery_id=first.pk, now=now)

        assert deliveries_sent(sent_tasks) == [second.pk]

    def test_the_sweep_enqueues_only_due_heads(self, partner_api, hook, now, sent_tasks):
        endpoint = endpoint_for(partner_api, hook.url, now)
        head = delivery_of(publish(partner_api, now), endpoint)
        delivery_of(publish(partner_api, now), endpoint)
        other = delivery_of(publish(partner_api, now, shop="shop-2"), endpoint)

        count = services.deliveries_enqueue_due(now=now)

        assert count == 2
        assert sorted(deliveries_sent(sent_tasks)) == sorted([head.pk, other.pk])


class TestGivingUp:
    def test_after_24_hours_it_gives_up_disables_the_endpoint_and_tells_ops(
        self, partner_api, hook, now
    ):
        hook.statuses = [500] * 100
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)
        later = delivery_of(publish(partner_api, now, n=2), endpoint)
        t, outcomes = now, []
        while True:
            outcomes.append(services.delivery_attempt(delivery_id=delivery.pk, now=t))
            delivery.refresh_from_db()
            if delivery.status != Delivery.Status.PENDING:
                break
            t = delivery.next_attempt_at

        assert outcomes[-1] == "gave_up"
        assert set(outcomes[:-1]) == {"retry"}
        assert 20 <= len(outcomes) <= 40
        assert t - now >= timedelta(hours=24)
        endpoint.refresh_from_db()
        assert endpoint.is_active is False
        assert "failed since" in endpoint.disabled_reason
        assert len(mail.outbox) == 0  # sent on commit: the test transaction never commits
        assert services.delivery_attempt(delivery_id=later.pk, now=t) == "endpoint_inactive"

    def test_ops_are_mailed_when_an_endpoint_is_disabled(
        self, partner_api, now, django_capture_on_commit_callbacks
    ):
        endpoint = endpoint_for(partner_api, "https://a.example.com/h", now)

        with django_capture_on_commit_callbacks(execute=True):
            services.webhook_endpoint_disable(endpoint_id=endpoint.pk, reason="failing", now=now)

        [message] = mail.outbox
        assert "a.example.com" in message.subject
        assert message.to == ["ops@deposit-desk.local"]


class TestRedelivery:
    def test_a_failed_delivery_can_be_redelivered_with_a_fresh_window(self, partner_api, hook, now):
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED)
        t = now + timedelta(days=2)

        count = services.deliveries_redeliver(delivery_ids=[delivery.pk], now=t)

        assert count == 1
        assert services.delivery_attempt(delivery_id=delivery.pk, now=t) == "delivered"
        delivery.refresh_from_db()
        assert delivery.give_up_at == t + timedelta(hours=24)

    def test_re_enabling_an_endpoint_sends_what_waited(self, partner_api, hook, now):
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)
        services.webhook_endpoint_disable(endpoint_id=endpoint.pk, reason="ops", now=now)
        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == "endpoint_inactive"

        requeued = services.webhook_endpoint_enable(endpoint_id=endpoint.pk, now=now)

        assert requeued == 1
        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == "delivered"

    def test_deleting_an_endpoint_cancels_its_pending_deliveries(self, partner_api, hook, now):
        endpoint = endpoint_for(partner_api, hook.url, now)
        delivery = delivery_of(publish(partner_api, now), endpoint)

        services.webhook_endpoint_delete(endpoint=endpoint, now=now)

        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.CANCELLED
        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == "done"


class TestPublishCost:
    @pytest.mark.postgres(reason="the SQL functions (one-statement event publish)")
    def test_an_event_and_its_deliveries_are_one_statement(
        self, partner_api, now, django_assert_num_queries
    ):
        endpoint_for(partner_api, "https://a.example.com/h", now)
        endpoint_for(partner_api, "https://b.example.com/h", now, ["hold.expired"])

        with django_assert_num_queries(1):
            event = publish(partner_api, now)

        assert Delivery.objects.filter(event=event).count() == 1
        assert event.pk and Delivery.objects.get(event=event).ordering_key == "shop-1"

    def test_an_event_without_a_partner_has_no_deliveries(self, partner_api, now):
        endpoint_for(partner_api, "https://a.example.com/h", now)

        event = services.event_publish(partner_id=None, type="hold.expired", data={}, now=now)

        assert not Delivery.objects.filter(event=event).exists()

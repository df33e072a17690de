"""GET /api/v1/webhook-deliveries/: the delivery log ops see in the admin, readable by the
partner it concerns, with a redelivery request; another partner's deliveries do not exist."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from partners import services
from partners.models import Delivery
from tests.partners.receiver import receiver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def allow_local_receiver(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def hook():
    with receiver() as r:
        yield r


def endpoint_for(api, url, now):
    return services.webhook_endpoint_create(
        partner_id=api.partner.pk, url=url, event_types=["*"], now=now
    )


def publish(api, now, shop="shop-1"):
    return services.event_publish(
        partner_id=api.partner.pk,
        type="deposit.entry_posted",
        data={"shop": {"id": shop}},
        now=now,
        ordering_key=shop,
    )


def attempt(event, now):
    delivery = Delivery.objects.get(event=event)
    services.delivery_attempt(delivery_id=delivery.pk, now=now)
    delivery.refresh_from_db()
    return delivery


def test_the_log_shows_each_delivery_with_the_receivers_last_answer(api, hook, now):
    endpoint = endpoint_for(api, hook.url, now)
    hook.statuses = [500]
    failed = attempt(publish(api, now, shop="shop-1"), now)
    delivered = attempt(publish(api, now, shop="shop-2"), now)

    body = api.get("/api/v1/webhook-deliveries/").json()

    assert [d["id"] for d in body["results"]] == [
        str(delivered.public_id),
        str(failed.public_id),
    ]  # newest first
    newest, oldest = body["results"]
    assert (newest["status"], newest["last_status_code"], newest["next_attempt_at"]) == (
        "SUCCEEDED",
        200,
        None,
    )
    assert (oldest["status"], oldest["attempts"], oldest["last_status_code"]) == (
        "PENDING",
        1,
        500,
    )
    assert oldest["next_attempt_at"] is not None  # retried with backoff
    assert oldest["endpoint"] == {"id": str(endpoint.public_id), "url": hook.url}
    assert oldest["event"]["type"] == "deposit.entry_posted"


def test_the_detail_lists_the_attempts_newest_first(api, hook, now):
    endpoint_for(api, hook.url, now)
    hook.statuses = [503, 500]
    event = publish(api, now)
    attempt(event, now)
    delivery = attempt(event, now + timedelta(hours=1))  # after the backoff

    body = api.get(f"/api/v1/webhook-deliveries/{delivery.public_id}/").json()

    assert [a["status_code"] for a in body["attempt_log"]] == [500, 503]
    assert body["attempt_log"][0]["response_excerpt"] == "status 500"


def test_filters_narrow_the_log_and_an_unknown_filter_is_named(api, hook, now):
    endpoint_for(api, hook.url, now)
    hook.statuses = [500]
    attempt(publish(api, now, shop="shop-1"), now)
    attempt(publish(api, now, shop="shop-2"), now)

    pending = api.get("/api/v1/webhook-deliveries/", {"status": "PENDING"}).json()
    wrong = api.get("/api/v1/webhook-deliveries/", {"state": "PENDING"})

    assert [d["status"] for d in pending["results"]] == ["PENDING"]
    assert wrong.status_code == 400
    assert "state" in wrong.json()["fields"]


def test_another_partners_delivery_is_not_listed_and_reads_as_missing(api, other_api, hook, now):
    endpoint_for(other_api, hook.url, now)
    theirs = Delivery.objects.get(event=publish(other_api, now))

    listed = api.get("/api/v1/webhook-deliveries/").json()
    read = api.get(f"/api/v1/webhook-deliveries/{theirs.public_id}/")
    redeliver = api.post(f"/api/v1/webhook-deliveries/{theirs.public_id}/redeliver/")
    unknown = api.get(f"/api/v1/webhook-deliveries/{uuid.uuid4()}/")

    assert listed["results"] == []
    assert read.status_code == redeliver.status_code == unknown.status_code == 404


def test_a_redelivery_sends_the_same_event_again(api, hook, now):
    endpoint_for(api, hook.url, now)
    event = publish(api, now)
    delivered = attempt(event, now)

    response = api.post(f"/api/v1/webhook-deliveries/{delivered.public_id}/redeliver/")
    again = attempt(event, timezone.now())  # a redelivery is due at once, on the real clock

    assert response.status_code == 202
    assert response.json()["status"] == "PENDING"
    assert again.status == "SUCCEEDED"
    bodies = [json.loads(r.body) for r in hook.received]
    assert [b["id"] for b in bodies] == [str(event.public_id)] * 2


def test_a_cancelled_delivery_cannot_be_redelivered(api, hook, now):
    endpoint = endpoint_for(api, hook.url, now)
    delivery = Delivery.objects.get(event=publish(api, now))
    services.webhook_endpoint_delete(endpoint=endpoint, now=now)

    response = api.post(f"/api/v1/webhook-deliveries/{delivery.public_id}/redeliver/")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"


def test_deliveries_written_by_the_outbox_function_get_distinct_public_ids(api, now):
    endpoint_for(api, "https://a.example.com/h", now)
    endpoint_for(api, "https://b.example.com/h", now)

    publish(api, now)

    ids = list(Delivery.objects.values_list("public_id", flat=True))
    assert len(ids) == 2 and None not in ids and len(set(ids)) == 2

"""Ops screens: issue a key (shown once), revoke it, read the delivery log, redeliver."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse

from partners import services
from partners.models import ApiKey, Delivery, Scope
from tests.factories import make_user
from tests.partners.api_client import make_api

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    client = Client()
    client.force_login(make_user(staff=True))
    return client


def test_issuing_a_key_shows_it_once(ops):
    partner = services.partner_get_or_create(name="Insurer")

    response = ops.post(
        reverse("admin:partners_apikey_add"),
        {"partner": partner.pk, "name": "prod", "scopes": [Scope.SHOPS_READ]},
        follow=True,
    )

    assert response.status_code == 200
    key = ApiKey.objects.get(partner=partner)
    shown = " ".join(str(m) for m in response.context["messages"])
    [raw] = re.findall(r"ddk_[0-9a-f]{8}_[A-Za-z0-9_-]+", shown)
    assert hashlib.sha256(raw.encode()).hexdigest() == key.key_hash
    assert key.scopes == [Scope.SHOPS_READ]


def test_revoking_needs_a_reason(ops):
    api = make_api("Tmall")
    url = reverse("admin:partners_apikey_changelist")

    ops.post(url, {"action": "revoke", "_selected_action": [api.api_key.pk], "reason": ""})
    api.api_key.refresh_from_db()
    assert api.api_key.revoked_at is None

    ops.post(url, {"action": "revoke", "_selected_action": [api.api_key.pk], "reason": "leaked"})
    api.api_key.refresh_from_db()
    assert api.api_key.revoked_at is not None
    assert api.get("/api/v1/shops/").status_code == 401


def test_delivery_log_and_redelivery(ops, now):
    api = make_api("Tmall")
    endpoint = services.webhook_endpoint_create(
        partner_id=api.partner.pk, url="https://a.example.com/h", event_types=["*"], now=now
    )
    event = services.event_publish(
        partner_id=api.partner.pk, type="hold.expired", data={}, now=now, ordering_key="s"
    )
    delivery = Delivery.objects.get(event=event, endpoint=endpoint)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED)

    listing = ops.get(reverse("admin:partners_delivery_changelist"))
    detail = ops.get(reverse("admin:partners_delivery_change", args=[delivery.pk]))
    ops.post(
        reverse("admin:partners_delivery_changelist"),
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )

    assert listing.status_code == detail.status_code == 200
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING


@pytest.mark.parametrize(
    "name",
    ["partner", "apikey", "webhookendpoint", "delivery", "event", "idempotencyrecord"],
)
def test_changelists_open(ops, name):
    make_api("Tmall")

    assert ops.get(reverse(f"admin:partners_{name}_changelist")).status_code == 200

"""The tenancy matrix: partner B, with a valid key, against every endpoint naming partner A's
objects, gets 404 not_found, and A's data does not change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.partners.api_client import funded_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_objects(api):
    shop = funded_shop(api)
    hold = api.post(
        f"/api/v1/shops/{shop['id']}/holds/",
        {
            "amount_minor": 1_000,
            "reason": "claim",
            "reference": "c-1",
            "expires_at": (timezone.now() + timedelta(days=3)).isoformat(),
        },
    ).json()
    endpoint = api.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://a.example.com/hooks", "event_types": ["*"]},
    ).json()
    return {"shop": shop["id"], "hold": hold["id"], "endpoint": endpoint["id"]}


MONEY = {"amount_minor": 100, "currency": "CNY"}
CASES = [
    ("get", "/api/v1/shops/{shop}/", None),
    ("get", "/api/v1/shops/{shop}/ledger/", None),
    ("get", "/api/v1/shops/{shop}/holds/", None),
    ("post", "/api/v1/shops/{shop}/top-ups/", {**MONEY, "payment_ref": "p-b"}),
    ("post", "/api/v1/shops/{shop}/deductions/", {**MONEY, "reason": "r", "reference": "o"}),
    ("post", "/api/v1/shops/{shop}/withdrawals/", MONEY),
    (
        "post",
        "/api/v1/shops/{shop}/holds/",
        {**MONEY, "reason": "r", "reference": "o", "expires_at": "{expires_at}"},
    ),
    ("get", "/api/v1/holds/{hold}/", None),
    ("post", "/api/v1/holds/{hold}/capture/", {}),
    ("post", "/api/v1/holds/{hold}/release/", {}),
    ("get", "/api/v1/webhook-endpoints/{endpoint}/", None),
    ("delete", "/api/v1/webhook-endpoints/{endpoint}/", None),
]


@pytest.mark.parametrize("method, template, body", CASES, ids=[f"{m} {t}" for m, t, _ in CASES])
def test_another_partners_object_is_not_found(api, other_api, a_objects, method, template, body):
    path = template.format(**a_objects)
    if body and body.get("expires_at"):
        body = {**body, "expires_at": (timezone.now() + timedelta(days=3)).isoformat()}
    before = api.get(f"/api/v1/shops/{a_objects['shop']}/").json()

    if method == "post":
        response = other_api.post(path, body)
    else:
        response = getattr(other_api, method)(path)

    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"
    assert api.get(f"/api/v1/shops/{a_objects['shop']}/").json() == before
    assert api.get(f"/api/v1/holds/{a_objects['hold']}/").json()["status"] == "ACTIVE"
    assert api.get(f"/api/v1/webhook-endpoints/{a_objects['endpoint']}/").status_code == 200


def test_lists_show_only_own_objects(api, other_api, a_objects):
    shop_ref = api.get(f"/api/v1/shops/{a_objects['shop']}/").json()["external_ref"]

    assert other_api.get("/api/v1/shops/").json()["results"] == []
    assert other_api.get("/api/v1/shops/", {"external_ref": shop_ref}).json()["results"] == []
    assert other_api.get("/api/v1/webhook-endpoints/").json()["results"] == []
    assert other_api.get("/api/v1/events/").json()["results"] == []

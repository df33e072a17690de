"""Holds: POST /api/v1/shops/{id}/holds/, GET /api/v1/shops/{id}/holds/, GET /api/v1/holds/{id}/,
POST /api/v1/holds/{id}/capture/ and /release/."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from deposits import services
from deposits.models import Hold
from tests.partners.api_client import funded_shop

pytestmark = pytest.mark.django_db


def later(days: int = 7) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


def place(api, shop_id, amount_minor=50_000, **extra):
    body = {
        "amount_minor": amount_minor,
        "currency": "CNY",
        "reason": "claim C-77",
        "reference": "claim-77",
        "expires_at": later(),
        **extra,
    }
    return api.post(f"/api/v1/shops/{shop_id}/holds/", body)


@pytest.fixture
def shop(api):
    return funded_shop(api)


class TestHoldPlace:
    def test_places_a_hold_on_the_available_deposit(self, api, shop):
        response = place(api, shop["id"])

        assert response.status_code == 201
        hold = response.json()
        assert hold["shop"] == shop["id"]
        assert hold["status"] == "ACTIVE"
        assert (hold["amount_minor"], hold["captured_minor"]) == (50_000, 0)
        assert hold["currency"] == "CNY"
        assert hold["expires_at"].endswith("Z")
        deposit = api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]
        assert (deposit["held_minor"], deposit["available_minor"]) == (50_000, 4_950_000)

    def test_refuses_more_than_available(self, api, shop):
        response = place(api, shop["id"], 5_000_001)

        assert response.status_code == 409
        assert response.json()["code"] == "insufficient_funds"

    @pytest.mark.parametrize(
        "expires_at",
        [
            "2026-12-01T00:00:00",
            "yesterday",
            "2000-01-01T00:00:00Z",
            "9999-12-31T23:59:59+14:00",
            5,
        ],
    )
    def test_expires_at_must_be_a_future_time_with_an_offset(self, api, shop, expires_at):
        response = place(api, shop["id"], expires_at=expires_at)

        assert response.status_code == 400
        assert "expires_at" in response.json()["fields"]

    def test_offsets_are_honoured(self, api, shop):
        local = (timezone.now() + timedelta(days=3)).astimezone(timezone.get_fixed_timezone(480))

        response = place(api, shop["id"], expires_at=local.isoformat())

        assert response.status_code == 201
        stored = Hold.objects.get(public_id=response.json()["id"]).expires_at
        assert abs((stored - local).total_seconds()) < 1


class TestHoldReads:
    def test_get_and_list(self, api, shop):
        first = place(api, shop["id"], 100).json()
        second = place(api, shop["id"], 200).json()

        detail = api.get(f"/api/v1/holds/{first['id']}/")
        listed = api.get(f"/api/v1/shops/{shop['id']}/holds/")
        active = api.get(f"/api/v1/shops/{shop['id']}/holds/", {"status": "ACTIVE"})

        assert detail.status_code == 200
        assert detail.json() == first
        assert [h["id"] for h in listed.json()["results"]] == [second["id"], first["id"]]
        assert len(active.json()["results"]) == 2

    def test_unknown_hold_is_a_404(self, api):
        response = api.get(f"/api/v1/holds/{uuid.uuid4()}/")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestHoldCapture:
    def test_captures_all_by_default(self, api, shop):
        hold = place(api, shop["id"]).json()

        response = api.post(f"/api/v1/holds/{hold['id']}/capture/")

        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["captured_minor"]) == ("CAPTURED", 50_000)
        deposit = api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]
        assert (deposit["posted_minor"], deposit["held_minor"]) == (4_950_000, 0)

    def test_captures_part_and_releases_the_rest(self, api, shop):
        hold = place(api, shop["id"]).json()

        response = api.post(f"/api/v1/holds/{hold['id']}/capture/", {"amount_minor": 30_000})

        assert response.status_code == 200
        assert response.json()["captured_minor"] == 30_000
        deposit = api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]
        assert (deposit["posted_minor"], deposit["held_minor"]) == (4_970_000, 0)

    def test_more_than_held_is_a_400_and_not_stored(self, api, shop):
        hold = place(api, shop["id"]).json()

        too_much = api.post(
            f"/api/v1/holds/{hold['id']}/capture/", {"amount_minor": 50_001}, key="cap-1"
        )
        fixed = api.post(
            f"/api/v1/holds/{hold['id']}/capture/", {"amount_minor": 50_000}, key="cap-2"
        )

        assert too_much.status_code == 400
        assert "amount_minor" in too_much.json()["fields"]
        assert fixed.status_code == 200

    def test_a_resolved_hold_is_not_active(self, api, shop):
        hold = place(api, shop["id"]).json()
        api.post(f"/api/v1/holds/{hold['id']}/release/")

        response = api.post(f"/api/v1/holds/{hold['id']}/capture/")

        assert response.status_code == 409
        assert response.json()["code"] == "hold_not_active"

    def test_an_expired_hold_is_not_active(self, api, shop):
        hold = place(api, shop["id"]).json()
        model = Hold.objects.get(public_id=hold["id"])
        assert services.hold_expire(hold_id=model.pk, now=timezone.now() + timedelta(days=8))

        response = api.post(f"/api/v1/holds/{hold['id']}/capture/")

        assert response.status_code == 409
        assert response.json()["code"] == "hold_not_active"
        assert api.get(f"/api/v1/holds/{hold['id']}/").json()["status"] == "EXPIRED"


class TestHoldRelease:
    def test_releases(self, api, shop):
        hold = place(api, shop["id"]).json()

        response = api.post(f"/api/v1/holds/{hold['id']}/release/", {})

        assert response.status_code == 200
        assert response.json()["status"] == "RELEASED"
        assert api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]["held_minor"] == 0

    def test_twice_is_not_active(self, api, shop):
        hold = place(api, shop["id"]).json()
        api.post(f"/api/v1/holds/{hold['id']}/release/")

        response = api.post(f"/api/v1/holds/{hold['id']}/release/")

        assert response.status_code == 409
        assert response.json()["code"] == "hold_not_active"

"""GET /api/v1/events/: the pull feed, oldest first, the same objects webhooks deliver."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from partners import services
from partners.models import Scope
from tests.partners.api_client import make_api

pytestmark = pytest.mark.django_db


def publish(api, n, now, type="deposit.entry_posted", ordering_key="shop-1"):
    return [
        services.event_publish(
            partner_id=api.partner.pk,
            type=type,
            data={"n": i},
            now=now + timedelta(seconds=i),
            ordering_key=ordering_key,
        )
        for i in range(n)
    ]


class TestEventFeed:
    def test_lists_own_events_oldest_first_as_delivered(self, api, other_api, now):
        events = publish(api, 3, now)
        publish(other_api, 2, now)

        body = api.get("/api/v1/events/").json()

        assert [e["id"] for e in body["results"]] == [str(e.public_id) for e in events]
        assert body["results"][0] == services.event_payload(events[0])
        assert body["results"][0]["created_at"] == "2026-11-02T06:00:00Z"
        assert body["next"] is None

    def test_after_resumes_from_the_last_event_seen(self, api, now):
        events = publish(api, 4, now)

        body = api.get("/api/v1/events/", {"after": str(events[1].public_id)}).json()

        assert [e["data"]["n"] for e in body["results"]] == [2, 3]

    def test_after_an_unknown_event_is_404(self, api):
        assert api.get("/api/v1/events/", {"after": str(uuid.uuid4())}).status_code == 404

    def test_after_must_be_a_uuid(self, api):
        response = api.get("/api/v1/events/", {"after": "42"})

        assert response.status_code == 400
        assert "after" in response.json()["fields"]

    def test_filters_by_type_and_paginates(self, api, now):
        publish(api, 3, now, type="hold.expired")
        publish(api, 1, now, type="shop.status_changed")

        first = api.get("/api/v1/events/", {"type": "hold.expired", "page_size": 2}).json()
        second = api.get(first["next"]).json()

        assert [e["type"] for e in first["results"] + second["results"]] == ["hold.expired"] * 3
        assert [e["data"]["n"] for e in first["results"] + second["results"]] == [0, 1, 2]

    def test_needs_the_events_scope(self):
        api = make_api("No events", scopes=[Scope.SHOPS_READ])

        assert api.get("/api/v1/events/").status_code == 403

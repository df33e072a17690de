"""The appeal endpoints: decide → appeal → appeal-decision through the partner API, the money
given back, replays, scopes and the conflicts the contract names."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Claim
from deposits import services as deposit_services
from partners.models import Event, Scope
from tests.partners.api_client import funded_shop, make_api

pytestmark = [pytest.mark.django_db]

GROUNDS = {"note": "Shipped on time: courier receipt SF1234 dated 3 days ago."}


@pytest.fixture
def api(db):
    return make_api("Tmall")


def decided_claim(api) -> tuple[dict, dict]:
    """A funded shop and a late-shipment claim (300.00) escalated and upheld through the API."""
    shop = funded_shop(api)
    paid_at = (timezone.now() - timedelta(days=3)).isoformat()
    filed = api.post(
        "/api/v1/claims/",
        {
            "external_ref": f"claim-{uuid.uuid4().hex[:8]}",
            "shop": shop["id"],
            "reason": "LATE_SHIPMENT",
            "order": {
                "ref": "TB-1",
                "paid_minor": 100_000,
                "currency": "CNY",
                "paid_at": paid_at,
                "shipped_at": None,
            },
            "consumer": {"ref": "buyer-1"},
            "description": "Not shipped after 48 hours.",
        },
    ).json()
    api.post(f"/api/v1/claims/{filed['id']}/escalate/", {})
    claim = api.post(f"/api/v1/claims/{filed['id']}/decision/", {"outcome": "UPHELD"}).json()
    assert claim["status"] == "DECIDED", claim
    return shop, claim


def deposit(api, shop) -> dict:
    return api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]


class TestAppealFlow:
    def test_an_upheld_appeal_gives_the_award_back_to_the_deposit(self, api):
        shop, claim = decided_claim(api)
        assert deposit(api, shop)["posted_minor"] == 5_000_000 - 30_000
        assert claim["deadlines"]["appeal_by"] is not None

        appealed = api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)
        assert appealed.status_code == 200, appealed.content
        assert appealed.json()["status"] == "APPEALED"
        assert appealed.json()["appeal_note"] == GROUNDS["note"]
        assert appealed.json()["appealed_at"] is not None

        closed = api.post(
            f"/api/v1/claims/{claim['id']}/appeal-decision/",
            {"outcome": "UPHELD", "note": "The receipt proves shipment."},
        )

        assert closed.status_code == 200, closed.content
        body = closed.json()
        assert body["status"] == "CLOSED"
        assert body["appeal_outcome"] == "UPHELD"
        assert body["closed_at"] is not None
        assert body["funding"][0]["source"] == "DEPOSIT"  # the award's record stays
        assert body["reversed"]["amount_minor"] == 30_000
        assert [(e["source"], e["returned_to"]) for e in body["reversed"]["entries"]] == [
            ("DEPOSIT", "DEPOSIT")
        ]
        assert [t["action"] for t in body["timeline"]][-2:] == [
            "appealed",
            "appeal_decided:UPHELD",
        ]
        assert deposit(api, shop)["posted_minor"] == 5_000_000
        types = list(
            Event.objects.filter(partner=api.partner, data__id=claim["id"])
            .order_by("id")
            .values_list("type", flat=True)
        )
        assert types[-3:] == ["claim.appealed", "claim.reversed", "claim.closed"]
        assert deposit_services.ledger_check_run().ok

    def test_a_replayed_appeal_returns_the_first_answer(self, api):
        _, claim = decided_claim(api)

        first = api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS, key="appeal-1")
        again = api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS, key="appeal-1")

        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json() == first.json()
        assert Event.objects.filter(type="claim.appealed").count() == 1


class TestAppealConflicts:
    def test_a_second_appeal_is_appeal_not_allowed(self, api):
        _, claim = decided_claim(api)
        api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)

        again = api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)

        assert again.status_code == 409
        assert again.json()["code"] == "appeal_not_allowed"

    def test_an_appeal_refusal_follows_the_partner_s_language(self, api):
        _, claim = decided_claim(api)
        assert api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS).status_code == 200

        english = api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)
        chinese = api.post(
            f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS, **{"Accept-Language": "zh-hans"}
        )

        assert english.status_code == chinese.status_code == 409
        assert english.json() == {
            "code": "appeal_not_allowed",
            "detail": "The claim was already appealed.",
        }
        assert chinese.json() == {"code": "appeal_not_allowed", "detail": "该理赔已申诉过。"}

    def test_an_appeal_past_the_window_is_appeal_not_allowed(self, api):
        _, claim = decided_claim(api)
        Claim.objects.filter(public_id=claim["id"]).update(
            appeal_by=timezone.now() - timedelta(minutes=1)
        )

        late = api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)

        assert late.status_code == 409
        assert late.json()["code"] == "appeal_not_allowed"

    def test_deciding_an_appeal_that_was_not_made_is_invalid_claim_status(self, api):
        _, claim = decided_claim(api)

        response = api.post(f"/api/v1/claims/{claim['id']}/appeal-decision/", {"outcome": "UPHELD"})

        assert response.status_code == 409
        assert response.json()["code"] == "invalid_claim_status"

    def test_a_second_appeal_decision_is_claim_already_decided(self, api):
        _, claim = decided_claim(api)
        api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)
        api.post(f"/api/v1/claims/{claim['id']}/appeal-decision/", {"outcome": "REJECTED"})

        again = api.post(f"/api/v1/claims/{claim['id']}/appeal-decision/", {"outcome": "UPHELD"})

        assert again.status_code == 409
        assert again.json()["code"] == "claim_already_decided"


class TestAppealInput:
    def test_an_appeal_without_grounds_is_a_400_naming_note(self, api):
        _, claim = decided_claim(api)

        response = api.post(f"/api/v1/claims/{claim['id']}/appeal/", {})

        assert response.status_code == 400
        assert "note" in response.json()["fields"]

    def test_partly_upholding_an_appeal_is_a_400_naming_outcome(self, api):
        _, claim = decided_claim(api)
        api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)

        response = api.post(
            f"/api/v1/claims/{claim['id']}/appeal-decision/", {"outcome": "PARTLY_UPHELD"}
        )

        assert response.status_code == 400
        assert "outcome" in response.json()["fields"]


class TestScopes:
    def test_appealing_needs_the_appeal_scope(self, api):
        _, claim = decided_claim(api)
        limited = make_api(
            "Tmall", scopes=[Scope.CLAIMS_READ, Scope.CLAIMS_WRITE, Scope.CLAIMS_DECIDE]
        )

        response = limited.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)

        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert Claim.objects.get(public_id=claim["id"]).status == "DECIDED"

    def test_deciding_an_appeal_needs_the_decide_scope(self, api):
        _, claim = decided_claim(api)
        api.post(f"/api/v1/claims/{claim['id']}/appeal/", GROUNDS)
        limited = make_api(
            "Tmall", scopes=[Scope.CLAIMS_READ, Scope.CLAIMS_WRITE, Scope.CLAIMS_APPEAL]
        )

        response = limited.post(
            f"/api/v1/claims/{claim['id']}/appeal-decision/", {"outcome": "UPHELD"}
        )

        assert response.status_code == 403
        assert Claim.objects.get(public_id=claim["id"]).status == "APPEALED"

    def test_another_partners_claim_is_404(self, api):
        _, claim = decided_claim(api)
        other = make_api("JD")

        for path, data in (("appeal", GROUNDS), ("appeal-decision", {"outcome": "UPHELD"})):
            response = other.post(f"/api/v1/claims/{claim['id']}/{path}/", data)
            assert response.status_code == 404

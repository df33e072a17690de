"""The claims endpoints: file → escalate → decide / withdraw, replays, tenancy, bad input."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Claim
from deposits import services as deposit_services
from deposits.models import Hold
from partners.models import Event, Scope
from tests.partners.api_client import funded_shop, make_api

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def api(db):
    return make_api("Tmall")


@pytest.fixture
def other_api(db):
    return make_api("JD")


def body(shop_id, **overrides):
    paid_at = (timezone.now() - timedelta(days=3)).isoformat()
    return {
        "external_ref": f"claim-{uuid.uuid4().hex[:8]}",
        "shop": shop_id,
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
        **overrides,
    }


def file(api, shop_id, **overrides):
    return api.post("/api/v1/claims/", body(shop_id, **overrides))


class TestFlow:
    def test_file_escalate_and_uphold_pays_from_the_hold(self, api):
        shop = funded_shop(api)

        filed = file(api, shop["id"])
        assert filed.status_code == 201, filed.content
        claim = filed.json()
        assert claim["status"] == "NEGOTIATING"
        assert claim["compensation_minor"] == 30_000
        assert claim["rule"]["code"] == "LATE_SHIPMENT@2024-01-01"
        assert "× 30% = 300.00 CNY" in claim["rule"]["computation"]
        assert claim["deadlines"]["party"] == "MERCHANT"
        assert claim["deadlines"]["respond_by"]

        escalated = api.post(f"/api/v1/claims/{claim['id']}/escalate/", {"note": "No answer."})
        assert escalated.status_code == 200, escalated.content
        assert escalated.json()["status"] == "IN_REVIEW"
        assert escalated.json()["hold"]

        decided = api.post(f"/api/v1/claims/{claim['id']}/decision/", {"outcome": "UPHELD"})
        assert decided.status_code == 200, decided.content
        result = decided.json()
        assert result["status"] == "DECIDED"
        assert result["outcome"] == "UPHELD"
        assert [(f["source"], f["amount_minor"]) for f in result["funding"]] == [
            ("DEPOSIT", 30_000)
        ]
        assert [e["action"] for e in result["timeline"]] == [
            "filed",
            "escalated",
            "decided:UPHELD",
        ]
        types = list(
            Event.objects.filter(partner=api.partner, type__startswith="claim.").values_list(
                "type", flat=True
            )
        )
        assert sorted(types) == ["claim.decided", "claim.escalated", "claim.filed"]
        assert deposit_services.ledger_check_run().ok

    def test_a_second_decision_is_claim_already_decided(self, api):
        shop = funded_shop(api)
        claim = file(api, shop["id"]).json()
        api.post(f"/api/v1/claims/{claim['id']}/escalate/", {})
        api.post(f"/api/v1/claims/{claim['id']}/decision/", {"outcome": "REJECTED"})

        again = api.post(f"/api/v1/claims/{claim['id']}/decision/", {"outcome": "UPHELD"})

        assert again.status_code == 409
        assert again.json()["code"] == "claim_already_decided"

    def test_deciding_a_negotiating_claim_is_invalid_claim_status(self, api):
        shop = funded_shop(api)
        claim = file(api, shop["id"]).json()

        response = api.post(f"/api/v1/claims/{claim['id']}/decision/", {"outcome": "UPHELD"})

        assert response.status_code == 409
        assert response.json()["code"] == "invalid_claim_status"

    def test_withdraw_releases_the_hold(self, api):
        shop = funded_shop(api)
        claim = file(api, shop["id"]).json()
        api.post(f"/api/v1/claims/{claim['id']}/escalate/", {})

        response = api.post(f"/api/v1/claims/{claim['id']}/withdraw/", {})

        assert response.status_code == 200
        assert response.json()["status"] == "WITHDRAWN"
        hold = Hold.objects.get(public_id=response.json()["hold"])
        assert hold.status == Hold.Status.RELEASED
        assert deposit_services.ledger_check_run().ok

    def test_refiling_the_same_external_ref_returns_the_same_claim(self, api):
        shop = funded_shop(api)
        first = file(api, shop["id"], external_ref="claim-same").json()

        again = file(api, shop["id"], external_ref="claim-same")

        assert again.status_code == 200
        assert again.json()["id"] == first["id"]
        assert Claim.objects.count() == 1

    def test_list_filters_by_status_and_reason(self, api):
        shop = funded_shop(api)
        file(api, shop["id"])
        counterfeit = file(api, shop["id"], reason="COUNTERFEIT").json()
        api.post(f"/api/v1/claims/{counterfeit['id']}/escalate/", {})

        by_status = api.get("/api/v1/claims/", {"status": "IN_REVIEW"}).json()["results"]
        by_reason = api.get("/api/v1/claims/", {"reason": "LATE_SHIPMENT"}).json()["results"]
        by_shop = api.get("/api/v1/claims/", {"shop": shop["id"]}).json()["results"]

        assert [c["id"] for c in by_status] == [counterfeit["id"]]
        assert [c["reason"] for c in by_reason] == ["LATE_SHIPMENT"]
        assert len(by_shop) == 2


class TestBadInput:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"reason": "RUDE"}, "reason"),
            ({"external_ref": ""}, "external_ref"),
            ({"consumer": {}}, "consumer.ref"),
            ({"description": 12}, "description"),
            ({"requested_minor": 0}, "requested_minor"),
            (
                {
                    "order": {
                        "ref": "x",
                        "paid_minor": "10",
                        "paid_at": "2026-01-01T00:00:00Z",
                        "shipped_at": None,
                    }
                },
                "order.paid_minor",
            ),
            (
                {
                    "order": {
                        "ref": "x",
                        "paid_minor": 10,
                        "paid_at": "2026-01-01T00:00:00",
                        "shipped_at": None,
                    }
                },
                "order.paid_at",
            ),
            (
                {
                    "order": {
                        "ref": "x",
                        "paid_minor": 10,
                        "currency": "USD",
                        "paid_at": "2026-01-01T00:00:00Z",
                        "shipped_at": None,
                    }
                },
                "order.currency",
            ),
            (
                {
                    "order": {
                        "ref": "x",
                        "paid_minor": 10,
                        "paid_at": "2026-01-01T00:00:00Z",
                        "shipped_at": "2025-12-31T00:00:00Z",
                    }
                },
                "order.shipped_at",
            ),
            ({"surprise": 1}, "surprise"),
        ],
    )
    def test_each_is_a_400_naming_the_field_and_writes_nothing(self, api, overrides, field):
        shop = funded_shop(api)

        response = file(api, shop["id"], **overrides)

        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
        assert Claim.objects.count() == 0

    def test_partly_upheld_without_an_amount_names_it(self, api):
        shop = funded_shop(api)
        claim = file(api, shop["id"]).json()
        api.post(f"/api/v1/claims/{claim['id']}/escalate/", {})

        response = api.post(f"/api/v1/claims/{claim['id']}/decision/", {"outcome": "PARTLY_UPHELD"})

        assert response.status_code == 400
        assert "amount_minor" in response.json()["fields"]
        assert Claim.objects.get().status == "IN_REVIEW"

    def test_partly_upheld_at_the_rule_amount_names_it_in_money_and_minor_units(self, api):
        claim = escalated_claim(api)

        response = decide(api, claim, "PARTLY_UPHELD", 30_000)

        assert response.status_code == 400
        # api.md's error format; the amount as every refusal with an amount writes it (not
        # "640000"), and under `fields` in the field's minor units.
        assert response.json() == {
            "code": "validation_error",
            "detail": "amount_minor: PARTLY_UPHELD awards less than the rule amount "
            "¥ 300.00 (30000 minor units).",
            "fields": {"amount_minor": ["PARTLY_UPHELD awards less than the rule amount 30000."]},
        }
        assert Claim.objects.get().status == "IN_REVIEW"

    def test_upheld_at_another_amount_names_the_rule_amount_in_money_and_minor_units(self, api):
        claim = escalated_claim(api)

        response = decide(api, claim, "UPHELD", 29_999)

        assert response.status_code == 400
        assert response.json() == {
            "code": "validation_error",
            "detail": "amount_minor: UPHELD awards the rule amount ¥ 300.00 (30000 minor units); "
            "for another amount decide PARTLY_UPHELD.",
            "fields": {
                "amount_minor": [
                    "UPHELD awards the rule amount 30000; for another amount decide PARTLY_UPHELD."
                ]
            },
        }
        assert Claim.objects.get().status == "IN_REVIEW"

    def test_the_amount_refusals_are_in_chinese_when_the_partner_asks(self, api):
        claim = escalated_claim(api)

        partly = decide(api, claim, "PARTLY_UPHELD", 30_000, **{"Accept-Language": "zh-hans"})
        upheld = decide(api, claim, "UPHELD", 29_999, **{"Accept-Language": "zh-hans"})

        assert (partly.status_code, partly.json()["code"]) == (400, "validation_error")
        assert partly.json()["detail"] == (
            "amount_minor: PARTLY_UPHELD 的赔付金额须低于规则金额 "
            "¥ 300.00（30000 个最小货币单位）。"
        )
        assert partly.json()["fields"] == {
            "amount_minor": ["PARTLY_UPHELD awards less than the rule amount 30000."]
        }
        assert (upheld.status_code, upheld.json()["code"]) == (400, "validation_error")
        assert upheld.json()["detail"] == (
            "amount_minor: UPHELD 按规则金额 ¥ 300.00（30000 个最小货币单位）赔付；"
            "如需其他金额，请裁定 PARTLY_UPHELD。"
        )
        assert list(upheld.json()["fields"]) == ["amount_minor"]
        assert Claim.objects.get().status == "IN_REVIEW"

    def test_a_rejection_with_an_amount_is_english_unless_the_partner_asks(self, api):
        claim = escalated_claim(api)

        response = decide(api, claim, "REJECTED", 100)

        assert response.status_code == 400
        assert response.json() == {
            "code": "validation_error",
            "detail": "amount_minor: A rejection awards nothing; leave it out.",
            "fields": {"amount_minor": ["A rejection awards nothing; leave it out."]},
        }

    def test_the_refusals_without_an_amount_are_in_chinese_when_the_partner_asks(self, api):
        claim = escalated_claim(api)
        chinese = {"Accept-Language": "zh-hans"}

        rejected = decide(api, claim, "REJECTED", 100, **chinese)
        partly = api.post(
            f"/api/v1/claims/{claim['id']}/decision/", {"outcome": "PARTLY_UPHELD"}, **chinese
        )

        # The sentence follows the partner's language; code, status and `fields` (its key and
        # its English message) never change (api.md, "Language").
        assert rejected.status_code == 400
        assert rejected.json() == {
            "code": "validation_error",
            "detail": "amount_minor: 驳回不予赔付，请勿填写该字段。",
            "fields": {"amount_minor": ["A rejection awards nothing; leave it out."]},
        }
        assert partly.status_code == 400
        assert partly.json() == {
            "code": "validation_error",
            "detail": "amount_minor: 裁定 PARTLY_UPHELD 时必填。",
            "fields": {"amount_minor": ["Required for PARTLY_UPHELD."]},
        }
        assert Claim.objects.get().status == "IN_REVIEW"

    def test_a_rule_that_leaves_the_amount_to_ops_says_so_in_chinese(self, api):
        filed = file(api, funded_shop(api)["id"], reason="AFTER_SALES").json()
        api.post(f"/api/v1/claims/{filed['id']}/escalate/", {})
        rule = Claim.objects.get().rule.code

        response = api.post(
            f"/api/v1/claims/{filed['id']}/decision/",
            {"outcome": "UPHELD"},
            **{"Accept-Language": "zh-hans"},
        )

        assert response.status_code == 400
        assert response.json() == {
            "code": "validation_error",
            "detail": f"amount_minor: 必填：规则 {rule} 的赔付金额由平台裁定。",
            "fields": {"amount_minor": [f"Required: rule {rule} leaves the amount to ops."]},
        }

    def test_deciding_a_claim_not_in_review_is_refused_in_chinese(self, api):
        claim = file(api, funded_shop(api)["id"]).json()

        response = api.post(
            f"/api/v1/claims/{claim['id']}/decision/",
            {"outcome": "UPHELD"},
            **{"Accept-Language": "zh-hans"},
        )

        assert response.status_code == 409
        assert response.json() == {
            "code": "invalid_claim_status",
            "detail": "状态为 NEGOTIATING 的理赔不能裁定，须先申请平台介入。",
        }


def escalated_claim(api):
    """A claim in review whose rule awards ¥ 300.00 (30% of the ¥ 1,000.00 paid)."""
    claim = file(api, funded_shop(api)["id"]).json()
    api.post(f"/api/v1/claims/{claim['id']}/escalate/", {})
    assert Claim.objects.get().compensation_minor == 30_000
    return claim


def decide(api, claim, outcome, amount_minor, **headers):
    body = {"outcome": outcome, "amount_minor": amount_minor}
    return api.post(f"/api/v1/claims/{claim['id']}/decision/", body, **headers)


class TestTenancy:
    def test_another_partners_shop_is_404(self, api, other_api):
        shop = funded_shop(api)

        response = file(other_api, shop["id"])

        assert response.status_code == 404
        assert Claim.objects.count() == 0

    def test_another_partners_claim_is_404_everywhere(self, api, other_api):
        shop = funded_shop(api)
        claim = file(api, shop["id"]).json()

        assert other_api.get(f"/api/v1/claims/{claim['id']}/").status_code == 404
        for action in ("escalate", "withdraw"):
            assert other_api.post(f"/api/v1/claims/{claim['id']}/{action}/", {}).status_code == 404
        assert other_api.get("/api/v1/claims/").json()["results"] == []

    def test_deciding_needs_the_decide_scope(self, api):
        shop = funded_shop(api)
        claim = file(api, shop["id"]).json()
        limited = make_api("Tmall", scopes=[Scope.CLAIMS_READ, Scope.CLAIMS_WRITE])

        response = limited.post(f"/api/v1/claims/{claim['id']}/decision/", {"outcome": "UPHELD"})

        assert response.status_code == 403

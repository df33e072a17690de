"""The insurance endpoints: quote → apply → accept, tenancy, and bad input writing nothing."""

from __future__ import annotations

import pytest

from insurance.models import InsuranceApplication, InsuranceQuote, Policy
from partners.models import Event
from tests.partners.api_client import funded_shop, register_shop

pytestmark = pytest.mark.django_db


def quote(api, shop_id, **body):
    return api.post(f"/api/v1/shops/{shop_id}/insurance-quotes/", body)


def apply(api, shop_id, quote_id):
    return api.post(f"/api/v1/shops/{shop_id}/insurance-applications/", {"quote": quote_id})


def accept(api, application_id, number="PICC-2026-000123"):
    return api.post(
        f"/api/v1/insurance-applications/{application_id}/accept/", {"policy_number": number}
    )


class TestProducts:
    def test_lists_the_two_default_products(self, api):
        response = api.get("/api/v1/insurance/products/")

        assert response.status_code == 200
        by_code = {p["code"]: p for p in response.json()["results"]}
        assert by_code["perf-bond"]["premium_rate_bps"] == 300
        assert by_code["perf-bond"]["coverage_share_bps"] == 10_000
        assert by_code["perf-bond"]["term_days"] == 365
        assert by_code["perf-bond"]["recovery_days"] == 15
        assert len(by_code["perf-bond"]["categories"]) == 7
        assert by_code["perf-bond-half"]["premium_rate_bps"] == 250
        assert by_code["perf-bond-half"]["coverage_share_bps"] == 5_000


class TestQuote:
    def test_a_new_apparel_shop_is_eligible_at_1500_a_year(self, api):
        shop = register_shop(api)

        response = quote(api, shop["id"])

        assert response.status_code == 201, response.content
        body = response.json()
        assert body["eligible"] is True
        assert body["reasons"] == []
        assert body["coverage_minor"] == 5_000_000
        assert body["premium_minor"] == 150_000
        assert body["cash_required_minor"] == 0
        assert body["day_count"] == "ACT/365"
        assert body["currency"] == "CNY"
        assert "1,500.00 CNY" in body["computation"]

    def test_half_cover_leaves_half_in_cash(self, api):
        shop = register_shop(api)

        body = quote(api, shop["id"], product="perf-bond-half").json()

        assert body["coverage_minor"] == 2_500_000
        assert body["premium_minor"] == 62_500
        assert body["cash_required_minor"] == 2_500_000

    def test_an_ineligible_shop_gets_a_quote_with_every_reason(self, api):
        shop = register_shop(api, categories=["apparel", "health_supplements"])

        response = quote(api, shop["id"])

        assert response.status_code == 201
        body = response.json()
        assert body["eligible"] is False
        assert [r["code"] for r in body["reasons"]] == ["category_not_eligible"]
        assert "Health supplements" in body["reasons"][0]["detail"]
        assert "保健食品" in body["reasons"][0]["detail_zh"]
        assert body["reasons"][0]["detail_zh"]

    def test_reasons_in_chinese_when_asked(self, api):
        shop = register_shop(api, categories=["services"])

        body = api.client.post(
            f"/api/v1/shops/{shop['id']}/insurance-quotes/",
            "{}",
            content_type="application/json",
            headers=api.headers({"Idempotency-Key": "zh-1", "Accept-Language": "zh-hans"}),
        ).json()

        assert "承保范围" in body["reasons"][0]["detail"]
        assert "保费" in body["computation"]

    def test_an_unknown_product_is_a_400_naming_product_and_writes_nothing(self, api):
        shop = register_shop(api)

        response = quote(api, shop["id"], product="no-such-bond")

        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert "product" in response.json()["fields"]
        assert not InsuranceQuote.objects.exists()

    def test_another_partners_shop_is_not_found(self, api, other_api):
        shop = register_shop(api)

        response = quote(other_api, shop["id"])

        assert response.status_code == 404
        assert not InsuranceQuote.objects.exists()

    def test_a_replay_returns_the_first_quote(self, api):
        shop = register_shop(api)

        first = api.post(f"/api/v1/shops/{shop['id']}/insurance-quotes/", {}, key="q-1")
        again = api.post(f"/api/v1/shops/{shop['id']}/insurance-quotes/", {}, key="q-1")

        assert again.json() == first.json()
        assert InsuranceQuote.objects.count() == 1


class TestWalk:
    def test_quote_apply_accept_gives_a_policy_awaiting_premium(self, api, insurer_api):
        shop = register_shop(api)
        quote_id = quote(api, shop["id"]).json()["id"]

        submitted = apply(api, shop["id"], quote_id)
        application_id = submitted.json()["id"]
        accepted = accept(insurer_api, application_id)

        assert submitted.status_code == 201, submitted.content
        assert submitted.json()["status"] == "SUBMITTED"
        assert accepted.status_code == 200, accepted.content
        body = accepted.json()
        assert body["status"] == "ACCEPTED"
        policy = body["policy"]
        assert policy["status"] == "AWAITING_PREMIUM"
        assert policy["policy_number"] == "PICC-2026-000123"
        assert policy["coverage_minor"] == 5_000_000
        assert policy["limit_remaining_minor"] == 5_000_000
        assert policy["premium_minor"] == 150_000
        assert policy["premium_paid_minor"] == 0
        assert policy["starts_on"] is None and policy["ends_on"] is None
        assert api.get(f"/api/v1/policies/{policy['id']}/").json() == policy
        assert insurer_api.get(f"/api/v1/policies/{policy['id']}/").status_code == 200
        listed = api.get(f"/api/v1/shops/{shop['id']}/policies/").json()["results"]
        assert [p["id"] for p in listed] == [policy["id"]]

    def test_events_go_to_the_shops_partner_and_the_insurer(self, api, insurer_api):
        shop = register_shop(api)
        application_id = apply(api, shop["id"], quote(api, shop["id"]).json()["id"]).json()["id"]
        accept(insurer_api, application_id)

        for partner in (api.partner, insurer_api.partner):
            types = list(
                Event.objects.filter(partner=partner, type__startswith="insurance.")
                .order_by("id")
                .values_list("type", flat=True)
            )
            assert types == ["insurance.application_submitted", "insurance.application_decided"]

    def test_the_insurer_declines_with_its_reason(self, api, insurer_api):
        shop = register_shop(api)
        application_id = apply(api, shop["id"], quote(api, shop["id"]).json()["id"]).json()["id"]

        response = insurer_api.post(
            f"/api/v1/insurance-applications/{application_id}/decline/",
            {"reason_code": "overdue_loans", "detail": "The merchant has overdue loans."},
        )

        assert response.status_code == 200
        assert response.json()["status"] == "DECLINED"
        assert response.json()["decline_reason_code"] == "overdue_loans"
        assert response.json()["policy"] is None

    def test_an_ineligible_quote_is_refused_409_not_eligible(self, api):
        shop = register_shop(api, categories=["services"])
        quote_id = quote(api, shop["id"]).json()["id"]

        response = apply(api, shop["id"], quote_id)

        assert response.status_code == 409
        assert response.json()["code"] == "not_eligible"
        assert not InsuranceApplication.objects.exists()

    def test_a_second_application_while_one_is_open_is_409(self, api):
        shop = register_shop(api)
        apply(api, shop["id"], quote(api, shop["id"]).json()["id"])

        response = apply(api, shop["id"], quote(api, shop["id"]).json()["id"])

        assert response.status_code == 409
        assert response.json()["code"] == "application_open"
        assert InsuranceApplication.objects.count() == 1


class TestApplicationTenancy:
    def test_the_list_shows_a_partner_its_shops_and_an_insurer_its_products(
        self, api, other_api, insurer_api
    ):
        shop = register_shop(api)
        application_id = apply(api, shop["id"], quote(api, shop["id"]).json()["id"]).json()["id"]

        mine = api.get("/api/v1/insurance-applications/").json()["results"]
        insurers = insurer_api.get("/api/v1/insurance-applications/", {"status": "SUBMITTED"})
        others = other_api.get("/api/v1/insurance-applications/").json()["results"]

        assert [a["id"] for a in mine] == [application_id]
        assert [a["id"] for a in insurers.json()["results"]] == [application_id]
        assert others == []

    def test_a_bad_status_filter_is_a_400(self, api):
        response = api.get("/api/v1/insurance-applications/", {"status": "NOPE"})

        assert response.status_code == 400
        assert "status" in response.json()["fields"]

    def test_another_partner_cannot_accept_it_404(self, api, other_api, insurer_api):
        shop = register_shop(api)
        application_id = apply(api, shop["id"], quote(api, shop["id"]).json()["id"]).json()["id"]

        response = accept(other_api, application_id)

        assert response.status_code == 404
        assert not Policy.objects.exists()

    def test_the_shops_own_partner_is_not_the_insurer_403(self, api, insurer_api):
        shop = register_shop(api)
        application_id = apply(api, shop["id"], quote(api, shop["id"]).json()["id"]).json()["id"]

        response = accept(api, application_id)

        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert not Policy.objects.exists()
        assert InsuranceApplication.objects.get().status == "SUBMITTED"

    def test_another_partners_policy_and_shop_policies_are_not_found(
        self, api, other_api, insurer_api
    ):
        shop = funded_shop(api)
        application_id = apply(api, shop["id"], quote(api, shop["id"]).json()["id"]).json()["id"]
        policy_id = accept(insurer_api, application_id).json()["policy"]["id"]

        assert other_api.get(f"/api/v1/policies/{policy_id}/").status_code == 404
        assert other_api.get(f"/api/v1/shops/{shop['id']}/policies/").status_code == 404

    def test_a_quote_of_another_shop_is_a_400_naming_quote(self, api):
        shop = register_shop(api)
        other_shop = register_shop(api)
        quote_id = quote(api, other_shop["id"]).json()["id"]

        response = apply(api, shop["id"], quote_id)

        assert response.status_code == 400
        assert "quote" in response.json()["fields"]
        assert not InsuranceApplication.objects.exists()

    def test_deciding_twice_is_409_invalid_state(self, api, insurer_api):
        shop = register_shop(api)
        application_id = apply(api, shop["id"], quote(api, shop["id"]).json()["id"]).json()["id"]
        accept(insurer_api, application_id)

        response = accept(insurer_api, application_id, number="PICC-2")

        assert response.status_code == 409
        assert response.json()["code"] == "invalid_state"
        assert Policy.objects.count() == 1

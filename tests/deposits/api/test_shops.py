"""POST/GET /api/v1/shops/ and GET /api/v1/shops/{id}/."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from deposits.models import BaseRequirementRule
from shops import services as shop_services
from shops.models import RestrictionKind, RestrictionSource, Shop
from tests.partners.api_client import funded_shop, register_shop, shop_body

pytestmark = pytest.mark.django_db


class TestShopCreate:
    def test_registers_an_onboarding_shop_with_its_deposit(self, api):
        response = api.post("/api/v1/shops/", shop_body("tmall-1"))

        assert response.status_code == 201
        shop = response.json()
        assert set(shop) >= {
            "id",
            "external_ref",
            "name",
            "shop_type",
            "trademark_status",
            "categories",
            "status",
            "restrictions",
            "deposit",
        }
        assert shop["external_ref"] == "tmall-1"
        assert shop["status"] == "ONBOARDING"
        assert shop["categories"] == ["apparel"]
        assert shop["restrictions"] == []
        assert shop["deposit"] == {
            "currency": "CNY",
            "required_minor": 5_000_000,
            "posted_minor": 0,
            "held_minor": 0,
            "available_minor": 0,
            "guaranteed_minor": 0,
            "debt_minor": 0,
            "shortfall_minor": 5_000_000,
        }
        assert Shop.objects.get(public_id=shop["id"]).partner_id == api.partner.pk

    def test_requirement_is_the_highest_among_categories(self, api):
        shop = register_shop(api, categories=["apparel", "health_supplements"])

        assert shop["deposit"]["required_minor"] == 30_000_000

    def test_currency_is_set_at_creation_where_rules_exist_in_it(self, api, now):
        for rule in BaseRequirementRule.objects.filter(currency="CNY"):
            BaseRequirementRule.objects.create(
                shop_type=rule.shop_type,
                trademark_status=rule.trademark_status,
                currency="HKD",
                amount_minor=rule.amount_minor,
                effective_from=rule.effective_from,
            )

        shop = register_shop(api, currency="HKD")

        assert shop["deposit"]["currency"] == "HKD"
        assert shop["deposit"]["required_minor"] == 5_000_000

    def test_a_currency_without_rules_is_refused_rather_than_requiring_nothing(self, api):
        response = api.post("/api/v1/shops/", shop_body(currency="JPY"))

        assert response.status_code == 400
        assert "No deposit rules are set in JPY" in response.json()["fields"]["currency"][0]
        assert "CNY" in response.json()["fields"]["currency"][0]
        assert not Shop.objects.filter(currency="JPY").exists()

    def test_unknown_categories_are_named(self, api):
        response = api.post("/api/v1/shops/", shop_body(categories=["apparel", "spaceships"]))

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert "spaceships" in " ".join(body["fields"]["categories"])

    def test_unknown_currency_names_currency(self, api):
        response = api.post("/api/v1/shops/", shop_body(currency="XXX"))

        assert response.status_code == 400
        assert "currency" in response.json()["fields"]

    @pytest.mark.parametrize(
        "field, value",
        [
            ("shop_type", "MEGASTORE"),
            ("trademark_status", "MAYBE"),
            ("categories", []),
            ("categories", "apparel"),
            ("external_ref", ""),
            ("external_ref", "x" * 101),
            ("name", 12),
            ("merchant", {"email": "not-an-email", "name": "M"}),
        ],
    )
    def test_invalid_fields_are_named(self, api, field, value):
        response = api.post("/api/v1/shops/", shop_body(**{field: value}))

        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "validation_error"
        assert any(name.startswith(field) for name in body["fields"]), body

    def test_missing_fields_are_named(self, api):
        response = api.post("/api/v1/shops/", {})

        assert response.status_code == 400
        assert set(response.json()["fields"]) >= {
            "external_ref",
            "name",
            "shop_type",
            "trademark_status",
            "categories",
            "merchant",
        }

    def test_duplicate_external_ref_is_refused(self, api):
        register_shop(api, external_ref="dup-1")

        response = api.post("/api/v1/shops/", shop_body("dup-1"))

        assert response.status_code == 400
        assert "external_ref" in response.json()["fields"]

    def test_two_partners_may_use_the_same_external_ref(self, api, other_api):
        register_shop(api, external_ref="same-ref")

        response = other_api.post("/api/v1/shops/", shop_body("same-ref"))

        assert response.status_code == 201


class TestShopList:
    def test_lists_own_shops_newest_first(self, api, other_api):
        first = register_shop(api)
        second = register_shop(api)
        register_shop(other_api)

        response = api.get("/api/v1/shops/")

        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"results", "next"}
        assert [s["id"] for s in body["results"]] == [second["id"], first["id"]]
        assert body["next"] is None

    def test_filters_by_status_and_external_ref(self, api):
        onboarding = register_shop(api)
        active = funded_shop(api)

        by_status = api.get("/api/v1/shops/", {"status": "ACTIVE"}).json()["results"]
        by_ref = api.get("/api/v1/shops/", {"external_ref": onboarding["external_ref"]}).json()

        assert [s["id"] for s in by_status] == [active["id"]]
        assert [s["id"] for s in by_ref["results"]] == [onboarding["id"]]

    def test_invalid_status_filter_is_a_400(self, api):
        response = api.get("/api/v1/shops/", {"status": "SLEEPING"})

        assert response.status_code == 400
        assert "status" in response.json()["fields"]

    def test_cursor_pagination_walks_every_shop_once(self, api):
        ids = [register_shop(api)["id"] for _ in range(5)]

        seen, url, pages = [], "/api/v1/shops/?page_size=2", 0
        while url:
            body = api.get(url).json()
            seen += [s["id"] for s in body["results"]]
            url = body["next"]
            pages += 1

        assert seen == list(reversed(ids))
        assert pages == 3

    @pytest.mark.parametrize("page_size", ["0", "201", "-1", "abc"])
    def test_page_size_out_of_range_is_a_400(self, api, page_size):
        response = api.get("/api/v1/shops/", {"page_size": page_size})

        assert response.status_code == 400
        assert "page_size" in response.json()["fields"]

    @pytest.mark.parametrize("cursor", ["garbage", "cD1hYmM=", "cD0tMQ=="])
    def test_bad_cursor_is_a_400(self, api, cursor):
        response = api.get("/api/v1/shops/", {"cursor": cursor})

        assert response.status_code == 400
        assert "cursor" in response.json()["fields"]

    def test_default_page_is_50(self, api, now):
        for n in range(51):
            from deposits import services

            services.shop_register(
                merchant_email=f"m{n}@example.com",
                merchant_name="M",
                name=f"S{n}",
                shop_type="FLAGSHIP",
                trademark_status="REGISTERED",
                category_codes=["apparel"],
                external_ref=f"bulk-{n}",
                partner_id=api.partner.pk,
                now=now,
            )

        body = api.get("/api/v1/shops/").json()

        assert len(body["results"]) == 50
        assert body["next"]


class TestShopDetail:
    def test_shows_the_shop_with_deposit_and_active_restrictions(self, api):
        shop = funded_shop(api)
        model = Shop.objects.get(public_id=shop["id"])
        shop_services.restriction_add(
            shop=model,
            kind=RestrictionKind.MARKETING,
            source=RestrictionSource.MANUAL,
            reason="Counterfeit complaints under review",
            now=timezone.now(),
        )

        response = api.get(f"/api/v1/shops/{shop['id']}/")

        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "RESTRICTED"
        assert body["deposit"]["posted_minor"] == 5_000_000
        assert body["deposit"]["shortfall_minor"] == 0
        [restriction] = body["restrictions"]
        assert restriction["kind"] == "MARKETING"
        assert restriction["reason"] == "Counterfeit complaints under review"
        assert restriction["since"].endswith("Z")

    def test_unknown_shop_is_a_404(self, api):
        response = api.get(f"/api/v1/shops/{uuid.uuid4()}/")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_malformed_id_is_a_json_404(self, api):
        response = api.get("/api/v1/shops/not-a-uuid/")

        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


class TestMerchantsBelongToTheirPartner:
    def test_another_partner_cannot_attach_a_shop_to_an_existing_merchant(self, api, other_api):
        merchant = {"email": "owner@shared.example", "name": "Shared Co"}
        register_shop(api, merchant=merchant)

        response = other_api.post("/api/v1/shops/", shop_body(merchant=merchant))

        # Registered like any new merchant, into a merchant of its own (merchants are scoped by
        # partner; the answer must not reveal the other partner's: tests/security).
        assert response.status_code == 201
        first = Shop.objects.get(external_ref__isnull=False, partner=api.partner)
        second = Shop.objects.get(public_id=response.json()["id"])
        assert second.merchant_id != first.merchant_id

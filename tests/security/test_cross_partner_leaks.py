"""What one partner's answers may not tell it about another partner's data: that a company is
already another partner's merchant, or that a payment reference was already used by another
partner. Each answer is compared with the one for something that exists nowhere."""

from __future__ import annotations

import pytest

from deposits.models import LedgerTransaction
from shops.models import Shop
from tests.partners.api_client import funded_shop, register_shop, shop_body, top_up

pytestmark = pytest.mark.django_db


def _comparable(shop: dict) -> dict:
    """A shop's representation without what differs between any two shops."""
    return {k: v for k, v in shop.items() if k not in ("id", "external_ref", "created_at")}


class TestMerchantEmail:
    def test_another_partners_merchant_email_registers_like_a_new_one(self, api, other_api):
        theirs = register_shop(api, merchant={"email": "boss@yunjin.example", "name": "云锦"})

        known = other_api.post(
            "/api/v1/shops/",
            shop_body(merchant={"email": "boss@yunjin.example", "name": "云锦"}),
        )
        fresh = other_api.post(
            "/api/v1/shops/",
            shop_body(merchant={"email": "nobody@else.example", "name": "云锦"}),
        )

        assert known.status_code == fresh.status_code == 201
        assert _comparable(known.json()) == _comparable(fresh.json())
        first = Shop.objects.get(public_id=theirs["id"])
        second = Shop.objects.get(public_id=known.json()["id"])
        assert second.merchant_id != first.merchant_id, "not added to the other's merchant"
        assert list(first.merchant.shops.all()) == [first]

    def test_the_same_partner_still_adds_shops_to_its_own_merchant(self, api):
        first = register_shop(api, merchant={"email": "boss@yunjin.example", "name": "云锦"})
        second = register_shop(api, merchant={"email": "BOSS@yunjin.example", "name": "云锦"})

        assert (
            Shop.objects.get(public_id=first["id"]).merchant_id
            == Shop.objects.get(public_id=second["id"]).merchant_id
        )


class TestPaymentReference:
    def test_a_reference_another_partner_used_credits_like_a_new_one(self, api, other_api):
        mine = funded_shop(api, 100)
        top_up(api, mine["id"], 100, payment_ref="alipay-2026-0001")
        theirs = register_shop(other_api)

        response = top_up(other_api, theirs["id"], 700, payment_ref="alipay-2026-0001")

        assert response.status_code == 201, response.content
        assert response.json()["deposit"]["posted_minor"] == 700
        assert LedgerTransaction.objects.filter(payment_ref="alipay-2026-0001").count() == 2

    def test_the_same_partner_using_a_reference_twice_is_refused_as_before(self, api):
        first, second = register_shop(api), register_shop(api)
        top_up(api, first["id"], 100, payment_ref="alipay-2026-0002")

        response = top_up(api, second["id"], 100, payment_ref="alipay-2026-0002")

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_reference"
        assert api.get(f"/api/v1/shops/{second['id']}/").json()["deposit"]["posted_minor"] == 0

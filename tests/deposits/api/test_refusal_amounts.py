"""A refusal that names an amount says it as money and as the minor units the request carried
("¥ 50,000.00 (5000000 minor units)"), in English or, when the partner asks, in Chinese: a bare
5000000 left a partner's engineer guessing between fen and yuan. Codes, statuses and `fields`
stay as the contract fixes them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.partners.api_client import funded_shop

pytestmark = pytest.mark.django_db

ZH = {"Accept-Language": "zh-hans"}


def deduct(api, shop_id, amount_minor, **headers):
    body = {"amount_minor": amount_minor, "currency": "CNY", "reason": "r", "reference": "o-1"}
    return api.post(f"/api/v1/shops/{shop_id}/deductions/", body, **headers)


def withdraw(api, shop_id, amount_minor, **headers):
    body = {"amount_minor": amount_minor, "currency": "CNY"}
    return api.post(f"/api/v1/shops/{shop_id}/withdrawals/", body, **headers)


def hold(api, shop_id, amount_minor, **headers):
    body = {
        "amount_minor": amount_minor,
        "currency": "CNY",
        "reason": "claim C-77",
        "reference": "claim-77",
        "expires_at": (timezone.now() + timedelta(days=7)).isoformat(),
    }
    return api.post(f"/api/v1/shops/{shop_id}/holds/", body, **headers)


class TestDeduction:
    def test_insufficient_funds_names_both_amounts_as_money_and_minor_units(self, api):
        shop = funded_shop(api, 123_400)

        response = deduct(api, shop["id"], 200_000)

        assert response.status_code == 409
        assert response.json() == {
            "code": "insufficient_funds",
            "detail": "Available deposit is ¥ 1,234.00 (123400 minor units), less than the "
            "¥ 2,000.00 (200000 minor units) deducted.",
        }

    def test_in_chinese_when_the_partner_asks(self, api):
        shop = funded_shop(api, 123_400)

        response = deduct(api, shop["id"], 200_000, **ZH)

        assert response.status_code == 409
        assert response.json()["code"] == "insufficient_funds"
        assert response.json()["detail"] == (
            "可用保证金为 ¥ 1,234.00（123400 个最小货币单位），"
            "少于要扣除的 ¥ 2,000.00（200000 个最小货币单位）。"
        )


class TestWithdrawal:
    def test_above_available(self, api):
        shop = funded_shop(api, 5_100_000)

        response = withdraw(api, shop["id"], 5_100_001)

        assert (response.status_code, response.json()["code"]) == (409, "insufficient_funds")
        assert response.json()["detail"] == (
            "Only ¥ 51,000.00 (5100000 minor units) is available to withdraw."
        )

    def test_over_the_limit_the_requirement_leaves(self, api):
        shop = funded_shop(api, 5_100_000)  # the requirement is ¥ 50,000.00

        response = withdraw(api, shop["id"], 100_001)
        chinese = withdraw(api, shop["id"], 100_001, **ZH)

        assert (response.status_code, response.json()["code"]) == (409, "would_cause_shortfall")
        assert response.json()["detail"] == (
            "The deposit must stay at ¥ 50,000.00 (5000000 minor units); at most "
            "¥ 1,000.00 (100000 minor units) can be withdrawn now."
        )
        assert "fields" not in response.json()
        assert (chinese.status_code, chinese.json()["code"]) == (409, "would_cause_shortfall")
        assert chinese.json()["detail"] == (
            "保证金须保持在 ¥ 50,000.00（5000000 个最小货币单位）；"
            "目前最多可提现 ¥ 1,000.00（100000 个最小货币单位）。"
        )


class TestHolds:
    def test_more_than_available(self, api):
        shop = funded_shop(api, 5_000_000)

        response = hold(api, shop["id"], 5_000_001)

        assert (response.status_code, response.json()["code"]) == (409, "insufficient_funds")
        assert response.json()["detail"] == (
            "Available deposit is ¥ 50,000.00 (5000000 minor units), less than the "
            "¥ 50,000.01 (5000001 minor units) held."
        )

    def test_capturing_more_than_held_keeps_its_field_and_says_the_amount(self, api):
        shop = funded_shop(api)
        placed = hold(api, shop["id"], 50_000).json()

        response = api.post(f"/api/v1/holds/{placed['id']}/capture/", {"amount_minor": 50_001})

        assert response.status_code == 400
        assert response.json() == {
            "code": "validation_error",
            "detail": "amount_minor: At most the held ¥ 500.00 (50000 minor units) can be "
            "captured.",
            "fields": {"amount_minor": ["At most the held 50000."]},
        }


class TestRefusalsWithoutAnAmount:
    """The deposits services' other refusals follow the partner's language too; code, status and
    the English `fields` as the contract fixes them."""

    def test_a_resolved_hold_says_so_in_english_unless_asked(self, api):
        shop = funded_shop(api)
        placed = hold(api, shop["id"], 50_000).json()
        api.post(f"/api/v1/holds/{placed['id']}/release/")

        english = api.post(f"/api/v1/holds/{placed['id']}/capture/")
        chinese = api.post(f"/api/v1/holds/{placed['id']}/capture/", **ZH)

        assert english.status_code == chinese.status_code == 409
        assert english.json() == {
            "code": "hold_not_active",
            "detail": "The hold is already released.",
        }
        assert chinese.json() == {"code": "hold_not_active", "detail": "该冻结已处于“已解冻”状态。"}

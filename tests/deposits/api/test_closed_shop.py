"""A shop whose exit (退店) is confirmed takes no new money: partners get 409 shop_closed, and
nothing is written for the refusal (no ledger transaction, not even a FAILED one). What the exit
still needs goes on: the holds of claims still open are captured or released."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from deposits import services
from deposits.models import Entry, Hold, LedgerTransaction
from partners.models import IdempotencyRecord
from shops.models import Shop
from tests.partners.api_client import funded_shop

pytestmark = pytest.mark.django_db

REQUIRED = 5_000_000
SURPLUS = 1_000_000


def close(shop_id: str) -> None:
    services.shop_exit_confirm(shop=Shop.objects.get(public_id=shop_id), now=timezone.now())


def ledger_rows() -> tuple[int, int]:
    return LedgerTransaction.objects.count(), Entry.objects.count()


def hold_body(amount_minor: int = 100_000) -> dict:
    return {
        "amount_minor": amount_minor,
        "currency": "CNY",
        "reason": "假一赔四投诉审核中",
        "reference": "CLAIM-1",
        "expires_at": (timezone.now() + timedelta(days=10)).isoformat(),
    }


@pytest.fixture
def closed_shop(api) -> dict:
    shop = funded_shop(api, REQUIRED + SURPLUS)
    close(shop["id"])
    return shop


class TestClosedShopRefusesNewMoney:
    @pytest.mark.parametrize(
        "path, body",
        [
            ("top-ups", {"amount_minor": 100, "currency": "CNY", "payment_ref": "late-pay-1"}),
            (
                "deductions",
                {
                    "amount_minor": 100,
                    "currency": "CNY",
                    "reason": "延迟发货赔付",
                    "reference": "o-1",
                },
            ),
            ("withdrawals", {"amount_minor": 100, "currency": "CNY"}),
            ("holds", hold_body()),
        ],
    )
    def test_a_posting_is_refused_with_shop_closed_and_writes_nothing(
        self, api, closed_shop, path, body
    ):
        before = ledger_rows()

        response = api.post(f"/api/v1/shops/{closed_shop['id']}/{path}/", body)

        assert response.status_code == 409
        assert response.json()["code"] == "shop_closed"
        assert response.json()["detail"]
        assert ledger_rows() == before
        assert not LedgerTransaction.objects.filter(status="FAILED").exists()
        assert api.get(f"/api/v1/shops/{closed_shop['id']}/").json()["deposit"]["posted_minor"] == (
            REQUIRED + SURPLUS
        )

    def test_a_retried_refusal_stays_a_refusal_never_a_201(self, api, closed_shop):
        body = {"amount_minor": 100, "currency": "CNY", "payment_ref": "late-pay-2"}
        path = f"/api/v1/shops/{closed_shop['id']}/top-ups/"

        first = api.post(path, body, key="late-payment")
        again = api.post(path, body, key="late-payment")

        assert first.status_code == again.status_code == 409
        assert again.json()["code"] == "shop_closed"
        assert not IdempotencyRecord.objects.filter(status_code=201, key="late-payment").exists()
        assert not LedgerTransaction.objects.filter(payment_ref="late-pay-2").exists()

    def test_a_top_up_made_before_the_exit_still_replays_its_first_result(self, api):
        shop = funded_shop(api, REQUIRED)
        path = f"/api/v1/shops/{shop['id']}/top-ups/"
        body = {"amount_minor": 500, "currency": "CNY", "payment_ref": "pay-before-exit"}
        first = api.post(path, body, key="before-exit")
        close(shop["id"])

        again = api.post(path, body, key="before-exit")

        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()


class TestClosedShopStillResolvesOpenClaims:
    @pytest.mark.parametrize("action, status", [("capture", "CAPTURED"), ("release", "RELEASED")])
    def test_a_hold_placed_before_the_exit_can_be_captured_or_released(self, api, action, status):
        shop = funded_shop(api, REQUIRED)
        hold = api.post(f"/api/v1/shops/{shop['id']}/holds/", hold_body()).json()
        close(shop["id"])

        response = api.post(f"/api/v1/holds/{hold['id']}/{action}/", {})

        assert response.status_code == 200, response.content
        assert Hold.objects.get(public_id=hold["id"]).status == status

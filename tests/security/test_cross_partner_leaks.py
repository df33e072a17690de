"""What one partner's answers may not tell it about another partner's data: that a company is
already another partner's merchant, or that a payment reference was already used by another
partner. Each answer is compared with the one for something that exists nowhere."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from deposits.models import LedgerTransaction, TransactionKind
from insurance import services as insurance_services
from insurance.models import PremiumPayment, Recovery, RecoveryRepayment
from shops.models import Shop
from tests.insurance.advance_helpers import make_active_policy
from tests.partners.api_client import Api, funded_shop, register_shop, shop_body, top_up

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


def _policy_awaiting_premium(api: Api, insurer_api: Api) -> str:
    """A new shop of `api`'s, quoted, applied for and accepted: its policy's id."""
    shop = register_shop(api)
    quote = api.post(f"/api/v1/shops/{shop['id']}/insurance-quotes/", {}).json()
    application = api.post(
        f"/api/v1/shops/{shop['id']}/insurance-applications/", {"quote": quote["id"]}
    ).json()
    accepted = insurer_api.post(
        f"/api/v1/insurance-applications/{application['id']}/accept/",
        {"policy_number": f"PICC-{uuid.uuid4().hex[:10]}"},
    )
    assert accepted.status_code == 200, accepted.content
    return accepted.json()["policy"]["id"]


def _pay_premium(api: Api, policy_id: str, payment_ref: str):
    return api.post(
        f"/api/v1/policies/{policy_id}/premium-payments/",
        {"amount_minor": 10_000, "currency": "CNY", "payment_ref": payment_ref},
    )


def _recovery(api: Api, insurer_api: Api, claim_ref: str) -> Recovery:
    """An insured shop of `api`'s whose claim the insurer advanced 300.00 on: its recovery."""
    now = timezone.now()
    policy = make_active_policy(api, insurer_api, now)
    result = insurance_services.policy_advance(
        policy_id=policy.pk,
        claim_ref=claim_ref,
        amount_minor=30_000,
        currency="CNY",
        idempotency_key=f"adv-{claim_ref}",
        now=now,
    )
    return result.advance.recovery


def _repay(api: Api, recovery: Recovery, payment_ref: str):
    return api.post(
        f"/api/v1/recoveries/{recovery.public_id}/repayments/",
        {"amount_minor": 10_000, "currency": "CNY", "payment_ref": payment_ref},
    )


class TestPremiumPaymentReference:
    def test_a_premium_paid_with_another_partners_reference_is_credited(
        self, api, other_api, insurer_api
    ):
        mine = _policy_awaiting_premium(api, insurer_api)
        theirs = _policy_awaiting_premium(other_api, insurer_api)
        assert _pay_premium(api, mine, "alipay-prem-0001").status_code == 201

        response = _pay_premium(other_api, theirs, "alipay-prem-0001")

        assert response.status_code == 201, response.content
        assert response.json()["premium_paid_minor"] == 10_000
        assert PremiumPayment.objects.filter(payment_ref="alipay-prem-0001").count() == 2
        premiums = LedgerTransaction.objects.filter(
            kind=TransactionKind.PREMIUM, payment_ref="alipay-prem-0001"
        )
        assert sorted(premiums.values_list("payment_partner_id", flat=True)) == sorted(
            [api.partner.pk, other_api.partner.pk]
        )

    def test_the_same_partner_paying_two_premiums_with_one_reference_is_refused(
        self, api, insurer_api
    ):
        first = _policy_awaiting_premium(api, insurer_api)
        second = _policy_awaiting_premium(api, insurer_api)
        assert _pay_premium(api, first, "alipay-prem-0002").status_code == 201
        ledger_before = LedgerTransaction.objects.count()

        response = _pay_premium(api, second, "alipay-prem-0002")

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_reference"
        assert "payment_ref" in response.json()["fields"]
        assert PremiumPayment.objects.filter(payment_ref="alipay-prem-0002").count() == 1
        assert LedgerTransaction.objects.count() == ledger_before

    def test_a_premium_paid_with_the_partners_own_top_up_reference_is_refused(
        self, api, insurer_api
    ):
        shop = funded_shop(api, 100)
        top_up(api, shop["id"], 100, payment_ref="alipay-2026-0003")
        policy = _policy_awaiting_premium(api, insurer_api)

        response = _pay_premium(api, policy, "alipay-2026-0003")

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_reference"
        assert not PremiumPayment.objects.filter(payment_ref="alipay-2026-0003").exists()


class TestRepaymentReference:
    def test_a_repayment_with_another_partners_reference_is_credited_once(
        self, api, other_api, insurer_api
    ):
        mine = _recovery(api, insurer_api, "CLM-A")
        theirs = _recovery(other_api, insurer_api, "CLM-B")
        assert _repay(api, mine, "ALIPAY-REPAY-1").status_code == 201

        response = _repay(other_api, theirs, "ALIPAY-REPAY-1")

        assert response.status_code == 201, response.content
        assert response.json()["outstanding_minor"] == 20_000
        repayments = LedgerTransaction.objects.filter(
            kind=TransactionKind.RECOVERY_REPAYMENT, payment_ref="ALIPAY-REPAY-1"
        )
        assert sorted(repayments.values_list("payment_partner_id", flat=True)) == sorted(
            [api.partner.pk, other_api.partner.pk]
        ), "each partner's repayment posted once, in its own scope"
        assert len(set(repayments.values_list("idempotency_key", flat=True))) == 2
        (their_repayment,) = RecoveryRepayment.objects.filter(recovery=theirs)
        assert their_repayment.ledger_transaction.payment_partner_id == other_api.partner.pk

    def test_the_same_partner_repaying_twice_with_one_reference_is_refused(self, api, insurer_api):
        first = _recovery(api, insurer_api, "CLM-C")
        second = _recovery(api, insurer_api, "CLM-D")
        assert _repay(api, first, "ALIPAY-REPAY-2").status_code == 201
        ledger_before = LedgerTransaction.objects.count()

        response = _repay(api, second, "ALIPAY-REPAY-2")

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_reference"
        assert "payment_ref" in response.json()["fields"]
        second.refresh_from_db()
        assert second.outstanding_minor == 30_000
        assert LedgerTransaction.objects.count() == ledger_before

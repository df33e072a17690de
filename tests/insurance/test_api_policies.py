"""The policy endpoints: premium payments, the e-policy, the surrender quote and the surrender,
through the API end to end, with bad input refused and nothing written."""

from __future__ import annotations

import pytest
from django.utils import timezone

from deposits import services as deposit_services
from deposits.models import LedgerTransaction
from insurance import services
from insurance.models import Policy, PremiumPayment
from partners.models import Event
from tests.partners.api_client import register_shop, top_up

pytestmark = pytest.mark.django_db


def accepted(api, insurer_api) -> tuple[dict, dict]:
    shop = register_shop(api)
    quote = api.post(f"/api/v1/shops/{shop['id']}/insurance-quotes/", {}).json()
    application = api.post(
        f"/api/v1/shops/{shop['id']}/insurance-applications/", {"quote": quote["id"]}
    ).json()
    response = insurer_api.post(
        f"/api/v1/insurance-applications/{application['id']}/accept/",
        {"policy_number": "PICC-2026-000123"},
    )
    assert response.status_code == 200, response.content
    return shop, response.json()["policy"]


def pay(api, policy_id, amount_minor, payment_ref, currency="CNY", **headers):
    return api.post(
        f"/api/v1/policies/{policy_id}/premium-payments/",
        {"amount_minor": amount_minor, "currency": currency, "payment_ref": payment_ref},
        **headers,
    )


def nothing_written_since(before):
    return (PremiumPayment.objects.count(), LedgerTransaction.objects.count()) == before


class TestPolicyLife:
    def test_quote_apply_accept_pay_twice_document_and_surrender(self, api, insurer_api):
        shop, policy = accepted(api, insurer_api)
        assert policy["status"] == "AWAITING_PREMIUM"

        part = pay(api, policy["id"], 100_000, "PAY-A")
        assert part.status_code == 201, part.content
        assert (part.json()["status"], part.json()["premium_paid_minor"]) == (
            "AWAITING_PREMIUM",
            100_000,
        )
        response = pay(api, policy["id"], 50_000, "PAY-B")
        assert response.status_code == 201, response.content
        active = response.json()
        assert active["status"] == "ACTIVE"
        assert active["starts_on"] and active["ends_on"]
        shop_now = api.get(f"/api/v1/shops/{shop['id']}/").json()
        assert shop_now["status"] == "ACTIVE"
        assert shop_now["deposit"]["guaranteed_minor"] == 5_000_000
        assert shop_now["deposit"]["shortfall_minor"] == 0
        assert Event.objects.filter(type="policy.activated").count() == 2

        missing = api.get(f"/api/v1/policies/{policy['id']}/document/")
        assert missing.status_code == 404
        assert "not been issued" in missing.json()["detail"]
        services.policy_document_issue(
            policy_id=Policy.objects.get(public_id=policy["id"]).pk, now=timezone.now()
        )
        for who in (api, insurer_api):
            document = who.get(f"/api/v1/policies/{policy['id']}/document/")
            assert document.status_code == 200
            assert document["Content-Type"] == "application/pdf"
            assert document.content.startswith(b"%PDF")

        blocked = api.get(f"/api/v1/policies/{policy['id']}/surrender-quote/").json()
        assert blocked["allowed"] is False
        assert [r["code"] for r in blocked["reasons"]] == ["would_cause_shortfall"]
        refused = api.post(f"/api/v1/policies/{policy['id']}/surrender/", {})
        assert refused.status_code == 409
        assert refused.json()["code"] == "would_cause_shortfall"

        assert top_up(api, shop["id"], 5_000_000).status_code == 201
        preview = api.get(f"/api/v1/policies/{policy['id']}/surrender-quote/").json()
        assert preview["allowed"] is True
        assert (preview["used_days"], preview["term_days"]) == (1, 365)
        assert preview["outstanding_recoveries_minor"] == 0
        assert preview["refund_minor"] == 149_589
        done = api.post(f"/api/v1/policies/{policy['id']}/surrender/", {})
        assert done.status_code == 200, done.content
        assert (done.json()["status"], done.json()["refund_minor"]) == ("SURRENDERED", 149_589)
        shop_after = api.get(f"/api/v1/shops/{shop['id']}/").json()
        assert shop_after["deposit"]["guaranteed_minor"] == 0
        assert shop_after["status"] == "ACTIVE"
        assert deposit_services.ledger_check_run().ok


class TestPremiumPaymentRefusals:
    @pytest.mark.parametrize(
        ("amount", "currency", "field"),
        [
            (150_001, "CNY", "amount_minor"),
            (150_000, "USD", "currency"),
            (0, "CNY", "amount_minor"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field(self, api, insurer_api, amount, currency, field):
        _, policy = accepted(api, insurer_api)
        before = (PremiumPayment.objects.count(), LedgerTransaction.objects.count())

        response = pay(api, policy["id"], amount, "PAY-X", currency=currency)

        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
        assert nothing_written_since(before)

    def test_more_than_outstanding_says_the_premium_as_money_and_minor_units(
        self, api, insurer_api
    ):
        _, policy = accepted(api, insurer_api)
        assert pay(api, policy["id"], 100_000, "PAY-A").status_code == 201

        response = pay(api, policy["id"], 50_001, "PAY-B")
        chinese = pay(api, policy["id"], 50_001, "PAY-C", **{"Accept-Language": "zh-hans"})

        assert response.status_code == 400
        assert response.json() == {
            "code": "validation_error",
            "detail": "Only ¥ 500.00 (50000 minor units) of the premium is outstanding.",
            "fields": {"amount_minor": ["At most 50000, the premium outstanding."]},
        }
        assert chinese.json()["detail"] == "尚未支付的保费只有 ¥ 500.00（50000 个最小货币单位）。"

    def test_the_refusals_without_an_amount_follow_the_partner_s_language(self, api, insurer_api):
        _, policy = accepted(api, insurer_api)
        chinese = {"Accept-Language": "zh-hans"}

        currency = pay(api, policy["id"], 150_000, "PAY-X", currency="USD", **chinese)
        assert pay(api, policy["id"], 150_000, "PAY-1").status_code == 201
        active = pay(api, policy["id"], 1, "PAY-2", **chinese)
        english = pay(api, policy["id"], 1, "PAY-3")

        # The sentence in Chinese; code, status and `fields` as in English (api.md, "Language").
        assert currency.status_code == 400
        assert currency.json() == {
            "code": "validation_error",
            "detail": "保费须以 CNY 支付。",
            "fields": {"currency": ["Must be CNY, the policy's currency."]},
        }
        assert active.status_code == 409
        assert active.json() == {
            "code": "invalid_state",
            "detail": "该保单的状态为 ACTIVE；只有在 AWAITING_PREMIUM 状态下才能缴纳保费。",
        }
        assert english.json()["detail"] == (
            "The policy is ACTIVE; a premium is only payable while it is AWAITING_PREMIUM."
        )

    def test_a_duplicate_payment_ref_is_a_409(self, api, insurer_api):
        _, policy = accepted(api, insurer_api)
        assert pay(api, policy["id"], 10_000, "PAY-1").status_code == 201
        before = (PremiumPayment.objects.count(), LedgerTransaction.objects.count())

        response = pay(api, policy["id"], 10_000, "PAY-1")

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_reference"
        assert nothing_written_since(before)

    def test_paying_an_active_policy_is_a_409(self, api, insurer_api):
        _, policy = accepted(api, insurer_api)
        assert pay(api, policy["id"], 150_000, "PAY-1").status_code == 201
        before = (PremiumPayment.objects.count(), LedgerTransaction.objects.count())

        response = pay(api, policy["id"], 1, "PAY-2")

        assert response.status_code == 409
        assert response.json()["code"] == "invalid_state"
        assert nothing_written_since(before)

    def test_the_insurer_may_not_pay_and_another_partner_sees_nothing(
        self, api, other_api, insurer_api
    ):
        _, policy = accepted(api, insurer_api)

        assert pay(insurer_api, policy["id"], 1, "PAY-1").status_code == 403
        assert pay(other_api, policy["id"], 1, "PAY-2").status_code == 404
        assert other_api.get(f"/api/v1/policies/{policy['id']}/surrender-quote/").status_code == 404
        assert PremiumPayment.objects.count() == 0

    def test_a_replay_returns_the_first_answer(self, api, insurer_api):
        _, policy = accepted(api, insurer_api)
        body = {"amount_minor": 150_000, "currency": "CNY", "payment_ref": "PAY-1"}
        path = f"/api/v1/policies/{policy['id']}/premium-payments/"

        first = api.post(path, body, key="k-1")
        again = api.post(path, body, key="k-1")

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert PremiumPayment.objects.count() == 1


class TestSurrenderQuoteLanguage:
    def test_the_reasons_follow_the_partner_s_language(self, api, insurer_api):
        _, policy = accepted(api, insurer_api)  # awaiting its premium: not in force
        url = f"/api/v1/policies/{policy['id']}/surrender-quote/"

        english = api.get(url).json()
        chinese = api.get(url, **{"Accept-Language": "zh-hans"}).json()

        assert english["reasons"] == [
            {
                "code": "invalid_state",
                "detail": "Only an ACTIVE policy can be surrendered; this one is AWAITING_PREMIUM.",
            }
        ]
        assert chinese["reasons"] == [
            {
                "code": "invalid_state",
                "detail": "只有生效中的保单才能退保；该保单的状态为 AWAITING_PREMIUM。",
            }
        ]

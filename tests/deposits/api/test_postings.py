"""Top-ups, deductions and withdrawals: POST /api/v1/shops/{id}/(top-ups|deductions|withdrawals)/
and the ledger they leave, GET /api/v1/shops/{id}/ledger/."""

from __future__ import annotations

import re

import pytest

from common.money import MAX_AMOUNT_MINOR
from deposits.models import LedgerTransaction, Withdrawal
from tests.partners.api_client import funded_shop, register_shop, top_up

pytestmark = pytest.mark.django_db


def deduct(api, shop_id, amount_minor, **extra):
    body = {"amount_minor": amount_minor, "currency": "CNY", "reason": "延迟发货赔付"}
    body.update({"reference": "order-1"}, **extra)
    return api.post(f"/api/v1/shops/{shop_id}/deductions/", body)


class TestTopUp:
    def test_credits_the_deposit_and_takes_the_shop_live(self, api):
        shop = register_shop(api)

        response = top_up(api, shop["id"], 5_000_000, payment_ref="alipay-1")

        assert response.status_code == 201
        body = response.json()
        assert body["entry"]["kind"] == "TOP_UP"
        assert body["entry"]["amount_minor"] == 5_000_000
        assert body["entry"]["balance_after_minor"] == 5_000_000
        assert body["entry"]["reference"] == "alipay-1"
        assert body["deposit"]["posted_minor"] == 5_000_000
        assert body["deposit"]["shortfall_minor"] == 0
        assert api.get(f"/api/v1/shops/{shop['id']}/").json()["status"] == "ACTIVE"

    def test_a_payment_ref_credits_once(self, api):
        shop = register_shop(api)
        top_up(api, shop["id"], 100, payment_ref="pay-once")

        response = top_up(api, shop["id"], 100, payment_ref="pay-once")

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_reference"

    def test_another_currency_than_the_deposits_names_currency(self, api):
        shop = register_shop(api)

        response = top_up(api, shop["id"], 100, currency="USD")

        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert "CNY" in response.json()["fields"]["currency"][0]

    def test_unknown_currency_names_currency(self, api):
        shop = register_shop(api)

        response = top_up(api, shop["id"], 100, currency="DOGE")

        assert response.status_code == 400
        assert "currency" in response.json()["fields"]

    def test_payment_ref_is_required(self, api):
        shop = register_shop(api)

        response = api.post(
            f"/api/v1/shops/{shop['id']}/top-ups/", {"amount_minor": 100, "currency": "CNY"}
        )

        assert response.status_code == 400
        assert "payment_ref" in response.json()["fields"]


class TestDeduction:
    def test_deducts_and_returns_entry_and_deposit(self, api):
        shop = funded_shop(api)

        response = deduct(api, shop["id"], 15_000)

        assert response.status_code == 201
        body = response.json()
        assert body["entry"]["kind"] == "DEDUCTION"
        assert body["entry"]["amount_minor"] == -15_000
        assert body["entry"]["balance_after_minor"] == 4_985_000
        assert body["entry"]["reason"] == "延迟发货赔付"
        assert body["entry"]["occurred_at"].endswith("Z")
        assert body["deposit"]["available_minor"] == 4_985_000
        assert body["deposit"]["shortfall_minor"] == 15_000

    def test_refuses_when_available_is_short(self, api):
        shop = funded_shop(api, 1_000)

        response = deduct(api, shop["id"], 1_001)

        assert response.status_code == 409
        assert response.json()["code"] == "insufficient_funds"

    def test_a_refusal_stays_refused_under_its_key(self, api):
        shop = funded_shop(api, 1_000)
        key = "deduct-short-1"
        first = api.post(
            f"/api/v1/shops/{shop['id']}/deductions/",
            {"amount_minor": 1_001, "reason": "r", "reference": "o"},
            key=key,
        )
        top_up(api, shop["id"], 10_000)

        again = api.post(
            f"/api/v1/shops/{shop['id']}/deductions/",
            {"amount_minor": 1_001, "reason": "r", "reference": "o"},
            key=key,
        )

        assert first.status_code == again.status_code == 409
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true"

    def test_allow_debt_takes_what_is_available_and_records_the_rest(self, api):
        shop = funded_shop(api, 1_000)

        response = deduct(api, shop["id"], 1_500, allow_debt=True)

        assert response.status_code == 201
        body = response.json()
        assert body["entry"]["amount_minor"] == -1_000
        assert body["deposit"]["posted_minor"] == 0
        assert body["deposit"]["debt_minor"] == 500

    def test_allow_debt_with_nothing_available_has_a_null_entry(self, api):
        shop = funded_shop(api, 1_000)
        deduct(api, shop["id"], 1_000)

        response = deduct(api, shop["id"], 700, allow_debt=True)

        assert response.status_code == 201
        assert response.json()["entry"] is None
        assert response.json()["deposit"]["debt_minor"] == 700

    @pytest.mark.parametrize(
        "amount",
        [0, -1, 1.5, 100.0, "100", True, None, MAX_AMOUNT_MINOR + 1, 10**30, [1], {"v": 1}],
    )
    def test_amount_must_be_a_positive_bounded_integer(self, api, amount):
        shop = funded_shop(api)

        response = deduct(api, shop["id"], amount)

        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert "amount_minor" in response.json()["fields"]

    def test_the_largest_amount_is_refused_cleanly_for_funds(self, api):
        shop = funded_shop(api)

        response = deduct(api, shop["id"], MAX_AMOUNT_MINOR)

        assert response.status_code == 409
        assert response.json()["code"] == "insufficient_funds"

    @pytest.mark.parametrize("allow_debt", ["yes", 1, "true", None])
    def test_allow_debt_must_be_a_boolean(self, api, allow_debt):
        shop = funded_shop(api)

        response = deduct(api, shop["id"], 100, allow_debt=allow_debt)

        assert response.status_code == 400
        assert "allow_debt" in response.json()["fields"]

    @pytest.mark.parametrize("field", ["reason", "reference"])
    def test_reason_and_reference_are_required(self, api, field):
        shop = funded_shop(api)
        body = {"amount_minor": 100, "reason": "r", "reference": "o"}
        del body[field]

        response = api.post(f"/api/v1/shops/{shop['id']}/deductions/", body)

        assert response.status_code == 400
        assert field in response.json()["fields"]

    def test_overlong_and_nul_texts_are_refused(self, api):
        shop = funded_shop(api)

        too_long = deduct(api, shop["id"], 100, reason="x" * 301)
        nul = deduct(api, shop["id"], 100, reference="a\x00b")

        assert too_long.status_code == nul.status_code == 400
        assert "reason" in too_long.json()["fields"]
        assert "reference" in nul.json()["fields"]


class TestWithdrawal:
    def test_withdraws_surplus(self, api):
        shop = funded_shop(api, 5_100_000)

        response = api.post(
            f"/api/v1/shops/{shop['id']}/withdrawals/", {"amount_minor": 100_000, "currency": "CNY"}
        )

        assert response.status_code == 201
        assert response.json()["entry"]["kind"] == "WITHDRAWAL"
        assert response.json()["deposit"]["posted_minor"] == 5_000_000
        # the same memo as a withdrawal from the dashboard, like 充值 for every top-up
        assert response.json()["entry"]["reason"] == "保证金提现"

    def test_the_answer_carries_the_payout_reference_and_status(self, api):
        shop = funded_shop(api, 5_100_000)

        response = api.post(
            f"/api/v1/shops/{shop['id']}/withdrawals/", {"amount_minor": 100_000, "currency": "CNY"}
        )

        payout = response.json()["withdrawal"]
        assert re.fullmatch(r"WD-20\d\d-\d{6,}", payout["reference"])
        assert (payout["status"], payout["bank_account_tail"], payout["failure_reason"]) == (
            "REQUESTED",
            "",
            "",
        )
        assert Withdrawal.objects.get(reference=payout["reference"]).amount_minor == 100_000

    def test_refuses_a_withdrawal_that_would_cause_a_shortfall(self, api):
        shop = funded_shop(api, 5_100_000)

        response = api.post(
            f"/api/v1/shops/{shop['id']}/withdrawals/", {"amount_minor": 100_001, "currency": "CNY"}
        )

        assert response.status_code == 409
        assert response.json()["code"] == "would_cause_shortfall"

    def test_refuses_above_available(self, api):
        shop = funded_shop(api, 5_100_000)

        response = api.post(f"/api/v1/shops/{shop['id']}/withdrawals/", {"amount_minor": 5_100_001})

        assert response.status_code == 409
        assert response.json()["code"] == "insufficient_funds"


class TestLedger:
    def test_lists_entries_newest_first(self, api):
        shop = funded_shop(api)
        deduct(api, shop["id"], 100)
        deduct(api, shop["id"], 200)

        response = api.get(f"/api/v1/shops/{shop['id']}/ledger/")

        assert response.status_code == 200
        entries = response.json()["results"]
        assert [e["amount_minor"] for e in entries] == [-200, -100, 5_000_000]
        assert [e["balance_after_minor"] for e in entries] == [4_999_700, 4_999_900, 5_000_000]
        assert set(entries[0]) >= {
            "id",
            "kind",
            "amount_minor",
            "balance_after_minor",
            "currency",
            "reason",
            "reference",
            "occurred_at",
        }

    def test_shows_debt_entries_with_their_bucket(self, api):
        shop = funded_shop(api, 100)
        deduct(api, shop["id"], 150, allow_debt=True)

        entries = api.get(f"/api/v1/shops/{shop['id']}/ledger/").json()["results"]

        assert {(e["bucket"], e["amount_minor"]) for e in entries[:2]} == {
            ("POSTED", -100),
            ("DEBT", -50),
        }

    def test_paginates(self, api):
        shop = funded_shop(api)
        for n in range(3):
            deduct(api, shop["id"], n + 1)

        first = api.get(f"/api/v1/shops/{shop['id']}/ledger/", {"page_size": 2}).json()
        second = api.get(first["next"]).json()

        assert len(first["results"]) == 2
        assert len(second["results"]) == 2
        assert second["next"] is None

    def test_each_posting_is_one_ledger_transaction(self, api):
        shop = funded_shop(api)

        deduct(api, shop["id"], 100)

        assert LedgerTransaction.objects.filter(kind="DEDUCTION").count() == 1


class TestTimesReadTheSameEverywhere:
    """A partner may match an entry from the ledger with the one in its event by comparing
    strings: both write the moment in UTC with Z."""

    def test_a_deductions_event_and_its_ledger_entry_give_the_same_moment(self, api):
        shop = funded_shop(api, 1_000)
        deduct(api, shop["id"], 100)

        ledger = api.get(f"/api/v1/shops/{shop['id']}/ledger/").json()["results"]
        events = api.get("/api/v1/events/", {"type": "deposit.entry_posted"}).json()["results"]
        posted = next(e for e in events if e["data"]["entry"]["kind"] == "DEDUCTION")
        entry = next(e for e in ledger if e["id"] == posted["data"]["entry"]["id"])

        assert posted["data"]["entry"]["occurred_at"] == entry["occurred_at"]
        assert entry["occurred_at"].endswith("Z")
        assert posted["created_at"].endswith("Z")

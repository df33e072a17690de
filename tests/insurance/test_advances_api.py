"""GET /api/v1/policies/{id}/advances/ and POST /api/v1/recoveries/{id}/repayments/: shapes,
tenancy, and bad input a 4xx naming the field with nothing written."""

from __future__ import annotations

import pytest
from django.utils import timezone

from deposits.services import ledger_check_run
from insurance import services
from insurance.models import Recovery, RecoveryRepayment
from tests.insurance.advance_helpers import make_active_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def advanced(api, insurer_api):
    now = timezone.now()
    policy = make_active_policy(api, insurer_api, now)
    result = services.policy_advance(
        policy_id=policy.pk,
        claim_ref="CLM-1",
        amount_minor=30_000,
        currency="CNY",
        idempotency_key="adv-1",
        now=now,
    )
    return policy, result.advance.recovery


def repayments_url(recovery):
    return f"/api/v1/recoveries/{recovery.public_id}/repayments/"


class TestPolicyAdvances:
    def test_the_shops_partner_and_the_insurer_see_them_nobody_else(
        self, api, insurer_api, other_api, advanced
    ):
        policy, recovery = advanced
        url = f"/api/v1/policies/{policy.public_id}/advances/"

        mine, insurer, other = api.get(url), insurer_api.get(url), other_api.get(url)

        assert mine.status_code == 200 and insurer.status_code == 200
        assert other.status_code == 404
        (item,) = mine.json()["results"]
        assert item["claim"] == "CLM-1"
        assert item["policy"] == str(policy.public_id)
        assert item["amount_minor"] == 30_000
        assert set(item["recovery"]) >= {"id", "due_on", "outstanding_minor", "status"}
        assert item["recovery"]["id"] == str(recovery.public_id)
        assert item["recovery"]["status"] == "OPEN"
        assert insurer.json()["results"] == mine.json()["results"]

    def test_an_unknown_policy_is_404(self, api):
        response = api.get("/api/v1/policies/00000000-0000-4000-8000-000000000000/advances/")

        assert response.status_code == 404


class TestRepayments:
    def test_partial_then_full(self, api, advanced):
        policy, recovery = advanced

        first = api.post(
            repayments_url(recovery),
            {"amount_minor": 10_000, "currency": "CNY", "payment_ref": "P-1"},
        )
        second = api.post(
            repayments_url(recovery),
            {"amount_minor": 20_000, "currency": "CNY", "payment_ref": "P-2"},
        )

        assert first.status_code == 201, first.content
        assert (first.json()["status"], first.json()["outstanding_minor"]) == ("OPEN", 20_000)
        assert second.status_code == 201
        body = second.json()
        assert (body["status"], body["outstanding_minor"]) == ("REPAID", 0)
        assert [r["payment_ref"] for r in body["repayments"]] == ["P-1", "P-2"]
        policy_body = api.get(f"/api/v1/policies/{policy.public_id}/").json()
        assert policy_body["limit_remaining_minor"] == policy.coverage_minor
        assert ledger_check_run(record=False).ok

    @pytest.mark.parametrize(
        ("body", "status", "field"),
        [
            ({"amount_minor": 30_001, "currency": "CNY", "payment_ref": "X"}, 400, "amount_minor"),
            ({"amount_minor": 0, "currency": "CNY", "payment_ref": "X"}, 400, "amount_minor"),
            ({"amount_minor": "1", "currency": "CNY", "payment_ref": "X"}, 400, "amount_minor"),
            ({"amount_minor": 100, "currency": "USD", "payment_ref": "X"}, 400, "currency"),
            ({"amount_minor": 100, "currency": "XXX", "payment_ref": "X"}, 400, "currency"),
            ({"amount_minor": 100, "currency": "CNY", "payment_ref": ""}, 400, "payment_ref"),
            ({"amount_minor": 100, "currency": "CNY"}, 400, "payment_ref"),
            ({"amount_minor": 100, "currency": "CNY", "payment_ref": "P-0"}, 409, "payment_ref"),
        ],
    )
    def test_bad_input_names_the_field_and_writes_nothing(self, api, advanced, body, status, field):
        policy, recovery = advanced
        ok = api.post(
            repayments_url(recovery),
            {"amount_minor": 1, "currency": "CNY", "payment_ref": "P-0"},
        )
        assert ok.status_code == 201

        response = api.post(repayments_url(recovery), body)

        assert response.status_code == status, response.content
        assert field in response.json()["fields"]
        assert RecoveryRepayment.objects.count() == 1
        assert Recovery.objects.get().outstanding_minor == 29_999

    def test_more_than_outstanding_says_the_amount_as_money_and_minor_units(self, api, advanced):
        _, recovery = advanced

        response = api.post(
            repayments_url(recovery),
            {"amount_minor": 30_001, "currency": "CNY", "payment_ref": "P-9"},
        )

        assert response.status_code == 400
        assert response.json()["code"] == "validation_error"
        assert response.json()["detail"] == (
            "Only ¥ 300.00 (30000 minor units) of the advance is outstanding."
        )
        assert response.json()["fields"] == {
            "amount_minor": ["Must be at most 30000, the outstanding amount."]
        }

    def test_a_repaid_recovery_is_409_invalid_state(self, api, advanced):
        policy, recovery = advanced
        api.post(
            repayments_url(recovery),
            {"amount_minor": 30_000, "currency": "CNY", "payment_ref": "P-1"},
        )

        again = api.post(
            repayments_url(recovery),
            {"amount_minor": 1, "currency": "CNY", "payment_ref": "P-2"},
        )

        assert again.status_code == 409
        assert again.json()["code"] == "invalid_state"
        assert RecoveryRepayment.objects.count() == 1

    def test_another_partner_gets_404_and_the_insurer_may_record_it(
        self, api, insurer_api, other_api, advanced
    ):
        policy, recovery = advanced
        body = {"amount_minor": 100, "currency": "CNY", "payment_ref": "P-1"}

        assert other_api.post(repayments_url(recovery), body).status_code == 404
        assert insurer_api.post(repayments_url(recovery), body).status_code == 201


class TestAdmin:
    def test_the_advance_and_recovery_screens_open_read_only(self, admin_client, api, advanced):
        policy, recovery = advanced
        api.post(
            repayments_url(recovery),
            {"amount_minor": 100, "currency": "CNY", "payment_ref": "P-1"},
        )

        for name in ("advance", "recovery", "recoveryrepayment"):
            listing = admin_client.get(f"/admin/insurance/{name}/")
            assert listing.status_code == 200, name
        page = admin_client.get(f"/admin/insurance/recovery/{recovery.pk}/change/")
        assert page.status_code == 200
        assert "P-1" in page.content.decode()
        assert "¥ 299.00" in admin_client.get("/admin/insurance/recovery/").content.decode()
        assert admin_client.post("/admin/insurance/recovery/add/", {}).status_code == 403

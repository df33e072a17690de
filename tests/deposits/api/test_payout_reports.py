"""The payment partner reports where a withdrawal's payout stands, by the reference the
merchant quotes; the merchant's dashboard and the partner read the same status."""

from __future__ import annotations

import pytest

from deposits.models import Account, Withdrawal
from tests.partners.api_client import funded_shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def withdrawn(api):  # type: ignore[no-untyped-def]
    shop = funded_shop(api, 5_100_000)
    answer = api.post(
        f"/api/v1/shops/{shop['id']}/withdrawals/", {"amount_minor": 100_000, "currency": "CNY"}
    ).json()
    return shop, answer["withdrawal"]["reference"]


def report(api, reference: str, **body):  # type: ignore[no-untyped-def]
    return api.post(f"/api/v1/withdrawals/{reference}/payout/", body)


def test_sent_with_the_account_tail_then_paid(api, withdrawn):
    shop, ref = withdrawn

    sent = report(api, ref, status="SENT", provider_ref="PO-77", bank_account_tail="6789")
    paid = report(api, ref, status="PAID")
    read = api.get(f"/api/v1/withdrawals/{ref}/")

    assert sent.status_code == 200 and sent.json()["status"] == "SENT"
    assert sent.json()["bank_account_tail"] == "6789" and sent.json()["provider_ref"] == "PO-77"
    assert paid.status_code == 200 and paid.json()["status"] == "PAID"
    assert read.json()["status"] == "PAID" and read.json()["shop"] == shop["id"]
    assert read.json()["paid_at"] is not None


def test_a_failure_with_its_reason_puts_the_money_back(api, withdrawn):
    shop, ref = withdrawn

    failed = report(api, ref, status="FAILED", reason="Account closed at the bank.")
    after = report(api, ref, status="PAID")

    assert failed.status_code == 200
    assert (failed.json()["status"], failed.json()["failure_reason"]) == (
        "FAILED",
        "Account closed at the bank.",
    )
    assert Account.objects.get(shop__public_id=shop["id"]).posted_minor == 5_100_000
    assert after.status_code == 409 and after.json()["code"] == "invalid_state"


def test_a_failure_without_a_reason_is_refused_naming_the_field(api, withdrawn):
    shop, ref = withdrawn

    response = report(api, ref, status="FAILED")

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert Withdrawal.objects.get(reference=ref).status == "REQUESTED"


def test_another_partner_cannot_see_or_report_it(other_api, withdrawn):
    shop, ref = withdrawn

    assert other_api.get(f"/api/v1/withdrawals/{ref}/").status_code == 404
    assert report(other_api, ref, status="PAID").status_code == 404
    assert Withdrawal.objects.get(reference=ref).status == "REQUESTED"

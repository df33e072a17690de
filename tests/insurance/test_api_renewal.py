"""Renewal through the partner API: a quote with `renews`, the application, the insurer's
acceptance and the premium, then the handover at the end of the current term."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from deposits.models import Guarantee, LedgerTransaction, ShortfallCase
from deposits.services import ledger_check_run
from insurance import selectors, services
from insurance.models import InsuranceQuote, Policy
from partners.models import Event
from tests.partners.api_client import register_shop

pytestmark = pytest.mark.django_db(transaction=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def active_policy_ending_soon(api, insurer_api, *, days_left: int) -> tuple[dict, Policy]:
    """A policy bought and paid through the API today, its term then moved (with its guarantee)
    so that it ends `days_left` days from today: as if bought about a year ago."""
    shop = register_shop(api)
    quote = api.post(f"/api/v1/shops/{shop['id']}/insurance-quotes/", {}).json()
    application = api.post(
        f"/api/v1/shops/{shop['id']}/insurance-applications/", {"quote": quote["id"]}
    ).json()
    accepted = insurer_api.post(
        f"/api/v1/insurance-applications/{application['id']}/accept/",
        {"policy_number": "PICC-2026-000123"},
    ).json()["policy"]
    paid = api.post(
        f"/api/v1/policies/{accepted['id']}/premium-payments/",
        {"amount_minor": 150_000, "currency": "CNY", "payment_ref": "PAY-FIRST"},
    )
    assert paid.status_code == 201 and paid.json()["status"] == "ACTIVE"
    today = selectors.market_date(timezone.now())
    ends_on = today + timedelta(days=days_left)
    policy = Policy.objects.get(public_id=accepted["id"])
    Policy.objects.filter(pk=policy.pk).update(
        starts_on=ends_on - timedelta(days=364), ends_on=ends_on
    )
    Guarantee.objects.filter(source_ref=selectors.policy_guarantee_ref(policy)).update(
        valid_to=datetime.combine(ends_on + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    )
    policy.refresh_from_db()
    return shop, policy


def test_renewal_quote_apply_accept_pay_and_handover(api, insurer_api):
    shop, policy = active_policy_ending_soon(api, insurer_api, days_left=10)
    next_day = policy.ends_on + timedelta(days=1)

    quote = api.post(
        f"/api/v1/shops/{shop['id']}/insurance-quotes/", {"renews": str(policy.public_id)}
    )
    assert quote.status_code == 201, quote.content
    quote = quote.json()
    assert quote["renews"] == str(policy.public_id)
    assert quote["starts_on"] == next_day.isoformat()
    assert quote["premium_minor"] == 150_000

    application = api.post(
        f"/api/v1/shops/{shop['id']}/insurance-applications/", {"quote": quote["id"]}
    )
    assert application.status_code == 201, application.content
    assert application.json()["renews"] == str(policy.public_id)
    listed = insurer_api.get("/api/v1/insurance-applications/?status=SUBMITTED").json()
    assert [a["renews"] for a in listed["results"]] == [str(policy.public_id)]

    renewal = insurer_api.post(
        f"/api/v1/insurance-applications/{application.json()['id']}/accept/",
        {"policy_number": "PICC-2027-000456"},
    ).json()["policy"]
    assert (renewal["status"], renewal["renews"]) == ("AWAITING_PREMIUM", str(policy.public_id))

    paid = api.post(
        f"/api/v1/policies/{renewal['id']}/premium-payments/",
        {"amount_minor": 150_000, "currency": "CNY", "payment_ref": "PAY-RENEWAL"},
    )
    assert paid.status_code == 201, paid.content
    paid = paid.json()
    assert (paid["status"], paid["in_force"]) == ("ACTIVE", False)
    assert paid["starts_on"] == next_day.isoformat()
    current = api.get(f"/api/v1/policies/{policy.public_id}/").json()
    assert (current["in_force"], current["renewed_by"]) == (True, renewal["id"])
    deposit = api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]
    assert deposit["guaranteed_minor"] == 5_000_000  # one policy counted, not two

    midnight = datetime.combine(next_day, time.min, tzinfo=SHANGHAI)
    assert services.policy_term_process(policy_id=policy.pk, now=midnight) == "renewed"

    old = api.get(f"/api/v1/policies/{policy.public_id}/").json()
    assert old["status"] == "EXPIRED"
    assert api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]["guaranteed_minor"] == (
        5_000_000
    )
    assert not ShortfallCase.objects.exists()
    expired = Event.objects.filter(type="policy.expired").first()
    assert expired.data["renewed_by"] == renewal["id"]
    assert ledger_check_run(record=False).ok


def test_renewal_refusals_name_the_field_or_the_rule_and_write_nothing(api, insurer_api, other_api):
    shop, policy = active_policy_ending_soon(api, insurer_api, days_left=60)
    before = (InsuranceQuote.objects.count(), LedgerTransaction.objects.count())

    too_early = api.post(
        f"/api/v1/shops/{shop['id']}/insurance-quotes/", {"renews": str(policy.public_id)}
    )
    assert too_early.status_code == 409
    assert too_early.json()["code"] == "invalid_state"
    assert "30 days" in too_early.json()["detail"]

    other_shop = register_shop(api)
    wrong_shop = api.post(
        f"/api/v1/shops/{other_shop['id']}/insurance-quotes/", {"renews": str(policy.public_id)}
    )
    assert wrong_shop.status_code == 400
    assert "renews" in wrong_shop.json()["fields"]

    foreign = other_api.post(
        f"/api/v1/shops/{shop['id']}/insurance-quotes/", {"renews": str(policy.public_id)}
    )
    assert foreign.status_code == 404
    assert (InsuranceQuote.objects.count(), LedgerTransaction.objects.count()) == before

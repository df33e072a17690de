"""A partner's top-up to a live shop takes the deduction's road (issue 16): the idempotency
record stored by the posting's own call, in autocommit, so two statements where the
transaction path sent five. A shop's first full payment still goes live in one transaction with
its posting. What must not change: the response, replays, a payment reference credited once."""

from __future__ import annotations

import pytest

from deposits.models import LedgerTransaction
from partners.api.base import render_json
from partners.models import IdempotencyRecord
from shops.models import Shop
from tests.partners.api_client import funded_shop, make_api, register_shop, top_up

pytestmark = [
    pytest.mark.postgres(reason="the posting function and autocommit, as in production"),
    pytest.mark.django_db(transaction=True),
]


def top_ups(shop):
    return f"/api/v1/shops/{shop['id']}/top-ups/"


def top_ups_posted():
    return LedgerTransaction.objects.filter(kind="TOP_UP", status="POSTED").count()


def test_a_top_up_to_a_live_shop_is_two_statements(django_assert_num_queries):
    api = make_api("Top-up round trips")
    shop = funded_shop(api, 100_000_000)  # live now; the key is remembered

    with django_assert_num_queries(2) as captured:
        response = top_up(api, shop["id"], 50_000)

    assert response.status_code == 201, response.content
    assert "FROM deposits_post(" in captured.captured_queries[-1]["sql"]
    assert "o_response" in captured.captured_queries[-1]["sql"]  # with its record
    assert top_ups_posted() == 2


def test_the_response_is_the_deposit_and_entry_as_the_api_reads_them_back():
    api = make_api("Top-up bytes")
    shop = funded_shop(api, 5_000_000)

    response = api.post(
        top_ups(shop), {"amount_minor": 12_345, "currency": "CNY", "payment_ref": "P-1"}, key="t-1"
    )

    body = response.json()
    entry = api.get(f"/api/v1/shops/{shop['id']}/ledger/").json()["results"][0]
    deposit = api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]
    assert response.status_code == 201
    assert body == {"entry": entry, "deposit": deposit}
    assert body["deposit"]["posted_minor"] == 5_012_345
    assert response.content.decode() == render_json(body)
    record = IdempotencyRecord.objects.get(partner=api.partner, key="t-1")
    assert (record.status_code, record.response_body) == (201, response.content.decode())


def test_a_replay_answers_the_first_response_and_credits_once():
    api = make_api("Top-up replay")
    shop = funded_shop(api)
    body = {"amount_minor": 7_000, "currency": "CNY", "payment_ref": "P-2"}

    first = api.post(top_ups(shop), body, key="t-2")
    second = api.post(top_ups(shop), body, key="t-2")

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert top_ups_posted() == 2  # funded_shop's and this one


def test_a_payment_reference_credited_before_is_refused_under_a_new_key():
    api = make_api("Top-up duplicate")
    shop = funded_shop(api)
    body = {"amount_minor": 7_000, "currency": "CNY", "payment_ref": "P-3"}
    assert api.post(top_ups(shop), body, key="t-3").status_code == 201

    again = api.post(top_ups(shop), body, key="t-4")

    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_reference"
    assert top_ups_posted() == 2


def test_the_first_full_payment_still_takes_the_shop_live_with_the_posting():
    api = make_api("Top-up goes live")
    shop = register_shop(api)
    assert Shop.objects.get(public_id=shop["id"]).went_live_at is None

    response = top_up(api, shop["id"], 100_000_000)

    assert response.status_code == 201, response.content
    assert Shop.objects.get(public_id=shop["id"]).went_live_at is not None
    assert top_ups_posted() == 1

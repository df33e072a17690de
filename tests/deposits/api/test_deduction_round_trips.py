"""An API deduction's database work (issue 16, 1): the key remembered by the process, the
idempotency record stored by the posting's own call (deposits_post, posting_v4.sql), and what that
must not change: the response, replays, revocation, and the record existing if and only if the
posting committed, also when another request claims the key during the posting."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from deposits.models import LedgerTransaction
from partners import services
from partners.api.base import render_json
from partners.models import Event, IdempotencyRecord
from tests.partners.api_client import funded_shop, make_api, shop_body

DEDUCTION = {"amount_minor": 1_500, "currency": "CNY", "reason": "延迟发货赔付", "reference": "o-1"}

pytestmark = [
    pytest.mark.postgres(reason="the posting function and autocommit, as in production"),
    pytest.mark.django_db(transaction=True),
]


def deductions(shop):
    return f"/api/v1/shops/{shop['id']}/deductions/"


def deductions_posted():
    return LedgerTransaction.objects.filter(kind="DEDUCTION").count()


def test_a_deduction_is_two_statements_once_the_key_is_remembered(django_assert_num_queries):
    api = make_api("Round trips")
    # Far above the requirement: a deduction that left the shop short would go on to evaluate
    # its shortfall after the commit (more statements, on purpose, and not this test's subject).
    shop = funded_shop(api, 100_000_000)
    api.post(deductions(shop), DEDUCTION)  # the key is read once and remembered

    # The account lookup, and the posting with its record: two round trips in all, as the
    # connection's health check reads the socket instead of sending SELECT 1
    # (tests/config/test_health_check.py).
    with django_assert_num_queries(2) as captured:
        response = api.post(deductions(shop), DEDUCTION)

    assert response.status_code == 201
    assert "FROM deposits_post(" in captured.captured_queries[-1]["sql"]
    assert "o_response" in captured.captured_queries[-1]["sql"]  # with its record
    assert deductions_posted() == 2


def test_the_response_is_the_deposit_and_entry_as_the_api_reads_them_back():
    api = make_api("Same bytes")
    shop = funded_shop(api, 5_000_000)

    response = api.post(deductions(shop), DEDUCTION, key="bytes-1")

    body = response.json()
    entry = api.get(f"/api/v1/shops/{shop['id']}/ledger/").json()["results"][0]
    deposit = api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]
    assert response.status_code == 201
    assert body == {"entry": entry, "deposit": deposit}
    assert body["deposit"]["posted_minor"] == 5_000_000 - 1_500
    # Rendered as every other response is: DRF's compact JSON, in the contract's key order.
    assert response.content.decode() == render_json(body)
    record = IdempotencyRecord.objects.get(partner=api.partner, key="bytes-1")
    assert (record.status_code, record.response_body) == (201, response.content.decode())


def test_a_replay_answers_the_first_response_without_posting_again():
    api = make_api("Replayed")
    shop = funded_shop(api)

    first = api.post(deductions(shop), DEDUCTION, key="again-1")
    second = api.post(deductions(shop), DEDUCTION, key="again-1")

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert deductions_posted() == 1


def test_a_stored_refusal_is_answered_and_replayed_the_same():
    api = make_api("Refused")
    shop = funded_shop(api, 1_000)
    too_much = {**DEDUCTION, "amount_minor": 2_000}

    first = api.post(deductions(shop), too_much, key="short-1")
    second = api.post(deductions(shop), too_much, key="short-1")

    assert first.status_code == second.status_code == 409
    assert first.json()["code"] == "insufficient_funds"
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert LedgerTransaction.objects.filter(kind="DEDUCTION", status="FAILED").count() == 1


def test_a_revoked_key_is_refused_on_the_very_next_request():
    api = make_api("Revoked")
    shop = funded_shop(api)
    assert api.post(deductions(shop), DEDUCTION).status_code == 201  # remembered now

    services.api_key_revoke(api_key=api.api_key, now=timezone.now(), reason="leaked")
    refused = api.post(deductions(shop), DEDUCTION)

    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert deductions_posted() == 1


def test_a_partner_deactivated_in_the_admin_is_refused_on_the_next_request():
    api = make_api("Deactivated")
    shop = funded_shop(api)
    assert api.post(deductions(shop), DEDUCTION).status_code == 201

    api.partner.is_active = False
    api.partner.save()  # as the admin saves it

    assert api.post(deductions(shop), DEDUCTION).status_code == 401


def test_a_key_used_before_on_another_endpoint_posts_nothing_and_says_so():
    """The posting call does not look the record up first (posting_v4.sql): the deduction posts,
    meets the shop registration's record at the insert, and goes back whole: no entry, no event,
    the balance as it was."""
    api = make_api("Used before")
    shop = funded_shop(api, 100_000)
    assert api.post("/api/v1/shops/", shop_body(), key="used-1").status_code == 201
    events_before = Event.objects.count()

    response = api.post(deductions(shop), DEDUCTION, key="used-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert deductions_posted() == 0
    assert Event.objects.count() == events_before
    assert api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]["posted_minor"] == 100_000
    assert IdempotencyRecord.objects.get(key="used-1").path == "/api/v1/shops/"


def _in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def test_two_threads_racing_one_key_make_one_posting_and_one_answer():
    api = make_api("Two threads")
    shop = funded_shop(api, 100_000)
    start = threading.Barrier(2)
    headers = {**api.headers(), "Idempotency-Key": "race-1"}
    answers = []

    @_in_thread
    def send():
        start.wait()
        r = Client().post(
            deductions(shop),
            json.dumps(DEDUCTION),
            content_type="application/json",
            headers=headers,
        )
        answers.append((r.status_code, r.content, r.has_header("Idempotent-Replayed")))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert [status for status, _, _ in answers] == [201, 201]
    assert answers[0][1] == answers[1][1]
    assert sorted(replayed for _, _, replayed in answers) == [False, True]
    assert deductions_posted() == 1
    assert api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]["posted_minor"] == 98_500


def test_a_key_claimed_by_another_request_during_the_posting_rolls_the_posting_back():
    """A shop registration holds the key (its record inserted, not committed) while the
    deduction posts: the deduction's record waits on the key, finds it taken, and its posting
    goes back with it; the answer is the contract's for a reused key."""
    api = make_api("Claimed meanwhile")
    shop = funded_shop(api)
    claimed, release = threading.Event(), threading.Event()

    @_in_thread
    def registration_in_flight():
        with transaction.atomic():
            services.idempotency_claim(
                partner_id=api.partner.pk,
                key="taken-1",
                fingerprint="another request",
                method="POST",
                path="/api/v1/shops/",
                now=timezone.now(),
                wait_ms=1000,
            )
            claimed.set()
            release.wait(20)
            services.idempotency_complete(
                record_id=IdempotencyRecord.objects.get(key="taken-1").pk,
                status_code=201,
                response_body="{}",
            )

    holder = threading.Thread(target=registration_in_flight)
    holder.start()
    assert claimed.wait(20)
    answer = []

    @_in_thread
    def deduct():
        answer.append(api.post(deductions(shop), DEDUCTION, key="taken-1"))

    deduction = threading.Thread(target=deduct)
    deduction.start()
    _wait_until_waiting_on_a_lock()
    release.set()
    holder.join()
    deduction.join()

    assert answer[0].status_code == 422
    assert answer[0].json()["code"] == "idempotency_key_reused"
    assert deductions_posted() == 0
    assert IdempotencyRecord.objects.get(key="taken-1").fingerprint == "another request"


def _wait_until_waiting_on_a_lock(timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("the deduction never waited for the key")

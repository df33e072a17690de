"""Idempotency-Key rules (api-v1.md): replays, reuse, what is stored, tenancy of keys, and
concurrency against PostgreSQL (one effect, identical responses)."""

from __future__ import annotations

import json
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.utils import timezone

from deposits.models import LedgerTransaction
from partners import services
from partners.models import IdempotencyRecord, WebhookEndpoint
from shops.models import Shop
from tests.partners.api_client import funded_shop, make_api, shop_body

DEDUCTION = {"amount_minor": 1_500, "currency": "CNY", "reason": "延迟发货赔付", "reference": "o-1"}


def deductions(shop):
    return f"/api/v1/shops/{shop['id']}/deductions/"


@pytest.mark.django_db
class TestReplay:
    def test_a_replay_returns_the_first_response_byte_for_byte(self, api):
        shop = funded_shop(api)

        first = api.post(deductions(shop), DEDUCTION, key="k-1")
        second = api.post(deductions(shop), DEDUCTION, key="k-1")

        assert first.status_code == second.status_code == 201
        assert second.content == first.content
        assert second["Idempotent-Replayed"] == "true"
        assert not first.has_header("Idempotent-Replayed")
        assert LedgerTransaction.objects.filter(kind="DEDUCTION").count() == 1

    def test_key_order_and_whitespace_in_the_body_do_not_matter(self, api):
        shop = funded_shop(api)
        api.post(deductions(shop), DEDUCTION, key="k-2")
        reordered = json.dumps(dict(reversed(list(DEDUCTION.items()))), indent=4)

        replay = api.post(deductions(shop), raw=reordered, key="k-2")

        assert replay.status_code == 201
        assert replay["Idempotent-Replayed"] == "true"

    def test_the_same_key_with_another_body_is_reused(self, api):
        shop = funded_shop(api)
        api.post(deductions(shop), DEDUCTION, key="k-3")

        response = api.post(deductions(shop), {**DEDUCTION, "amount_minor": 1_501}, key="k-3")

        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert LedgerTransaction.objects.filter(kind="DEDUCTION").count() == 1

    def test_the_same_key_on_another_shop_is_reused(self, api):
        shop, other = funded_shop(api), funded_shop(api)
        api.post(deductions(shop), DEDUCTION, key="k-4")

        response = api.post(deductions(other), DEDUCTION, key="k-4")

        assert response.status_code == 422
        assert LedgerTransaction.objects.filter(kind="DEDUCTION").count() == 1

    def test_the_same_key_on_another_operation_is_reused_and_posts_nothing(self, api):
        shop = funded_shop(api)
        api.post("/api/v1/shops/", shop_body(), key="k-5")

        response = api.post(deductions(shop), DEDUCTION, key="k-5")

        assert response.status_code == 422
        assert LedgerTransaction.objects.filter(kind="DEDUCTION").count() == 0

    def test_a_validation_error_is_not_stored(self, api):
        shop = funded_shop(api)

        bad = api.post(deductions(shop), {**DEDUCTION, "amount_minor": -5}, key="k-6")
        good = api.post(deductions(shop), DEDUCTION, key="k-6")

        assert bad.status_code == 400
        assert good.status_code == 201

    def test_a_currency_mismatch_is_not_stored(self, api):
        shop = funded_shop(api)

        bad = api.post(deductions(shop), {**DEDUCTION, "currency": "USD"}, key="k-7")
        good = api.post(deductions(shop), DEDUCTION, key="k-7")

        assert bad.status_code == 400
        assert good.status_code == 201

    def test_a_not_found_is_not_stored(self, api):
        missing = {"id": str(uuid.uuid4())}

        api.post(deductions(missing), DEDUCTION, key="k-8")

        assert not IdempotencyRecord.objects.filter(key="k-8").exists()

    def test_a_conflict_is_stored(self, api):
        shop = funded_shop(api, 1_000)

        api.post(deductions(shop), DEDUCTION, key="k-9")

        record = IdempotencyRecord.objects.get(key="k-9")
        assert record.status_code == 409
        assert json.loads(record.response_body)["code"] == "insufficient_funds"

    def test_registering_a_shop_twice_with_one_key_makes_one_shop(self, api):
        body = shop_body()

        first = api.post("/api/v1/shops/", body, key="k-10")
        second = api.post("/api/v1/shops/", body, key="k-10")

        assert first.status_code == second.status_code == 201
        assert first.content == second.content
        assert Shop.objects.filter(external_ref=body["external_ref"]).count() == 1

    def test_a_webhook_endpoint_replay_shows_the_same_secret_and_makes_one(self, api):
        body = {"url": "https://partner.example.com/h", "event_types": ["*"]}

        first = api.post("/api/v1/webhook-endpoints/", body, key="k-11")
        second = api.post("/api/v1/webhook-endpoints/", body, key="k-11")

        assert first.content == second.content
        assert WebhookEndpoint.objects.count() == 1


@pytest.mark.django_db
class TestKeysArePerPartner:
    def test_two_partners_may_use_the_same_key(self, api, other_api):
        mine, theirs = funded_shop(api), funded_shop(other_api)

        a = api.post(deductions(mine), DEDUCTION, key="shared-key")
        b = other_api.post(deductions(theirs), DEDUCTION, key="shared-key")

        assert a.status_code == b.status_code == 201
        keys = set(
            LedgerTransaction.objects.filter(kind="DEDUCTION").values_list(
                "idempotency_key", flat=True
            )
        )
        assert keys == {
            f"api:{api.partner.pk}:shared-key",
            f"api:{other_api.partner.pk}:shared-key",
        }


@pytest.mark.django_db
class TestRecordAndEffectShareATransaction:
    # Placing a hold takes the transaction path (BEGIN, posting, record, COMMIT). Top-ups and
    # deductions store their record in the posting's own call:
    # tests/deposits/api/test_deduction_round_trips.py and test_top_up_round_trips.py.
    def test_a_failure_after_the_posting_rolls_both_back(self, api, monkeypatch):
        shop = funded_shop(api)
        holds_before = LedgerTransaction.objects.filter(kind="HOLD").count()

        def boom(**kwargs):
            raise RuntimeError("crash after the posting, before the record")

        monkeypatch.setattr("partners.services.idempotency_store", boom)
        with pytest.raises(RuntimeError):
            api.post(
                f"/api/v1/shops/{shop['id']}/holds/",
                {
                    "amount_minor": 1_000,
                    "currency": "CNY",
                    "reason": "claim C-1",
                    "reference": "claim-1",
                    "expires_at": (timezone.now() + timedelta(days=7)).isoformat(),
                },
                key="crash-1",
            )

        assert LedgerTransaction.objects.filter(kind="HOLD").count() == holds_before
        assert not IdempotencyRecord.objects.filter(key="crash-1").exists()


def _in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


@pytest.mark.postgres(reason="row locks under concurrent threads")
@pytest.mark.django_db(transaction=True)
class TestConcurrency:
    # PostgreSQL allows 100 connections and other suites share the server: 40 threads at once
    # send the 100 requests (every thread starts together, then takes the next request).
    THREADS = 40
    REQUESTS = 100

    def test_concurrent_replays_of_one_key_make_one_posting_with_identical_responses(self):
        api = make_api("Concurrent")
        shop = funded_shop(api, 100_000_000)
        start = threading.Barrier(self.THREADS)
        headers = {**api.headers(), "Idempotency-Key": "one-key"}
        body = json.dumps(DEDUCTION)

        @_in_thread
        def send(n):
            if n < self.THREADS:
                start.wait()
            r = Client().post(
                deductions(shop), body, content_type="application/json", headers=headers
            )
            return r.status_code, r.content

        with ThreadPoolExecutor(self.THREADS) as pool:
            results = list(pool.map(send, range(self.REQUESTS)))

        assert {status for status, _ in results} == {201}
        assert len({content for _, content in results}) == 1
        assert LedgerTransaction.objects.filter(kind="DEDUCTION").count() == 1
        posted = api.get(f"/api/v1/shops/{shop['id']}/").json()["deposit"]["posted_minor"]
        assert posted == 100_000_000 - DEDUCTION["amount_minor"]

    def test_concurrent_registrations_with_one_key_make_one_shop(self):
        api = make_api("Concurrent shops")
        start = threading.Barrier(20)
        headers = {**api.headers(), "Idempotency-Key": "shop-key"}
        body = json.dumps(shop_body("race-1"))

        @_in_thread
        def send(_):
            start.wait()
            r = Client().post(
                "/api/v1/shops/", body, content_type="application/json", headers=headers
            )
            return r.status_code, r.content

        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(send, range(20)))

        assert {status for status, _ in results} == {201}
        assert len({content for _, content in results}) == 1
        assert Shop.objects.filter(external_ref="race-1").count() == 1

    @override_settings(PARTNER_API_IDEMPOTENCY_WAIT_MS=200)
    def test_a_duplicate_racing_one_in_flight_is_told_the_key_is_in_use(self):
        api = make_api("In flight")
        body = shop_body("in-flight-1")
        fingerprint = services.request_fingerprint(method="POST", path="/api/v1/shops/", data=body)
        claimed, release = threading.Event(), threading.Event()

        @_in_thread
        def first_request_in_flight():
            with transaction.atomic():
                services.idempotency_claim(
                    partner_id=api.partner.pk,
                    key="busy-key",
                    fingerprint=fingerprint,
                    method="POST",
                    path="/api/v1/shops/",
                    now=timezone.now(),
                    wait_ms=1000,
                )
                claimed.set()
                release.wait(10)
                transaction.set_rollback(True)  # the first request fails: nothing stored

        holder = threading.Thread(target=first_request_in_flight)
        holder.start()
        assert claimed.wait(10)
        try:
            racing = api.post("/api/v1/shops/", body, key="busy-key")
        finally:
            release.set()
            holder.join()
        retried = api.post("/api/v1/shops/", body, key="busy-key")

        assert racing.status_code == 409
        assert racing.json()["code"] == "idempotency_key_in_use"
        assert retried.status_code == 201

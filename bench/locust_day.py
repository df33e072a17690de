"""A marketplace's day, for locust (issue 16, 3). Driven by bench/load_day.py, which arranges the
database (bench/api_bench_setup.py + bench/load_day_setup.py) and reads BENCH_OUT from there:

    locust -f bench/locust_day.py --headless -u 40 -r 10 -t 10m --host http://127.0.0.1:8108

Four kinds of user, each waiting 0.5–1.5 s between its tasks (about one task a second each),
divided by BENCH_PACE (tasks a second per user, default 1): the rate is users × pace. Users
are given out by weight (2:4:1:3), so fewer than 10 leave a kind out: vary the pace instead.
  PaymentProvider  confirms payments: POST top-ups (a fresh payment_ref each)
  Marketplace      deducts for consumers, reads shops and ledgers, files claims and escalates
                   them (the platform steps in: a hold is placed), asks for insurance quotes
  Ops              decides the escalated claims, half through the partner API (the
                   marketplace's ops, scope claims:decide) and half as platform ops do in the
                   admin (the admin's service, through bench/locust_urls.py)
  Merchant         a signed-in owner looking at the dashboard: home, shop, statement, claims,
                   insurance, notices
Every request has a fresh Idempotency-Key; an answer other than the one expected (201 for a
posting, 200 otherwise, never a redirect) is a failure, so that the driver can match the
successes against the ledger."""

from __future__ import annotations

import os
import random
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path

from locust import FastHttpUser, between, task

OUT = Path(os.environ.get("BENCH_OUT", "var/bench"))
KEY = (OUT / "key").read_text().strip()
PROVIDER_KEY = (OUT / "provider_key").read_text().strip()
SHOPS = (OUT / "shops.txt").read_text().split()
SESSIONS = [line.split() for line in (OUT / "sessions.txt").read_text().splitlines() if line]
API = "/api/v1"
# Behind the TLS terminator as in production: SECURE_SSL_REDIRECT is on with DEBUG off.
HTTPS = {"X-Forwarded-Proto": "https"}

PACE = float(os.environ.get("BENCH_PACE", "1"))
WAIT = between(0.5 / PACE, 1.5 / PACE)

# Claims escalated by the marketplace and not yet decided: the ops users take them from here
# (one locust process, one gevent loop: a deque is enough).
ESCALATED: deque[str] = deque(maxlen=10_000)


def _headers(key: str) -> dict[str, str]:
    return {
        **HTTPS,
        "Authorization": f"Bearer {key}",
        "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/json",
    }


class _Partner(FastHttpUser):
    abstract = True
    wait_time = WAIT
    key = KEY

    def call(self, method: str, path: str, name: str, expect: int, body: dict | None = None):  # type: ignore[no-untyped-def]
        with self.client.request(
            method,
            path,
            name=name,
            json=body,
            headers=_headers(self.key),
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                return None
            response.success()
            return response.json()


class PaymentProvider(_Partner):
    weight = 2
    key = PROVIDER_KEY

    @task
    def top_up(self) -> None:
        shop = random.choice(SHOPS)
        body = {"amount_minor": random.randint(100, 100_000), "currency": "CNY"}
        body["payment_ref"] = f"pay-{uuid.uuid4().hex}"
        self.call("POST", f"{API}/shops/{shop}/top-ups/", "API top-up", 201, body)


class Marketplace(_Partner):
    weight = 4

    @task(10)
    def deduct(self) -> None:
        shop = random.choice(SHOPS)
        body = {
            "amount_minor": random.randint(100, 20_000),
            "currency": "CNY",
            "reason": "延迟发货赔付",
            "reference": f"order-{uuid.uuid4().hex[:12]}",
        }
        self.call("POST", f"{API}/shops/{shop}/deductions/", "API deduction", 201, body)

    @task(4)
    def read_shop(self) -> None:
        shop = random.choice(SHOPS)
        self.call("GET", f"{API}/shops/{shop}/", "API shop", 200)

    @task(2)
    def read_ledger(self) -> None:
        shop = random.choice(SHOPS)
        self.call("GET", f"{API}/shops/{shop}/ledger/", "API ledger", 200)

    @task(2)
    def claim(self) -> None:
        shop = random.choice(SHOPS)
        paid_at = datetime.now(UTC) - timedelta(days=3)
        body = {
            "external_ref": f"claim-{uuid.uuid4().hex}",
            "shop": shop,
            "reason": "LATE_SHIPMENT",
            "order": {
                "ref": f"TB-{uuid.uuid4().hex[:16]}",
                "paid_minor": random.randint(1_000, 50_000),
                "currency": "CNY",
                "paid_at": paid_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "shipped_at": None,
            },
            "consumer": {"ref": f"buyer-{random.randint(1, 10**6)}"},
            "description": "Not shipped 48 hours after payment.",
        }
        filed = self.call("POST", f"{API}/claims/", "API claim file", 201, body)
        if filed is None:
            return
        claim = filed["id"]
        note = {"note": "No answer from the merchant."}
        if self.call("POST", f"{API}/claims/{claim}/escalate/", "API claim escalate", 200, note):
            ESCALATED.append(claim)

    @task(2)
    def quote(self) -> None:
        shop = random.choice(SHOPS)
        body = {"product": "perf-bond"}
        self.call("POST", f"{API}/shops/{shop}/insurance-quotes/", "API insurance quote", 201, body)


class Ops(_Partner):
    weight = 1

    @task
    def decide(self) -> None:
        if not ESCALATED:
            return
        claim = ESCALATED.popleft()
        body = {"outcome": "UPHELD", "note": "Order data prove the lateness."}
        if random.random() < 0.5:
            path, name = f"{API}/claims/{claim}/decision/", "API claim decision"
        else:
            path, name = f"/bench/ops/claims/{claim}/decide/", "ops claim decision (admin service)"
        self.call("POST", path, name, 200, body)


class Merchant(FastHttpUser):
    weight = 3
    wait_time = WAIT

    def on_start(self) -> None:
        session, self.shop = random.choice(SESSIONS)
        self.headers = {**HTTPS, "Cookie": f"sessionid={session}"}

    def page(self, path: str, name: str) -> None:
        with self.client.get(
            path, name=name, headers=self.headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} {response.headers.get('Location', '')}")
            else:
                response.success()

    @task(4)
    def home(self) -> None:
        self.page("/", "page home")

    @task(3)
    def shop(self) -> None:
        self.page(f"/shops/{self.shop}/", "page shop")

    @task(1)
    def statement(self) -> None:
        self.page(f"/shops/{self.shop}/statement/", "page statement")

    @task(1)
    def claims(self) -> None:
        self.page("/claims/", "page claims")

    @task(1)
    def insurance(self) -> None:
        self.page(f"/shops/{self.shop}/insurance/", "page insurance")

    @task(1)
    def notices(self) -> None:
        self.page("/notices/", "page notices")

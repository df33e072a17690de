"""A burst of partners' systems against a running server: nothing lost, nothing doubled.

64 partners, each with its own key and shop, post 3 top-ups each at the same moment (192 in
all, released together by a barrier), as marketplaces' payment callbacks arrive after a sale.
Every request must get a definite answer: 201, or 503 with Retry-After (then retried with the
same Idempotency-Key, as a partner would). Afterwards every 201 is in the ledger exactly once.

    DATABASE_URL=postgres://… .venv/bin/python bench/burst.py --base http://127.0.0.1:8000

The server must use the same DATABASE_URL (make run with it set, or gunicorn as Procfile.dev
runs it). The script samples pg_stat_activity during the burst to show how many database
connections the server held (the point of the bounded web server: PostgreSQL's default
max_connections is 100).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from deposits import services as deposits  # noqa: E402
from deposits.models import LedgerTransaction  # noqa: E402
from partners import services as partners  # noqa: E402
from partners.models import Partner  # noqa: E402


def arrange(partner_count: int, run: str) -> list[tuple[str, str]]:
    """(raw key, shop id) for each partner, each shop registered by its own partner."""
    now = timezone.now()
    pairs = []
    for n in range(partner_count):
        partner = partners.partner_get_or_create(name=f"Burst marketplace {run}-{n}")
        Partner.objects.filter(pk=partner.pk).update(throttle_per_minute=10**6)
        key = partners.api_key_create(partner=partner, now=now, name="burst").raw
        shop, _account = deposits.shop_register(
            merchant_email=f"burst-{run}-{n}@example.com",
            merchant_name=f"Burst merchant {n}",
            name=f"Burst shop {n}",
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            category_codes=["apparel"],
            external_ref=f"burst-{run}-{n}",
            partner_id=partner.pk,
            now=now,
        )
        pairs.append((key, str(shop.public_id)))
    return pairs


def post_top_up(base: str, key: str, shop: str, payment_ref: str) -> tuple[int, int]:
    """Post one top-up until it gets a definite answer; returns (final status, 503s seen)."""
    url = urlparse(base)
    body = json.dumps({"amount_minor": 10_000, "currency": "CNY", "payment_ref": payment_ref})
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Idempotency-Key": payment_ref,
    }
    unavailable = 0
    for _attempt in range(20):
        conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=60)
        try:
            conn.request("POST", f"/api/v1/shops/{shop}/top-ups/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status == 503:
                unavailable += 1
                time.sleep(float(response.getheader("Retry-After", "1")))
                continue
            return response.status, unavailable
        except (ConnectionError, OSError):
            return -1, unavailable  # a reset: the failure this script exists to catch
        finally:
            conn.close()
    return 503, unavailable


def connections_sampler(stop: threading.Event, seen: list[int]) -> None:
    with connection.cursor() as cursor:
        while not stop.is_set():
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            seen.append(cursor.fetchone()[0])
            time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--partners", type=int, default=64)
    parser.add_argument("--each", type=int, default=3)
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    pairs = arrange(args.partners, run)
    barrier = threading.Barrier(args.partners)
    results: list[tuple[str, int, int]] = []
    lock = threading.Lock()

    def partner_system(key: str, shop: str, n: int) -> None:
        barrier.wait()
        for i in range(args.each):
            ref = f"burst-{run}-{n}-{i}"
            status, unavailable = post_top_up(args.base, key, shop, ref)
            with lock:
                results.append((ref, status, unavailable))

    stop, seen = threading.Event(), []
    sampler = threading.Thread(target=connections_sampler, args=(stop, seen))
    sampler.start()
    started = time.perf_counter()
    threads = [
        threading.Thread(target=partner_system, args=(key, shop, n))
        for n, (key, shop) in enumerate(pairs)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    stop.set()
    sampler.join()

    statuses = Counter(status for _ref, status, _u in results)
    retried = sum(u for _ref, _s, u in results)
    created = [ref for ref, status, _u in results if status == 201]
    # payment_ref is unique among posted transactions (a constraint), so "once" is checked by
    # the database; here: none of the 201s is missing.
    in_ledger = Counter(
        LedgerTransaction.objects.filter(payment_ref__in=created, status="POSTED").values_list(
            "payment_ref", flat=True
        )
    )
    missing = [ref for ref in created if in_ledger[ref] == 0]
    print(f"requests: {len(results)} in {elapsed:.1f} s; final statuses: {dict(statuses)}")
    print(f"503 answers retried by the clients: {retried}")
    print(f"database connections held during the burst: max {max(seen or [0])}")
    print(f"201s missing from the ledger: {len(missing)}")
    ok = statuses == Counter({201: args.partners * args.each}) and not missing
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

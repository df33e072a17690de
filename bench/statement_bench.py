"""The merchant's statement and coverage pages for a shop with 100,000 ledger entries.

    DATABASE_URL=postgres://.../scratch DJANGO_DEBUG=true .venv/bin/python bench/statement_bench.py

Writes into the database it is given (run it on a scratch one, migrated): one merchant, one shop
and ENTRIES top-ups and deductions spread over the last 365 days, inserted in SQL with their
chain's `balance_after_minor` (the posting function would take minutes for 100,000), balanced
against the payments clearing account so the ledger's triggers accept them. Then it requests each
page ROUNDS times through Django's test client (the whole request: middleware, queries,
template), round-robin with /healthz as the reference (on a shared host the load moves every
figure: compare each page with the reference of the same run), and prints the median, p95 and
worst time and the number of queries, as a Markdown table for docs/benchmarks.md. Before
measuring, the shop's ledger is rolled up into day totals as the nightly task would have done
(`ROLLUP=0` leaves them out: the pages then read the entries, exact but slower).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ENTRIES = int(os.environ.get("ENTRIES", "100000"))
ROUNDS = int(os.environ.get("ROUNDS", "20"))


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from deposits import services
    from deposits.models import Account
    from shops.models import MerchantUser

    if connection.vendor != "postgresql":
        sys.exit("needs PostgreSQL: point DATABASE_URL at a scratch PostgreSQL database")
    now = timezone.now()
    tag = uuid.uuid4().hex[:8]
    shop, account = services.shop_register(
        merchant_email=f"bench-{tag}@example.com",
        merchant_name=f"Bench {tag}",
        name=f"Bench {tag}",
        shop_type="FLAGSHIP",
        trademark_status="REGISTERED",
        category_codes=("apparel",),
        external_ref=f"bench-{tag}",
        now=now - timedelta(days=400),
    )
    clearing = Account.objects.get(kind="SYSTEM", system_code="PAYMENTS_CLEARING", currency="CNY")
    step = 365 * 86400 // ENTRIES
    with transaction.atomic(), connection.cursor() as cursor:
        # Every tenth a deduction of 100..599 fen, the rest top-ups of as much: the balance grows.
        cursor.execute(
            """
            INSERT INTO deposits_ledgertransaction (public_id, idempotency_key, fingerprint, kind,
                status, error_code, account_id, amount_minor, currency, reason, reference,
                occurred_at, recorded_at)
            SELECT gen_random_uuid(), %s || g, 'bench',
                   CASE WHEN g %% 10 = 0 THEN 'DEDUCTION' ELSE 'TOP_UP' END, 'POSTED', '', %s,
                   100 + g %% 500, 'CNY', 'bench',
                   CASE WHEN g %% 10 = 0 THEN 'ORDER-' || g ELSE 'PAY-' || g END,
                   %s::timestamptz - make_interval(secs => (%s - g) * %s),
                   %s::timestamptz - make_interval(secs => (%s - g) * %s)
            FROM generate_series(1, %s) g
            """,
            [f"bench-{tag}-", account.pk, now, ENTRIES, step, now, ENTRIES, step, ENTRIES],
        )
        cursor.execute(
            """
            INSERT INTO deposits_entry (transaction_id, account_id, bucket, amount_minor,
                balance_after_minor, currency, kind, reason, reference, occurred_at, recorded_at)
            SELECT id, account_id, 'POSTED', signed,
                   SUM(signed) OVER (ORDER BY id), 'CNY', kind, reason, reference, occurred_at,
                   recorded_at
            FROM (SELECT t.*, CASE WHEN kind = 'DEDUCTION' THEN -amount_minor
                                   ELSE amount_minor END AS signed
                  FROM deposits_ledgertransaction t WHERE account_id = %s) s
            ORDER BY id
            """,
            [account.pk],
        )
        cursor.execute(
            """
            INSERT INTO deposits_entry (transaction_id, account_id, bucket, amount_minor, currency,
                kind, reason, reference, occurred_at, recorded_at)
            SELECT e.transaction_id, %s, 'POSTED', -e.amount_minor, 'CNY', e.kind, e.reason,
                   e.reference, e.occurred_at, e.recorded_at
            FROM deposits_entry e WHERE e.account_id = %s ORDER BY e.id
            """,
            [clearing.pk, account.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE deposits_entry")
    # The ledger's day totals, as the nightly task would have rolled them (ROLLUP=0: without).
    if os.environ.get("ROLLUP", "1") == "1":
        services.entry_rollup_advance(account_id=account.pk, now=now)
    owner = get_user_model().objects.create_user(username=f"bench-{tag}")
    MerchantUser.objects.create(user=owner, merchant=shop.merchant, role="OWNER")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    base = f"/shops/{shop.public_id}"
    pages = [
        ("/healthz (reference)", "/healthz"),
        ("statement, this month (default)", f"{base}/statement/"),
        ("statement, all time, page 1", f"{base}/statement/?date_from=&date_to="),
        ("statement, all time, last page", f"{base}/statement/?date_from=&date_to=&page=2000"),
        ("statement, a year of deductions, page 50", f"{base}/statement/?kind=DEDUCTION&page=50"),
        ("statement, reference search, all time", f"{base}/statement/?reference=ORDER-9990"),
        ("coverage, 30 days", f"{base}/coverage/?days=30"),
        ("coverage, 365 days", f"{base}/coverage/?days=365"),
    ]
    times: dict[str, list[float]] = {name: [] for name, _ in pages}
    counts: dict[str, int] = {}
    for _ in range(ROUNDS):
        for name, url in pages:
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times[name].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            counts[name] = len(queries)
    print(f"| page ({ENTRIES:,} entries) | median ms | p95 ms | worst ms | queries |")
    print("|---|---:|---:|---:|---:|")
    for name, values in times.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        print(
            f"| {name} | {statistics.median(values):.0f} | {p95:.0f} | {max(values):.0f} "
            f"| {counts[name]} |"
        )
    started = time.perf_counter()
    response = client.get(f"{base}/statement/csv/?date_from=&date_to=")
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    print(
        f"| CSV download, all {lines - 1:,} rows (streamed) | "
        f"{(time.perf_counter() - started) * 1000:.0f} | | |"
    )


if __name__ == "__main__":
    main()

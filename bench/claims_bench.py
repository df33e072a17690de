"""Claims: filings per second through the partner API, and the deadline scan over 1,000,000 claims
against one raw SQL statement selecting the same claims, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_bench_cldead \
        .venv/bin/python bench/claims_bench.py --claims 1000000 --rounds 5 --filings 500

The script DROPS and recreates that scratch database, migrates it, and fills it with set-based SQL
(generate_series): 1,000 shops of one partner and `--claims` claims, by `i % 1000`:
  0–2    NEGOTIATING, respond_by passed          (due: escalate / automatic decision)
  3–4    IN_REVIEW, both evidence windows passed (due: evidence closed)
  5–14   NEGOTIATING, respond_by ahead           (not due)
  15–24  IN_REVIEW, windows ahead                (not due)
  25–34  IN_REVIEW, evidence closed              (not due: waiting for ops)
  35–54  DECIDED, appeal window running          (not due; DECIDED is not scanned yet anyway)
  others CLOSED, SETTLED or WITHDRAWN            (never due)
with `next_deadline_at` written as the model's save() writes it. (No ledger, no holds: the
scratch database is not a consistent book. Never point this at a real database.)

Each scan round times, one after the other on one connection:
  raw     one SELECT of the due ids on the same partial index, every id fetched to the client
  scan    claims.services.claims_due_scan with a counting dispatcher (what the beat task runs:
          one statement through a server-side cursor, ids handed on 1,000 at a time)
  fields  (reported, not the target) the same claims selected from the deadline columns
          themselves, the design without a maintained column, with one partial index per
          deadline that this script adds for it
Target: scan ≤ 2× raw; memory flat (max RSS of this process, and tracemalloc's peak inside the
scan). Then the filings: `--filings` POST /api/v1/claims/ through Django's test client (in this
process, no HTTP server, DEBUG off so no query log), against the 1M-claim table, next to the
same number of direct `claims.services.claim_file` calls. Prints a Markdown table of medians and
writes var/bench/claims_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

SCANNED = ("NEGOTIATING", "IN_REVIEW")
RAW_SQL = """
    SELECT id FROM claims_claim
     WHERE next_deadline_at <= %(now)s AND status IN ('NEGOTIATING', 'IN_REVIEW')
     ORDER BY next_deadline_at, id
"""
FIELDS_SQL = """
    SELECT id FROM claims_claim
     WHERE (status = 'NEGOTIATING' AND respond_by <= %(now)s)
        OR (status = 'IN_REVIEW'
            AND GREATEST(consumer_evidence_by, merchant_evidence_by) <= %(now)s
            AND (evidence_closed_at IS NULL
                 OR evidence_closed_at < GREATEST(consumer_evidence_by, merchant_evidence_by)))
     ORDER BY id
"""
PER_DEADLINE_INDEXES = [
    "CREATE INDEX IF NOT EXISTS bench_claim_respond_idx ON claims_claim (respond_by) "
    "WHERE status = 'NEGOTIATING'",
    "CREATE INDEX IF NOT EXISTS bench_claim_evidence_idx ON claims_claim "
    "((GREATEST(consumer_evidence_by, merchant_evidence_by))) WHERE status = 'IN_REVIEW'",
]


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    args = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432)]
    args += ["-U", parsed.username or "postgres"]
    name = parsed.path.lstrip("/")
    if not name.startswith(("dd_bench", "bench")):
        sys.exit(f"Refusing to drop {name!r}: a scratch database's name starts with dd_bench.")
    subprocess.run(["dropdb", *args, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *args, name], check=True)


def fill(claims: int) -> float:
    """One partner, 1,000 shops with their merchants, `claims` claims: one statement a table."""
    from django.db import connection

    from partners.services import partner_get_or_create

    partner = partner_get_or_create(name="Bench marketplace")
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO shops_merchant (public_id, name, contact_email, language, created_at)
            SELECT gen_random_uuid(), 'Bench merchant ' || m, 'bench' || m || '@example.com',
                   'zh-hans', now()
              FROM generate_series(1, 1000) AS m
            """
        )
        cursor.execute("SELECT min(id) FROM shops_merchant")
        first_merchant = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO shops_shop (public_id, partner_id, external_ref, merchant_id, name,
                shop_type, trademark_status, currency, status, went_live_at, closed_at,
                created_at)
            SELECT gen_random_uuid(), %s, 'bench-' || i, %s + i - 1, 'Bench shop ' || i,
                   'FLAGSHIP', 'REGISTERED', 'CNY', 'ACTIVE', now() - interval '90 days', NULL,
                   now() - interval '120 days'
              FROM generate_series(1, 1000) AS i
            """,
            [partner.pk, first_merchant],
        )
        cursor.execute("SELECT min(id) FROM shops_shop")
        first_shop = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO deposits_account (kind, shop_id, system_code, currency, posted_minor,
                held_minor, debt_minor, required_minor, requirement_basis, guaranteed_minor,
                recent_gmv_minor, created_at)
            SELECT 'DEPOSIT', s.id, '', 'CNY', 0, 0, 0, 0, '{}'::jsonb, 0, NULL, now()
              FROM shops_shop s
            """
        )
        cursor.execute(
            "SELECT id FROM claims_compensationrule WHERE reason = 'LATE_SHIPMENT' "
            "AND currency = 'CNY' ORDER BY effective_from DESC LIMIT 1"
        )
        rule_id = cursor.fetchone()[0]
        # Each row computes its kind k = i % 1000 once; the deadlines are relative to now().
        cursor.execute(
            """
            INSERT INTO claims_claim (public_id, partner_id, external_ref, shop_id, reason,
                status, outcome, order_ref, order_paid_minor, currency, order_paid_at,
                order_shipped_at, consumer_ref, description, requested_minor,
                compensation_minor, rule_id, computation_en, computation_zh, computation_facts,
                hold_public_id,
                respond_by, filed_at, escalated_at, decided_at, ended_at,
                consumer_evidence_by, merchant_evidence_by, decide_by, appeal_by, appealed_at,
                appeal_note, appeal_outcome, closed_at, evidence_closed_at, next_deadline_at,
                needs_review, review_reason)
            SELECT gen_random_uuid(), %(partner)s, 'bench-claim-' || i,
                   %(shop)s + (i %% 1000), 'LATE_SHIPMENT',
                   CASE WHEN k < 3 OR k BETWEEN 5 AND 14 THEN 'NEGOTIATING'
                        WHEN k BETWEEN 3 AND 4 OR k BETWEEN 15 AND 34 THEN 'IN_REVIEW'
                        WHEN k BETWEEN 35 AND 54 THEN 'DECIDED'
                        WHEN k %% 3 = 0 THEN 'CLOSED'
                        WHEN k %% 3 = 1 THEN 'SETTLED' ELSE 'WITHDRAWN' END,
                   CASE WHEN k BETWEEN 35 AND 54 OR (k > 54 AND k %% 3 = 0)
                        THEN 'REJECTED' END,
                   'order-' || i, 100000, 'CNY', now() - interval '10 days', NULL,
                   'buyer-' || (i %% 50000),
                   'Not shipped after 48 hours.', NULL, 0, %(rule)s,
                   'Rule LATE_SHIPMENT: 1,000.00 CNY paid x 30%% = 300.00 CNY.',
                   '规则 LATE_SHIPMENT:实付 1,000.00 CNY × 30%% = 300.00 CNY。', '{}'::jsonb,
                   NULL,
                   CASE WHEN k < 3 THEN now() - interval '1 minute' * (1 + i %% 600)
                        WHEN k BETWEEN 5 AND 14 THEN now() + interval '1 day' END,
                   now() - interval '8 days',
                   CASE WHEN k BETWEEN 3 AND 4 OR k BETWEEN 15 AND 54
                             OR (k > 54 AND k %% 3 = 0)
                        THEN now() - interval '5 days' END,
                   CASE WHEN k BETWEEN 35 AND 54 OR (k > 54 AND k %% 3 = 0)
                        THEN now() - interval '1 day' END,
                   CASE WHEN k > 54 AND k %% 3 <> 0 THEN now() - interval '7 days' END,
                   CASE WHEN k BETWEEN 3 AND 4 THEN now() - interval '2 minutes'
                        WHEN k BETWEEN 15 AND 24 THEN now() + interval '2 days'
                        WHEN k BETWEEN 25 AND 54 THEN now() - interval '2 days' END,
                   CASE WHEN k BETWEEN 3 AND 4 THEN now() - interval '1 minute'
                        WHEN k BETWEEN 15 AND 24 THEN now() + interval '2 days'
                        WHEN k BETWEEN 25 AND 54 THEN now() - interval '2 days' END,
                   CASE WHEN k BETWEEN 3 AND 54 THEN now() + interval '4 days' END,
                   CASE WHEN k BETWEEN 35 AND 54 THEN now() + interval '14 days' END,
                   NULL, '', NULL,
                   CASE WHEN k > 54 AND k %% 3 = 0 THEN now() - interval '12 hours' END,
                   CASE WHEN k BETWEEN 25 AND 34 THEN now() - interval '1 day' END,
                   CASE WHEN k < 3 THEN now() - interval '1 minute' * (1 + i %% 600)
                        WHEN k BETWEEN 3 AND 4 THEN now() - interval '1 minute'
                        WHEN k BETWEEN 5 AND 14 THEN now() + interval '1 day'
                        WHEN k BETWEEN 15 AND 24 THEN now() + interval '2 days'
                        WHEN k BETWEEN 35 AND 54 THEN now() + interval '14 days' END,
                   false, ''
              FROM (SELECT i, i %% 1000 AS k FROM generate_series(1, %(claims)s) AS i) AS g
            """,
            {"partner": partner.pk, "shop": first_shop, "rule": rule_id, "claims": claims},
        )
        cursor.execute("VACUUM ANALYZE claims_claim")
    return time.monotonic() - started


def make_backlog(per_mille: int) -> int:
    """Turn `per_mille` of every 1,000 settled/withdrawn/closed claims (i % 1000 from 100 up)
    into NEGOTIATING claims whose respond_by passed an hour ago: a backlog to show that the
    scan's memory does not grow with it. Idempotent for the same value."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE claims_claim
               SET status = 'NEGOTIATING', outcome = NULL, decided_at = NULL,
                   escalated_at = NULL, ended_at = NULL, closed_at = NULL,
                   respond_by = now() - interval '1 hour',
                   next_deadline_at = now() - interval '1 hour'
             WHERE substring(external_ref FROM 13)::int %% 1000 BETWEEN 100 AND %s
               AND external_ref LIKE 'bench-claim-%%'
            """,
            [99 + per_mille],
        )
        changed = cursor.rowcount
        cursor.execute("VACUUM ANALYZE claims_claim")
    return changed


def add_per_deadline_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in PER_DEADLINE_INDEXES:
            cursor.execute(statement)
        cursor.execute("ANALYZE claims_claim")


def time_sql(sql: str, now) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(sql, {"now": now})
        rows = cursor.fetchall()
    return time.monotonic() - started, len(rows)


def time_scan(now) -> tuple[float, int, float]:  # type: ignore[no-untyped-def]
    from claims.services import claims_due_scan

    seen = [0]

    def dispatch(ids: list[int]) -> None:
        seen[0] += len(ids)

    started = time.monotonic()
    claims_due_scan(now=now, dispatch=dispatch)
    elapsed = time.monotonic() - started
    # The same scan again under tracemalloc, untimed (tracing slows every allocation).
    tracemalloc.start()
    claims_due_scan(now=now, dispatch=lambda ids: None)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, seen[0], peak / 1024 / 1024


def explain(now) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from django.db import connection

    from claims import selectors

    queryset = selectors.Claim.objects.filter(next_deadline_at__lte=now, status__in=SCANNED)
    scan_sql, scan_params = (
        queryset.order_by("next_deadline_at", "id").values_list("id", flat=True).query
    ).sql_with_params()
    plans = {}
    with connection.cursor() as cursor:
        for name, sql, params in (
            ("raw", RAW_SQL, {"now": now}),
            ("scan", scan_sql, scan_params),
            ("fields", FIELDS_SQL, {"now": now}),
        ):
            cursor.execute("EXPLAIN (COSTS OFF) " + sql, params)
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def time_filings(count: int) -> dict[str, float]:
    """`count` claims through POST /api/v1/claims/ (test client), then `count` through the
    service; returns claims per second for each."""
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone

    from claims.services import claim_file
    from partners.models import Partner
    from partners.services import api_key_create, partner_get_or_create
    from shops.models import Shop

    partner = partner_get_or_create(name="Bench marketplace")
    Partner.objects.filter(pk=partner.pk).update(throttle_per_minute=10_000_000)
    key = api_key_create(partner=partner, now=timezone.now())
    shops = list(Shop.objects.filter(partner=partner).order_by("id")[:100])
    client = Client(SERVER_NAME="localhost")
    headers = {"Authorization": f"Bearer {key.raw}"}
    paid_at = (timezone.now() - timedelta(days=3)).isoformat()
    run = uuid.uuid4().hex[:8]

    started = time.monotonic()
    for n in range(count):
        shop = shops[n % len(shops)]
        body = {
            "external_ref": f"api-{run}-{n}",
            "shop": str(shop.public_id),
            "reason": "LATE_SHIPMENT",
            "order": {
                "ref": f"TB-{n}",
                "paid_minor": 100_000,
                "currency": "CNY",
                "paid_at": paid_at,
                "shipped_at": None,
            },
            "consumer": {"ref": f"api-buyer-{n}"},
            "description": "Not shipped after 48 hours.",
        }
        response = client.post(
            "/api/v1/claims/",
            json.dumps(body),
            content_type="application/json",
            headers={**headers, "Idempotency-Key": f"{run}-{n}"},
        )
        assert response.status_code == 201, response.content
    api_s = time.monotonic() - started

    now = timezone.now()
    started = time.monotonic()
    for n in range(count):
        claim_file(
            partner_id=partner.pk,
            shop=shops[n % len(shops)],
            external_ref=f"svc-{run}-{n}",
            reason="LATE_SHIPMENT",
            order_ref=f"TB-{n}",
            order_paid_minor=100_000,
            currency="CNY",
            order_paid_at=now - timedelta(days=3),
            order_shipped_at=None,
            consumer_ref=f"svc-buyer-{n}",
            description="Not shipped after 48 hours.",
            now=now,
        )
    service_s = time.monotonic() - started
    return {"api_per_s": count / api_s, "service_per_s": count / service_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--filings", type=int, default=500, help="per round; 0 skips them")
    parser.add_argument("--filing-rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the filled database")
    parser.add_argument(
        "--backlog-per-mille",
        type=int,
        default=0,
        help="also make this many claims per 1,000 due (a backlog; memory must stay flat)",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://…/dd_bench_cldead (a scratch database).")
    if not args.keep:
        recreate_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    settings.DEBUG = False  # no query log growing in this process
    fill_seconds = None
    if not args.keep:
        call_command("migrate", verbosity=0)
        fill_seconds = fill(args.claims)
        add_per_deadline_indexes()
    if args.backlog_per_mille:
        print(f"backlog: {make_backlog(args.backlog_per_mille)} claims made due", flush=True)
    rss_before = max_rss_mib()

    rounds = []
    for n in range(args.rounds):
        now = timezone.now()
        raw_s, raw_rows = time_sql(RAW_SQL, now)
        scan_s, scanned, peak_mib = time_scan(now)
        fields_s, fields_rows = time_sql(FIELDS_SQL, now)
        assert scanned == raw_rows == fields_rows, (scanned, raw_rows, fields_rows)
        rounds.append(
            {
                "raw_s": raw_s,
                "scan_s": scan_s,
                "fields_s": fields_s,
                "due": raw_rows,
                "ratio": scan_s / raw_s,
                "tracemalloc_peak_mib": peak_mib,
                "max_rss_mib": max_rss_mib(),
            }
        )
        print(
            f"round {n + 1}: raw {raw_s * 1000:.1f} ms ({raw_rows} rows) · scan "
            f"{scan_s * 1000:.1f} ms · ratio {scan_s / raw_s:.2f} · fields {fields_s * 1000:.1f} "
            f"ms · tracemalloc peak {peak_mib:.2f} MiB · max RSS {max_rss_mib():.0f} MiB",
            flush=True,
        )

    filings = []
    for n in range(args.filing_rounds if args.filings else 0):
        result = time_filings(args.filings)
        filings.append(result)
        print(
            f"filings {n + 1}: API {result['api_per_s']:.0f}/s · service "
            f"{result['service_per_s']:.0f}/s",
            flush=True,
        )

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    summary = {
        "claims": args.claims,
        "rounds": rounds,
        "filings": filings,
        "fill_seconds": fill_seconds,
        "median_raw_s": median(rounds, "raw_s"),
        "median_scan_s": median(rounds, "scan_s"),
        "median_fields_s": median(rounds, "fields_s"),
        "median_ratio": median(rounds, "ratio"),
        "max_rss_before_mib": rss_before,
        "max_rss_after_mib": max_rss_mib(),
        "plans": explain(timezone.now()),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "claims_bench.json").write_text(json.dumps(summary, indent=2, default=str))

    print()
    for name, plan in summary["plans"].items():
        print(f"EXPLAIN {name}:\n{plan}\n")
    print(f"| {args.claims:,} claims, {rounds[0]['due']:,} due | median of {args.rounds} |")
    print("| --- | --- |")
    print(f"| raw statement (same partial index) | {summary['median_raw_s'] * 1000:.1f} ms |")
    print(
        f"| scan (claims_due_scan, server-side cursor, batches of 1,000) | "
        f"{summary['median_scan_s'] * 1000:.1f} ms |"
    )
    print(f"| **scan / raw** (median of per-round ratios; ≤ 2) | {summary['median_ratio']:.2f} |")
    print(
        f"| from the deadline columns, one index per deadline | "
        f"{summary['median_fields_s'] * 1000:.1f} ms |"
    )
    print(
        f"| tracemalloc peak inside the scan | "
        f"{max(r['tracemalloc_peak_mib'] for r in rounds):.2f} MiB |"
    )
    print(
        f"| max RSS before / after the rounds | {rss_before:.0f} / "
        f"{max(r['max_rss_mib'] for r in rounds):.0f} MiB |"
    )
    if filings:
        print(
            f"| claims filed per second, API (test client) / service, median of "
            f"{len(filings)} × {args.filings} | {median(filings, 'api_per_s'):.0f} / "
            f"{median(filings, 'service_per_s'):.0f} |"
        )


if __name__ == "__main__":
    main()

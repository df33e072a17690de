"""The shortfall scan over 1,000,000 shops, against one raw SQL statement, in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_bench_shortfall \
        .venv/bin/python bench/shortfall_bench.py --shops 1000000 --rounds 3

The script DROPS and recreates that scratch database, migrates it, and fills it with set-based SQL
(generate_series): `--shops` live shops with their deposit accounts, of which 1% are short of
their requirement, 1% are onboarding and short (must be ignored), 1% are closed (ignored); the
rest are covered. (Balances are written directly: the scratch database has no ledger entries and
fails ledger_check by design. Never point this at a real database.)

Each round, with no case open at its start:
  raw    one SELECT computing the candidate set (live shops short with no open case, plus open
         cases with work due), all ids fetched to the client;
  scan   `deposits.services.shortfall_scan`: the set-based INSERT … ON CONFLICT DO NOTHING that
         opens the missing cases, then the keyset-paginated candidate query handing ids to a
         dispatcher in pages of 1,000 (here a counter; Celery's dispatcher enqueues one task each);
then, untimed against the target but reported:
  evaluate  `shortfall_evaluate` for a sample of the opened cases, one transaction each (what the
            per-shop tasks do: lock, announce, notify step, event, notice);
  enqueue   (with --broker) the cost of sending one Celery task per candidate to Redis.
The cases opened are deleted between rounds. Target: scan ≤ 2× raw; memory flat (max RSS of this
process before and after the scans). Prints a Markdown table of medians and writes
var/bench/shortfall_bench.json.
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
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

REQUIRED = 5_000_000  # 50,000.00 CNY: a flagship shop with registered trademarks
SHORT = 100_000  # 1,000.00 CNY

# What a real requirement explanation weighs in each account row (the seq scan reads it).
BASIS = json.dumps(
    {
        "computed_at": "2026-11-01T00:00:00+00:00",
        "shop_type": "FLAGSHIP",
        "trademark_status": "REGISTERED",
        "categories": [
            {
                "category": "apparel",
                "category_zh": "服饰",
                "category_en": "Apparel",
                "rule": "base",
                "rule_id": 1,
                "amount_minor": REQUIRED,
            }
        ],
        "deciding": "base",
        "deciding_category": "apparel",
        "required_minor": REQUIRED,
    },
    ensure_ascii=False,
)

# The coverage rule's SQL function, called as the scan calls it (deposits/sql/coverage_v1.sql).
SHORTFALL = (
    "deposits_shortfall_v1(a.required_minor, a.posted_minor, a.held_minor, a.guaranteed_minor, "
    "a.debt_minor)"
)
RAW_SQL = f"""
    SELECT a.shop_id
      FROM deposits_account a
      JOIN shops_shop s ON s.id = a.shop_id
      LEFT JOIN deposits_shortfallcase c ON c.shop_id = a.shop_id AND c.status = 'OPEN'
     WHERE a.kind = 'DEPOSIT'
       AND ((c.id IS NULL AND s.went_live_at IS NOT NULL AND s.closed_at IS NULL
             AND {SHORTFALL} > 0)
         OR (c.id IS NOT NULL AND (c.announced_at IS NULL OR c.next_due_at <= %(now)s
             OR c.next_reminder_at <= %(now)s OR s.closed_at IS NOT NULL
             OR {SHORTFALL} <= 0 OR {SHORTFALL} <> c.amount_minor)))
     ORDER BY a.shop_id
"""


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


def fill(shops: int) -> float:
    """Merchants, shops and accounts with generate_series: one statement per table."""
    from django.db import connection

    started = time.monotonic()
    merchants = max(1, shops // 100)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO shops_merchant (public_id, name, contact_email, language, created_at)
            SELECT gen_random_uuid(), 'Bench merchant ' || m, 'bench' || m || '@example.com',
                   CASE WHEN m %% 2 = 0 THEN 'zh-hans' ELSE 'en' END, now()
              FROM generate_series(1, %s) AS m
            """,
            [merchants],
        )
        cursor.execute("SELECT min(id) FROM shops_merchant")
        first_merchant = cursor.fetchone()[0]
        # i % 100: 0 live and short, 1 onboarding and short, 2 closed, others live and covered.
        cursor.execute(
            """
            INSERT INTO shops_shop (public_id, partner_id, external_ref, merchant_id, name,
                shop_type, trademark_status, currency, status, went_live_at, closed_at,
                created_at)
            SELECT gen_random_uuid(), NULL, 'bench-' || i, %s + (i %% %s), 'Bench shop ' || i,
                   'FLAGSHIP', 'REGISTERED', 'CNY',
                   CASE i %% 100 WHEN 1 THEN 'ONBOARDING' WHEN 2 THEN 'CLOSED' ELSE 'ACTIVE' END,
                   CASE i %% 100 WHEN 1 THEN NULL ELSE now() - interval '90 days' END,
                   CASE i %% 100 WHEN 2 THEN now() - interval '10 days' ELSE NULL END,
                   now() - interval '120 days'
              FROM generate_series(1, %s) AS i
            """,
            [first_merchant, merchants, shops],
        )
        cursor.execute(
            """
            INSERT INTO deposits_account (kind, shop_id, system_code, currency, posted_minor,
                held_minor, debt_minor, required_minor, requirement_basis, guaranteed_minor,
                recent_gmv_minor, created_at)
            SELECT 'DEPOSIT', s.id, '', 'CNY',
                   CASE WHEN substring(s.external_ref FROM 7)::int %% 100 IN (0, 1)
                        THEN %s - %s ELSE %s END,
                   0, 0,
                   CASE WHEN s.closed_at IS NOT NULL THEN 0 ELSE %s END,
                   %s::jsonb, 0, NULL, now()
              FROM shops_shop s
            """,
            [REQUIRED, SHORT, REQUIRED, REQUIRED, BASIS],
        )
        cursor.execute("ANALYZE")
    return time.monotonic() - started


def reset_cases() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "deposits_shortfallstep",
            "deposits_shortfallreview",
            "deposits_shortfallcase",
            "shops_notification",
            "partners_event",
        ):
            cursor.execute(f"DELETE FROM {table}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE deposits_shortfallcase")


def time_raw(now) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(RAW_SQL, {"now": now})
        rows = cursor.fetchall()
    return time.monotonic() - started, len(rows)


def time_scan(now) -> tuple[float, int, int]:  # type: ignore[no-untyped-def]
    from deposits.services import shortfall_scan

    seen = [0]

    def dispatch(ids: list[int]) -> None:
        seen[0] += len(ids)

    started = time.monotonic()
    result = shortfall_scan(now=now, dispatch=dispatch)
    return time.monotonic() - started, result.opened, seen[0]


def time_evaluate(now, sample: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from deposits.models import ShortfallCase
    from deposits.services import shortfall_evaluate

    shop_ids = list(
        ShortfallCase.objects.filter(status="OPEN")
        .order_by("shop_id")
        .values_list("shop_id", flat=True)[:sample]
    )
    started = time.monotonic()
    for shop_id in shop_ids:
        shortfall_evaluate(shop_id=shop_id, now=now)
    return time.monotonic() - started, len(shop_ids)


def time_enqueue(count: int, broker: str) -> float:
    """Send `count` enforce_shortfall tasks to a queue nobody consumes, then delete it."""
    import redis
    from celery import Celery

    from deposits.tasks import enforce_shortfall

    # An app of its own on the given broker: never the settings' broker (in development the
    # filesystem broker, which a local worker may be reading).
    app = Celery("shortfall-bench", broker=broker)
    queue = f"bench-shortfall-{os.getpid()}"
    started = time.monotonic()
    with app.producer_or_acquire() as producer:
        for shop_id in range(count):
            app.send_task(
                enforce_shortfall.name, kwargs={"shop_id": shop_id}, queue=queue, producer=producer
            )
    elapsed = time.monotonic() - started
    redis.Redis.from_url(broker).delete(queue)
    return elapsed


def explain(now) -> dict[str, str]:  # type: ignore[no-untyped-def]
    from django.db import connection

    plans = {}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (COSTS OFF) " + RAW_SQL, {"now": now})
        plans["raw"] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shops", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--evaluate-sample", type=int, default=1000)
    parser.add_argument("--broker", default="", help="redis://… to time the Celery fan-out")
    parser.add_argument("--keep", action="store_true", help="reuse the filled database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://…/dd_bench_shortfall (a scratch database).")
    if not args.keep:
        recreate_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The bench's evaluations create notices: their e-mails stay rows, nothing goes to a broker.
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False
    from django.utils import timezone

    fill_seconds = None
    if not args.keep:
        call_command("migrate", verbosity=0)
        fill_seconds = fill(args.shops)
    reset_cases()
    rss_before = max_rss_mib()

    rounds = []
    for n in range(args.rounds):
        now = timezone.now()
        raw_s, raw_rows = time_raw(now)
        scan_s, opened, candidates = time_scan(now)
        rss_after_scan = max_rss_mib()
        eval_s, evaluated = time_evaluate(now, args.evaluate_sample)
        enqueue_s = time_enqueue(candidates, args.broker) if args.broker else None
        rounds.append(
            {
                "raw_s": raw_s,
                "raw_rows": raw_rows,
                "scan_s": scan_s,
                "opened": opened,
                "candidates": candidates,
                "ratio": scan_s / raw_s,
                "evaluate_s": eval_s,
                "evaluated": evaluated,
                "evaluate_per_s": evaluated / eval_s if eval_s else None,
                "enqueue_s": enqueue_s,
                "max_rss_after_scan_mib": rss_after_scan,
                "max_rss_mib": max_rss_mib(),
            }
        )
        print(
            f"round {n + 1}: raw {raw_s:.3f}s ({raw_rows} rows) · scan {scan_s:.3f}s "
            f"(opened {opened}, {candidates} candidates) · ratio {scan_s / raw_s:.2f} · "
            f"evaluate {evaluated} shops {eval_s:.2f}s"
            + (f" · enqueue {candidates} tasks {enqueue_s:.2f}s" if enqueue_s is not None else "")
            + f" · max RSS after scan {rss_after_scan:.0f} MiB"
            + f", after evaluating {max_rss_mib():.0f}",
            flush=True,
        )
        reset_cases()

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds if r[key] is not None)

    summary = {
        "shops": args.shops,
        "rounds": rounds,
        "fill_seconds": fill_seconds,
        "median_raw_s": median("raw_s"),
        "median_scan_s": median("scan_s"),
        "median_ratio": median("ratio"),
        "median_evaluate_per_s": median("evaluate_per_s"),
        "median_enqueue_s": median("enqueue_s") if args.broker else None,
        "max_rss_before_mib": rss_before,
        "max_rss_after_scans_mib": max(r["max_rss_after_scan_mib"] for r in rounds),
        "max_rss_after_mib": max_rss_mib(),
        "plan_raw": explain(timezone.now()),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "shortfall_bench.json").write_text(json.dumps(summary, indent=2, default=str))

    print()
    print(f"| {args.shops:,} shops, 1% short | median of {args.rounds} |")
    print("| --- | --- |")
    print(
        f"| raw candidate statement | {summary['median_raw_s']:.3f} s "
        f"({rounds[0]['raw_rows']:,} rows) |"
    )
    print(
        f"| scan (open cases set-based + list candidates) | {summary['median_scan_s']:.3f} s "
        f"({rounds[0]['opened']:,} opened) |"
    )
    print(f"| ratio scan / raw (target ≤ 2) | {summary['median_ratio']:.2f} |")
    print(
        f"| per-shop evaluation (announce + notify step), 1 process | "
        f"{summary['median_evaluate_per_s']:.0f} shops/s |"
    )
    if args.broker:
        print(f"| enqueue one task per candidate (Redis) | {summary['median_enqueue_s']:.2f} s |")
    print(
        f"| max RSS of this process: before / after the first scan / after all rounds | "
        f"{rss_before:.0f} / {rounds[0]['max_rss_after_scan_mib']:.0f} / "
        f"{summary['max_rss_after_mib']:.0f} MiB |"
    )


if __name__ == "__main__":
    main()

"""Postings per second through the service layer, side by side with pgbench in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_bench_ledger \
        .venv/bin/python bench/ledger_bench.py --seconds 15 --rounds 3

Scenarios (each round runs them all, each followed by pgbench at the same client count):
  hot-1      1 client,  one hot account
  hot-4      4 clients, one hot account
  spread-4   4 clients, 1,000 accounts
Each client is a separate process calling `deposits.services.deposit_deduct` (1 fen, a unique
idempotency key per call) in a loop, with production settings (DEBUG off). pgbench runs
`-b tpcb-like` against its own scratch database (scale 10), for half the time just before and
half just after each scenario; the ratio is against the mean of the two (the machine drifts).
The hot scenarios are also compared with pgbench at scale 1, whose every transaction updates
one branch row: a hot row, like their one account.
The script DROPS and recreates both databases, then runs ledger_check. Prints a Markdown
table of medians and ratios (for docs/benchmarks.md) and writes var/bench/ledger_bench.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production settings: with DEBUG on, Django records every query the clients send, which is
# work a deployment does not do.
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")


def _pg_args(url: str) -> tuple[list[str], str]:
    parsed = urlparse(url)
    args = [
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
    ]
    return args, parsed.path.lstrip("/")


def recreate_database(url: str) -> None:
    args, name = _pg_args(url)
    subprocess.run(["dropdb", *args, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *args, name], check=True)


def setup_django() -> None:
    import django

    django.setup()


def prepare(accounts: int) -> list[int]:
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from deposits import services
    from partners.models import Partner

    now = timezone.now()
    # Shops registered by a partner, as in production: every posting also writes its
    # deposit.entry_posted event to the outbox, and that cost belongs in the figure.
    partner, _ = Partner.objects.get_or_create(name="Bench Marketplace")
    ids = []
    for i in range(accounts):
        _, account = services.shop_register(
            merchant_email=f"bench{i}@example.com",
            merchant_name=f"Bench {i}",
            name=f"Shop {i}",
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            category_codes=["apparel"],
            external_ref=f"bench-{i}",
            partner_id=partner.pk,
            now=now,
        )
        services.deposit_top_up(
            account_id=account.pk,
            amount_minor=10**12,
            currency="CNY",
            payment_ref=f"bench-pay-{i}",
            idempotency_key=f"bench-fund-{i}",
            now=now,
        )
        ids.append(account.pk)
    return ids


def client(account_ids: list[int], seconds: float, tag: str, start_at: float, out) -> None:  # type: ignore[no-untyped-def]
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from deposits import services

    connection.ensure_connection()
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    n = 0
    k = 0
    pid = os.getpid()
    count = len(account_ids)
    while time.time() < deadline:
        services.deposit_deduct(
            account_id=account_ids[(pid + k) % count],
            amount_minor=1,
            currency="CNY",
            reason="bench",
            reference="bench",
            idempotency_key=f"{tag}-{pid}-{k}",
            now=timezone.now(),
        )
        n += 1
        k += 1
    out.put(n)


def run_clients(account_ids: list[int], clients: int, seconds: float, tag: str) -> float:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 2.0  # let every process connect first
    procs = [
        ctx.Process(target=client, args=(account_ids, seconds, f"{tag}-{i}", start_at, out))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    total = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def pgbench(url: str, clients: int, seconds: int) -> float:
    args, name = _pg_args(url)
    result = subprocess.run(
        [
            "pgbench",
            *args,
            "-b",
            "tpcb-like",
            "-c",
            str(clients),
            "-j",
            str(clients),
            "-T",
            str(seconds),
            "-n",
            name,
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+)", result.stdout)
    assert match, result.stdout
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--pgbench-db", default="dd_bench_pgbench")
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database (it is dropped).")
    pg_url = url.rsplit("/", 1)[0] + "/" + options.pgbench_db

    recreate_database(url)
    recreate_database(pg_url)
    pg_args, pg_name = _pg_args(pg_url)
    subprocess.run(
        ["pgbench", *pg_args, "-i", "-s", "10", "-q", pg_name], check=True, capture_output=True
    )
    # Scale 1 has one branch row, which every tpcb-like transaction updates: a hot row, like
    # the hot-account scenarios' one deposit account. Reported beside the scale-10 ratio.
    hot_url = url.rsplit("/", 1)[0] + "/" + options.pgbench_db + "_hot"
    recreate_database(hot_url)
    hot_args, hot_name = _pg_args(hot_url)
    subprocess.run(
        ["pgbench", *hot_args, "-i", "-s", "1", "-q", hot_name], check=True, capture_output=True
    )
    setup_django()
    account_ids = prepare(options.accounts)
    from django.db import connection

    connection.close()  # forked clients must not share this connection

    scenarios = [
        ("hot-1", account_ids[:1], 1),
        ("hot-4", account_ids[:1], 4),
        ("spread-4", account_ids, 4),
    ]
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in scenarios}
    hot_samples: dict[str, list[tuple[float, float]]] = {
        name: [] for name, ids, _ in scenarios if len(ids) == 1
    }
    half = max(2, options.seconds // 2)
    for round_no in range(options.rounds):
        for name, ids, clients in scenarios:
            # pgbench before and after ours, half as long each: the machine's speed drifts
            # within minutes, and a ratio against the mean of both sides cancels most drift.
            before = pgbench(pg_url, clients, half)
            ours = run_clients(ids, clients, options.seconds, f"r{round_no}-{name}")
            after = pgbench(pg_url, clients, half)
            theirs = (before + after) / 2
            samples[name].append((ours, theirs))
            line = (
                f"round {round_no + 1} {name}: {ours:,.0f} postings/s vs pgbench "
                f"{theirs:,.0f} tps ({ours / theirs:.2f}x)"
            )
            if name in hot_samples:
                hot = pgbench(hot_url, clients, half)
                hot_samples[name].append((ours, hot))
                line += f"; vs pgbench scale 1 (one hot row) {hot:,.0f} tps ({ours / hot:.2f}x)"
            print(line, flush=True)

    from deposits.services import ledger_check_run

    check = ledger_check_run(record=False)
    print(check.summary)
    rows = []
    for name, _, clients in scenarios:
        ours = statistics.median(s[0] for s in samples[name])
        theirs = statistics.median(s[1] for s in samples[name])
        ratio = statistics.median(s[0] / s[1] for s in samples[name])
        row: dict[str, object] = {
            "scenario": name,
            "clients": clients,
            "postings_per_s": round(ours),
            "pgbench_tps": round(theirs),
            "ratio": round(ratio, 2),
        }
        if name in hot_samples:
            row["pgbench_hot_row_tps"] = round(statistics.median(h for _, h in hot_samples[name]))
            row["ratio_hot_row"] = round(statistics.median(o / h for o, h in hot_samples[name]), 2)
        rows.append(row)
    report = {
        "machine": f"{platform.node()} {os.cpu_count()} cores, {platform.python_version()}",
        "seconds": options.seconds,
        "rounds": options.rounds,
        "accounts": options.accounts,
        "ledger_check": check.summary,
        "results": rows,
        "samples": samples,
        "hot_row_samples": hot_samples,
    }
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "ledger_bench.json").write_text(json.dumps(report, indent=2))
    print(
        "\n| scenario | clients | postings/s (median) | pgbench tpcb-like scale 10 tps | ratio "
        "| pgbench scale 1 (one hot row) tps | ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        hot = (
            f"{r['pgbench_hot_row_tps']:,} | {r['ratio_hot_row']:.2f}x"
            if "ratio_hot_row" in r
            else "– | –"
        )
        print(
            f"| {r['scenario']} | {r['clients']} | {r['postings_per_s']:,} | "
            f"{r['pgbench_tps']:,} | {r['ratio']:.2f}x | {hot} |"
        )
    if not check.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

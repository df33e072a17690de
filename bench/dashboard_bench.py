"""Every merchant dashboard page (tests/dashboard_pages.PAGES) for a shop with 100,000 ledger
entries and 1,000 claims: p50/p95 per page, against /healthz measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_bench_dashboard \
        .venv/bin/python bench/dashboard_bench.py --entries 100000 --claims 1000 --requests 60

The script DROPS and recreates that scratch database, migrates it and builds the test suite's
merchant (tests/dashboard_pages.build_world, through services). Then it grows the flagship shop:
  - `--entries` more top-ups on its account, one statement (generate_series): each a copy of
    the world's second top-up, its two legs included (the shop's and the payment system's), so
    the shop's account holds that many ledger entries. Balances after are written directly, not
    replayed: the scratch database fails ledger_check by design. Never point this at a real one.
  - `--claims` consumer claims filed through claims.services.claim_file (a twentieth escalated).
  - then the ledger's day totals are rolled up (deposits.services.entry_rollup_advance), as the
    nightly task would have done: the filled entries are all of days before today.
`--keep` measures an existing database again (filled by an earlier run) without touching it:
to compare two code trees on one database.
Each page is requested in turn, round-robin with /healthz, through Django's test client in this
process (middleware, views, templates and queries; no HTTP server, no browser), after two warm-up
rounds. Target: p95 < 100 ms per page. Prints a Markdown table and writes
var/bench/dashboard_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
os.environ.setdefault("DEPOSIT_SANDBOX_PAYMENTS", "true")


def recreate_database(url: str) -> None:
    parsed = urlparse(url)
    args = ["-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432)]
    args += ["-U", parsed.username or "postgres"]
    name = parsed.path.lstrip("/")
    if not (name.startswith(("dd_bench", "bench")) or name.endswith("_bench")):
        sys.exit(
            f"Refusing to drop {name!r}: a scratch database's name starts with dd_bench "
            "or ends with _bench."
        )
    subprocess.run(["dropdb", *args, "--if-exists", "--force", name], check=True)
    subprocess.run(["createdb", *args, name], check=True)


def _columns(cursor, table: str) -> list[str]:  # type: ignore[no-untyped-def]
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "AND column_name <> 'id' ORDER BY ordinal_position",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def grow_ledger(account, entries: int) -> float:  # type: ignore[no-untyped-def]
    """`entries` copies of the account's second top-up (a small one), each with its legs."""
    from django.db import connection, transaction

    from deposits.models import LedgerTransaction

    source = LedgerTransaction.objects.filter(account=account, kind="TOP_UP").order_by("id")[1]
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        tx_columns = _columns(cursor, "deposits_ledgertransaction")
        overrides = {
            "public_id": "gen_random_uuid()",
            "idempotency_key": "'bench-' || g",
            "payment_ref": "'bench-pay-' || g",
            "reference": "'BENCH-' || g",
            "occurred_at": "s.occurred_at + g * interval '1 second'",
            "recorded_at": "s.recorded_at + g * interval '1 second'",
        }
        select = ", ".join(overrides.get(c, f"s.{c}") for c in tx_columns)
        cursor.execute(
            f"INSERT INTO deposits_ledgertransaction ({', '.join(tx_columns)}) "
            f"SELECT {select} FROM deposits_ledgertransaction s, generate_series(1, %s) g "
            "WHERE s.id = %s",
            [entries, source.pk],
        )
        entry_columns = _columns(cursor, "deposits_entry")
        overrides = {
            "transaction_id": "t.id",
            "balance_after_minor": "e.balance_after_minor + g.n * e.amount_minor",
            "reference": "t.reference",
            "occurred_at": "t.occurred_at",
            "recorded_at": "t.recorded_at",
        }
        select = ", ".join(overrides.get(c, f"e.{c}") for c in entry_columns)
        cursor.execute(
            f"INSERT INTO deposits_entry ({', '.join(entry_columns)}) "
            f"SELECT {select} FROM ("
            "  SELECT id, reference, occurred_at, recorded_at,"
            "         substring(idempotency_key from 7)::bigint AS n"
            "  FROM deposits_ledgertransaction WHERE idempotency_key LIKE 'bench-%%'"
            ") t CROSS JOIN LATERAL (SELECT t.n) g(n) "
            "JOIN deposits_entry e ON e.transaction_id = %s ORDER BY t.id, e.id",
            [source.pk],
        )
        cursor.execute(
            "UPDATE deposits_account SET posted_minor = posted_minor + %s WHERE id = %s",
            [entries * source.amount_minor, account.pk],
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE deposits_entry; ANALYZE deposits_ledgertransaction")
    return time.monotonic() - started


def file_claims(world, count: int, now) -> float:  # type: ignore[no-untyped-def]
    from claims import services as claims
    from tests.dashboard_pages import file_claim

    started = time.monotonic()
    reasons = ["LATE_SHIPMENT", "FALSE_SHIPMENT", "COUNTERFEIT"]
    for n in range(count):
        at = now - timedelta(minutes=n * 7)
        claim = file_claim(
            world.partner, world.flagship, f"B{n:05d}", reasons[n % 3], 10_000 + n, at, "bench"
        )
        if n % 20 == 0:
            claims.claim_escalate(claim=claim, now=at + timedelta(minutes=1), place_hold=False)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim; ANALYZE claims_claimevent")
    return time.monotonic() - started


def roll_up(now) -> float:  # type: ignore[no-untyped-def]
    """What the nightly task (deposits.tasks.roll_up_ledgers) does, in this process."""
    from deposits import services

    started = time.monotonic()
    due: list[int] = []
    services.entry_rollups_due(dispatch=due.extend)
    for account_id in due:
        services.entry_rollup_advance(account_id=account_id, now=now)
    return time.monotonic() - started


def load_world():  # type: ignore[no-untyped-def]
    """The world an earlier run built (`--keep`), found by its references."""
    from django.contrib.auth import get_user_model

    from claims.models import Claim
    from partners.models import Partner
    from shops.models import Shop
    from tests.dashboard_pages import OWNER, World

    shops = {s.external_ref: s for s in Shop.objects.filter(external_ref__startswith="yj-")}
    flagship = shops["yj-flagship"]
    claims = {
        name: Claim.objects.get(shop=flagship, external_ref=ref)
        for name, ref in (
            ("due", "2207"),
            ("fresh", "3391"),
            ("review", "0815"),
            ("decided", "4410"),
        )
    }
    return World(
        owner=get_user_model().objects.get(username=OWNER[0]),
        partner=Partner.objects.get(name="Tmall"),
        flagship=flagship,
        home=shops["yj-home"],
        kids=shops["yj-kids"],
        insured=shops["yj-bags"],
        claims=claims,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(world, requests: int) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    from django.test import Client

    from tests.dashboard_pages import PAGES

    anonymous, client = Client(), Client()
    client.force_login(world.owner)
    targets: list[tuple[str, Client, str]] = [("/healthz (reference)", anonymous, "/healthz")]
    for page in PAGES:
        path = page.path(world)
        who = anonymous if page.name == "login" else client
        if page.form is not None:
            path = who.post(path, page.form)["Location"]
        targets.append((page.name, who, path))
    times: dict[str, list[float]] = {name: [] for name, _, _ in targets}
    for round_ in range(requests + 2):
        for name, who, path in targets:
            started = time.perf_counter()
            response = who.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (name, response.status_code)
            if round_ >= 2:  # two warm-up rounds
                times[name].append(elapsed)
    return {
        name: {
            "p50_ms": statistics.median(values),
            "p95_ms": percentile(values, 0.95),
            "max_ms": max(values),
        }
        for name, values in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--claims", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--keep", action="store_true", help="Measure the database as it is.")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a scratch PostgreSQL database named dd_bench_…")
    if not args.keep:
        recreate_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Count
    from django.utils import timezone

    settings.NOTIFICATION_EMAIL_ON_COMMIT = False
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    from claims.models import Claim
    from deposits.models import Entry
    from tests.dashboard_pages import build_world

    now = timezone.now()
    if args.keep:
        world = load_world()
        fill = {"ledger_s": 0.0, "claims_s": 0.0, "rollup_s": 0.0}
    else:
        call_command("migrate", verbosity=0)
        world = build_world(now=now)
        account = world.flagship.deposit_account
        fill = {"ledger_s": grow_ledger(account, args.entries)}
        fill["claims_s"] = file_claims(world, args.claims, now)
        fill["rollup_s"] = roll_up(now)
    account = world.flagship.deposit_account
    sizes = {
        "entries": Entry.objects.filter(account=account).count(),
        "claims": Claim.objects.filter(shop=world.flagship).aggregate(n=Count("id"))["n"],
    }
    results = measure(world, args.requests)

    print(
        f"\nshop: {sizes['entries']:,} ledger entries, {sizes['claims']:,} claims; "
        f"fill {fill['ledger_s']:.1f} s (ledger), {fill['claims_s']:.1f} s (claims), "
        f"{fill['rollup_s']:.1f} s (day totals); "
        f"{args.requests} requests per page\n"
    )
    print("| page | p50 ms | p95 ms | max ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, row in results.items():
        print(f"| {name} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {row['max_ms']:.1f} |")
    out = ROOT / "var" / "bench" / "dashboard_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "at": timezone.now().isoformat(),
                "host": platform.node(),
                "cpus": os.cpu_count(),
                "load_avg": os.getloadavg(),
                "sizes": sizes,
                "fill": fill,
                "requests": args.requests,
                "results": results,
            },
            indent=2,
        )
    )
    print(f"\nload average {os.getloadavg()}; written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

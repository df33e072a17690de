"""The ops overview (the admin's home) over 1,000,000 shops, against one COUNT(*) over the shops
measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_bench_overview \
        .venv/bin/python bench/overview_bench.py --shops 1000000 --rounds 5

The script DROPS and recreates that scratch database (its name must start with dd_bench),
migrates it and fills it the way bench/shortfall_bench.py does (`fill`: generate_series, 1%
short, 1% onboarding, 1% closed), with the audit triggers off during the fill
(`session_replication_role = replica`: a million audited inserts would take the better part of an
hour and are not what is measured). Then the shortfall scan opens the ~10,000 missing cases and
the daily snapshot is taken and backfilled, as beat would. Never point this at a real database.

Each round, timed with a warm connection:
  count   SELECT count(*) FROM shops_shop (the reference: the least any page that counts shops
          pays);
  plain   the admin index as it was (Unfold's template and no dashboard callback), the second
          reference: the admin frame and app list every admin home pays;
  page    the admin home rendered for a superuser (`admin.site.index` + template render), every
          section of the overview: money and shops (today's snapshot row), shortfalls, claims,
          insurers, waiting, outbox, the 90-day history;
and the selectors of each section alone (median), to show where the time goes. After the rounds,
once each: the live totals the page does not compute (the money and shop-state GROUP BYs over
every account and shop) and `daily_snapshot_take`, which computes them every 5 minutes in beat.
Target: page < 300 ms. Prints a Markdown table of medians, the plans of the two queries over all
accounts and shops, and writes var/bench/overview_bench.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import shortfall_bench  # noqa: E402  (the million-shop fill, reused)


def fill(shops: int) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        return shortfall_bench.fill(shops)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def prepare(now) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """What beat would have done: open the shortfall cases, take and backfill the snapshot."""
    from django.db import connection

    from deposits import services

    started = time.monotonic()
    opened = services.shortfall_cases_open_due(now=now)
    services.daily_snapshots_backfill(now=now)
    services.daily_snapshot_take(now=now)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {"opened": opened, "prepare_s": time.monotonic() - started}


def time_count() -> float:
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM shops_shop")
        cursor.fetchone()
    return time.monotonic() - started


def superuser():  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-ops", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def plain_index_template():  # type: ignore[no-untyped-def]
    """Unfold's own admin/index.html (the app list), which templates/admin/index.html replaces."""
    import unfold
    from django.template import engines

    path = Path(unfold.__file__).parent / "templates" / "admin" / "index.html"
    return engines["django"].from_string(path.read_text())


def time_page(user, *, plain=None) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """The admin home; with `plain` (Unfold's template, no dashboard callback) the admin index
    as it was before the overview: the second reference."""
    from django.conf import settings
    from django.contrib import admin
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    request.session = SessionStore()
    callback = settings.UNFOLD["DASHBOARD_CALLBACK"]
    if plain is not None:
        settings.UNFOLD["DASHBOARD_CALLBACK"], admin.site.index_template = None, plain
    try:
        started = time.monotonic()
        response = admin.site.index(request)
        response.render()
        elapsed = time.monotonic() - started
    finally:
        settings.UNFOLD["DASHBOARD_CALLBACK"], admin.site.index_template = callback, None
    assert response.status_code == 200
    assert (b'id="ops-overview"' in response.content) == (plain is None)
    return elapsed, len(response.content)


def time_sections(user, now) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from config import overview

    calls = {
        "money_and_shops": overview.latest_totals,
        "shortfalls": lambda: overview.shortfalls_by_age(now=now),
        "claims": lambda: overview.claims_by_status_and_due(now=now),
        "insurers": lambda: overview.insurer_exposure(now=now),
        "waiting": lambda: overview.requests_waiting_for(user, now=now),
        "outbox": lambda: overview.outbox_health(now=now),
        "history": lambda: overview.daily_history(now=now),
    }
    timings = {}
    for name, call in calls.items():
        started = time.monotonic()
        call()
        timings[name] = time.monotonic() - started
    return timings


def explain() -> dict[str, str]:
    from django.db import connection
    from django.db.models import Count, Sum

    from deposits.models import Account
    from shops.models import Shop

    plans = {}
    queries = {
        "money": Account.objects.filter(kind="DEPOSIT")
        .values("currency")
        .annotate(posted=Sum("posted_minor"), held=Sum("held_minor"), n=Count("id"))
        .order_by(),
        "shops": Shop.objects.values("status").annotate(n=Count("id")).order_by(),
    }
    with connection.cursor() as cursor:
        for name, qs in queries.items():
            sql, params = qs.query.sql_with_params()
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
            plans[name] = "\n".join(row[0] for row in cursor.fetchall())
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shops", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse the filled database")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://…/dd_bench_overview (a scratch database).")
    if not args.keep:
        shortfall_bench.recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    summary: dict = {"shops": args.shops}
    if not args.keep:
        call_command("migrate", verbosity=0)
        summary["fill_seconds"] = fill(args.shops)
        summary.update(prepare(timezone.now()))
        print(f"filled in {summary['fill_seconds']:.0f}s, prepared in {summary['prepare_s']:.0f}s")

    user = superuser()
    plain = plain_index_template()
    time_page(user)  # warm: imports, templates, the connection
    time_page(user, plain=plain)
    time_count()
    rounds = []
    for n in range(args.rounds):
        count_s = time_count()
        plain_s, _ = time_page(user, plain=plain)
        page_s, size = time_page(user)
        sections = time_sections(user, timezone.now())
        rounds.append(
            {"count_s": count_s, "plain_s": plain_s, "page_s": page_s, "bytes": size, **sections}
        )
        print(
            f"round {n + 1}: count(*) {count_s * 1000:.0f} ms · plain index "
            f"{plain_s * 1000:.0f} ms · page {page_s * 1000:.0f} ms · "
            + " · ".join(f"{k} {v * 1000:.0f}" for k, v in sections.items()),
            flush=True,
        )

    from deposits import selectors as deposit_selectors
    from deposits import services as deposit_services

    offline = {}
    for name, call in {
        "live_money_s": deposit_selectors.deposit_totals_by_currency,
        "live_shop_states_s": deposit_selectors.shop_states_by_currency,
        "snapshot_take_s": lambda: deposit_services.daily_snapshot_take(now=timezone.now()),
    }.items():
        started = time.monotonic()
        call()
        offline[name] = time.monotonic() - started
    summary["offline"] = offline

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    section_keys = [k for k in rounds[0] if k not in ("count_s", "plain_s", "page_s", "bytes")]
    summary.update(
        {
            "rounds": rounds,
            "median_count_ms": median("count_s") * 1000,
            "median_plain_ms": median("plain_s") * 1000,
            "median_page_ms": median("page_s") * 1000,
            "median_sections_ms": {k: median(k) * 1000 for k in section_keys},
            "plans": explain(),
            "host": platform.node(),
            "cpus": os.cpu_count(),
            "load_avg": os.getloadavg(),
        }
    )
    print()
    print("| measure | median |")
    print("| --- | --- |")
    count_ms = summary["median_count_ms"]
    print(f"| `SELECT count(*) FROM shops_shop` (reference) | {count_ms:.0f} ms |")
    plain_ms = summary["median_plain_ms"]
    print(f"| Unfold's plain admin index (reference), rendered | {plain_ms:.0f} ms |")
    print(f"| admin home (the overview), rendered | {summary['median_page_ms']:.0f} ms |")
    for key, value in summary["median_sections_ms"].items():
        print(f"| — section {key} | {value:.1f} ms |")
    for key, value in offline.items():
        print(f"| (not on the page) {key} | {value * 1000:.0f} ms |")
    for name, plan in summary["plans"].items():
        print(f"\n{name}:\n{plan}")
    out = ROOT / "var" / "bench" / "overview_bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()

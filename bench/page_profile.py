"""Where a dashboard page's time goes, on a database filled by bench/dashboard_bench.py: per page
the median wall time and the time spent in SQL round trips (Django's execute wrapper), the number
of queries, optionally the slowest statements (TOP=n) and a cProfile of three requests (PROF=1,
SORT=tottime|cumulative).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_pages_bench N=20 \\
        .venv/bin/python bench/page_profile.py [page names of tests/dashboard_pages.PAGES ...]

EXTRA="/shops/{flagship}/statement/?reference=BENCH-9990,..." adds pages by path (named extra0,
extra1, ...; {flagship} is the flagship shop's public id). TREE=/path measures another checkout
of the code (its own tests/dashboard_pages and views) against the same database.
"""

from __future__ import annotations

import cProfile
import importlib.util
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("TREE", str(HERE.parent)))
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
os.environ.setdefault("DEPOSIT_SANDBOX_PAYMENTS", "true")


def main() -> None:  # noqa: C901, PLR0912, PLR0915 - a script
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from tests.dashboard_pages import PAGES

    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    spec = importlib.util.spec_from_file_location("dashboard_bench", HERE / "dashboard_bench.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    world = bench.load_world()
    anonymous, client = Client(), Client()
    client.force_login(world.owner)
    only = sys.argv[1:]
    rounds = int(os.environ.get("N", "8"))
    sqls: list[tuple[float, str]] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sqls.append(((time.perf_counter() - started) * 1000, sql))

    targets = [("healthz", anonymous, "/healthz")]
    for page in PAGES:
        path = page.path(world)
        who = anonymous if page.name == "login" else client
        if page.form is not None:
            path = who.post(path, page.form)["Location"]
        targets.append((page.name, who, path))
    for n, path in enumerate(filter(None, os.environ.get("EXTRA", "").split(","))):
        targets.append((f"extra{n}", client, path.replace("{flagship}", world.pk("flagship"))))
    for name, who, path in targets:
        if only and name not in only:
            continue
        who.get(path)
        who.get(path)
        walls, in_sql, per_statement = [], [], {}  # type: ignore[var-annotated]
        for _ in range(rounds):
            sqls.clear()
            with connection.execute_wrapper(wrapper):
                started = time.perf_counter()
                response = who.get(path)
                walls.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (name, response.status_code)
            in_sql.append(sum(ms for ms, _ in sqls))
            for ms, sql in sqls:
                per_statement.setdefault(sql, []).append(ms)
        ordered = sorted(walls)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        print(
            f"{name:20s} wall p50 {statistics.median(walls):7.1f} p95 {p95:7.1f}  "
            f"sql p50 {statistics.median(in_sql):7.1f}  queries {len(sqls)}  {path}"
        )
        for sql, times in sorted(per_statement.items(), key=lambda kv: -statistics.median(kv[1]))[
            : int(os.environ.get("TOP", "0"))
        ]:
            print(f"    {statistics.median(times):7.1f} ms  {sql[:300]}")
        if os.environ.get("PROF"):
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(3):
                who.get(path)
            profile.disable()
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats(os.environ.get("SORT", "cumulative")).print_stats(35)
            print(out.getvalue())


if __name__ == "__main__":
    main()

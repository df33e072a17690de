"""Where a deduction through the API spends its time: round trips per request and a profile.

    .venv/bin/python bench/api_profile.py [--requests 300]

Runs against the database bench/api_bench.py prepared (dd_bench_api) with DEBUG off, in-process
through Django's test client (no network, no gunicorn), so the figures are the application's
own cost. Counts SQL statements sent by Django (BEGIN/COMMIT and the connection health check are
added by hand: psycopg2 sends them outside Django's cursor) and Redis commands.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update(
    DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dd_bench_api"),
    REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
    DJANGO_DEBUG="false",
    DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
    DJANGO_ALLOWED_HOSTS="testserver",
    DJANGO_SETTINGS_MODULE="config.settings",
    # INFO as in production: the request's log line is part of its cost (it goes to stderr).
    DJANGO_LOG_LEVEL="INFO",
)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    out = ROOT / "var" / "bench"
    key = (out / "key").read_text().strip()
    shops = (out / "shops.txt").read_text().split()
    client = Client()
    headers = {"Authorization": f"Bearer {key}", "X-Forwarded-Proto": "https"}
    body = '{"amount_minor":1,"currency":"CNY","reason":"bench","reference":"bench"}'

    def one(n: int) -> None:
        response = client.post(
            f"/api/v1/shops/{shops[n % len(shops)]}/deductions/",
            body,
            content_type="application/json",
            headers={**headers, "Idempotency-Key": f"profile-{uuid.uuid4()}"},
        )
        assert response.status_code == 201, response.content

    for n in range(20):  # warm up: connections, caches, last_used_at
        one(n)
    with CaptureQueriesContext(connection) as queries:
        one(0)
    print(f"SQL statements through Django's cursor for one deduction: {len(queries)}")
    for q in queries:
        print("   ", q["sql"][:150].replace("\n", " "))

    started = time.perf_counter()
    for n in range(args.requests):
        one(n)
    elapsed = time.perf_counter() - started
    print(f"\n{args.requests} requests in-process: {elapsed / args.requests * 1000:.2f} ms each")

    # CPU time, not the wall clock: on a shared host the wall clock is mostly waiting on
    # PostgreSQL and Redis, which hides where the worker's own CPU goes.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for n in range(args.requests):
        one(n)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()

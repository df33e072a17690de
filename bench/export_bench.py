"""Memory and time of the ledger-entries export (CSV and XLSX) as the number of rows grows.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_export_bench \
        .venv/bin/python bench/export_bench.py --rows 10000 100000

Migrates the database, registers one shop and funds it, then adds transactions of balancing
pairs of entries (one INSERT ... generate_series) until the ledger holds each requested number
of entries, and exports the whole entries list as a superuser through the admin's own export
view, consuming the response as a client would. Prints, per size and format, the Python heap's
peak during the export (tracemalloc), the file size and the time, then the process's maximum
RSS. Streamed, the peak stays flat as the rows grow.
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.utils import timezone  # noqa: E402

from deposits import services  # noqa: E402
from deposits.models import Entry  # noqa: E402


def _seed(target: int) -> None:
    now = timezone.now()
    if not Entry.objects.exists():
        _, account = services.shop_register(
            merchant_email="bench@example.com",
            merchant_name="Bench merchant",
            name="Bench shop",
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            category_codes=("apparel",),
            external_ref="bench-1",
            partner_id=None,
            currency="CNY",
            now=now,
        )
        services.deposit_top_up(
            account_id=account.pk,
            amount_minor=100,
            currency="CNY",
            payment_ref="BENCH-PAY-1",
            idempotency_key="bench-fund-1",
            now=now,
        )
    first = Entry.objects.order_by("id").first()
    other = Entry.objects.filter(transaction=first.transaction).exclude(pk=first.pk).first()
    missing = target - Entry.objects.count()
    missing -= missing % 2  # pairs, so each transaction sums to zero
    if missing <= 0:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH tx AS (
                INSERT INTO deposits_ledgertransaction (public_id, idempotency_key, fingerprint,
                    kind, status, error_code, account_id, amount_minor, currency, reason,
                    reference, occurred_at, recorded_at)
                SELECT gen_random_uuid(), 'bulk-' || gen_random_uuid(), 'bulk', 'TOP_UP',
                    'POSTED', '', %s, 12345, 'CNY', 'bulk', '', %s, %s
                FROM generate_series(1, %s)
                RETURNING id
            )
            INSERT INTO deposits_entry (transaction_id, account_id, bucket, amount_minor,
                currency, kind, reason, reference, occurred_at, recorded_at)
            SELECT tx.id, side.account_id, 'POSTED', side.amount, 'CNY', 'TOP_UP',
                'bulk row with some text', 'REF-' || tx.id, %s, %s
            FROM tx CROSS JOIN (VALUES (%s::bigint, 12345), (%s::bigint, -12345))
                AS side(account_id, amount)
            """,
            [first.account_id, now, now, missing // 2, now, now]
            + [first.account_id, other.account_id],
        )


def _export(action: str) -> tuple[int, int, float]:
    user = User.objects.filter(username="bench-exporter").first() or User.objects.create_superuser(
        "bench-exporter", "bench@example.com", secrets.token_urlsafe(16)
    )
    request = RequestFactory().get("/admin/deposits/entry/" + action.replace("_", "-") + "/")
    request.user = user
    model_admin = admin.site._registry[Entry]
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = getattr(model_admin, action)(request)
        size = sum(len(chunk) for chunk in response.streaming_content)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, size, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"{'entries':>9} {'format':>6} {'peak heap':>10} {'file':>10} {'time':>7}")
    for target in sorted(args.rows):
        _seed(target)
        count = Entry.objects.count()
        for action in (f"export_{name}" for name in args.formats):
            peak, size, seconds = _export(action)
            print(
                f"{count:>9} {action[7:]:>6} {peak / 2**20:>8.1f}MB "
                f"{size / 2**20:>8.1f}MB {seconds:>6.1f}s"
            )
    # The process's high-water mark (Linux: KiB): what the C side (psycopg, zlib) added too.
    print(
        f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}MB"
    )


if __name__ == "__main__":
    main()

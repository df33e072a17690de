"""What the audit triggers cost a write: tracked shop updates and ledger postings, triggers on/off.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_audit_bench \
        .venv/bin/python bench/audit_overhead.py --writes 1000 --rounds 3

Migrates the database, registers one shop, then alternates rounds with the pgtrigger triggers of
`shops_shop` and `deposits_account` enabled and disabled (ALTER TABLE ... DISABLE TRIGGER, by
name: the ledger's own triggers stay on), one process, one write per transaction. A shop update
changes its status (recorded: one event row per write). A posting is `deposit_deduct` of one fen:
it moves only the account's balance columns, which the trail does not snapshot, so the trigger's
WHEN clause is false and no event row is written. Prints medians in microseconds per write.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production settings, as the ledger benchmark runs them (DEBUG off: no query log).
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from deposits import services  # noqa: E402
from shops.models import Shop  # noqa: E402


def _audit_triggers(table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE %s",
            [table, "pgtrigger_%"],
        )
        return [row[0] for row in cursor.fetchall()]


def _set_triggers(enabled: bool) -> None:
    with connection.cursor() as cursor:
        for table in ("shops_shop", "deposits_account"):
            for name in _audit_triggers(table):
                verb = "ENABLE" if enabled else "DISABLE"
                cursor.execute(f'ALTER TABLE "{table}" {verb} TRIGGER "{name}"')


def _shop_updates(shop_id: int, writes: int) -> float:
    started = time.perf_counter()
    for k in range(writes):
        with transaction.atomic():
            Shop.objects.filter(pk=shop_id).update(status="ACTIVE" if k % 2 else "ONBOARDING")
    return (time.perf_counter() - started) / writes * 1e6


def _postings(account_id: int, writes: int, tag: str) -> float:
    started = time.perf_counter()
    for k in range(writes):
        services.deposit_deduct(
            account_id=account_id,
            amount_minor=1,
            currency="CNY",
            reason="bench",
            reference="bench",
            idempotency_key=f"{tag}-{k}",
            now=timezone.now(),
        )
    return (time.perf_counter() - started) / writes * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "the triggers exist on PostgreSQL only"
    call_command("migrate", verbosity=0)
    stamp = int(time.time())
    shop, account = services.shop_register(
        merchant_email=f"bench-{stamp}@example.com",
        merchant_name="Bench",
        name="Bench shop",
        shop_type="FLAGSHIP",
        trademark_status="REGISTERED",
        category_codes=["apparel"],
        external_ref=f"bench-{stamp}",
        now=timezone.now(),
    )
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=args.writes * args.rounds * 4,
        currency="CNY",
        payment_ref=f"bench-{stamp}",
        idempotency_key=f"bench-{stamp}",
        now=timezone.now(),
    )
    results: dict[tuple[str, bool], list[float]] = {}
    for r in range(args.rounds):
        for enabled in (True, False):
            _set_triggers(enabled)
            tag = f"{stamp}-{r}-{enabled}"
            results.setdefault(("shop status update", enabled), []).append(
                _shop_updates(shop.pk, args.writes)
            )
            results.setdefault(("ledger posting", enabled), []).append(
                _postings(account.pk, args.writes, tag)
            )
    _set_triggers(True)
    print("| write | with triggers (µs) | without (µs) | overhead |")
    print("|---|---:|---:|---:|")
    for what in ("shop status update", "ledger posting"):
        on = statistics.median(results[(what, True)])
        off = statistics.median(results[(what, False)])
        print(f"| {what} | {on:.0f} | {off:.0f} | {(on - off) / off * 100:+.1f}% |")


if __name__ == "__main__":
    main()

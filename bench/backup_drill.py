"""Backup and restore drill: a pg_dump taken while postings run restores to exactly the moment
of its snapshot, and the restored ledger passes `ledger_check`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dd_drill .venv/bin/python bench/backup_drill.py

1. Arrange `--shops` funded shops (new ones on every run).
2. Start `--writers` threads posting top-ups and deductions through the services, without pause.
3. While they run: open a REPEATABLE READ transaction, export its snapshot, count the ledger
   (transactions, entries, events, the sum of every account's balance) in that snapshot, and
   run `pg_dump -Fc --snapshot=<it>`, so the dump and the counts see the same instant.
4. Stop the writers; restore the dump into a new database with `pg_restore -j 2`.
5. Assert: the restored counts equal the snapshot's (to the row and to the fen), the source
   moved on meanwhile (the postings really ran during the dump), and `manage.py ledger_check`
   on the restored database exits 0.

Exit status 0 only when all of that holds. The restored database is dropped unless `--keep`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import psycopg2  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from common.errors import InsufficientFunds  # noqa: E402
from deposits import services as deposits  # noqa: E402
from partners import services as partners  # noqa: E402

COUNTS_SQL = {
    "ledger transactions": "SELECT count(*) FROM deposits_ledgertransaction",
    "ledger entries": "SELECT count(*) FROM deposits_entry",
    "events": "SELECT count(*) FROM partners_event",
    "sum of posted balances (minor)": "SELECT coalesce(sum(posted_minor), 0) FROM deposits_account",
    "sum of debts (minor)": "SELECT coalesce(sum(debt_minor), 0) FROM deposits_account",
}


def arrange(shops: int, run: str) -> list[int]:
    """Shops registered by a partner, so that every posting also writes outbox events."""
    now = timezone.now()
    partner = partners.partner_get_or_create(name="Drill marketplace")
    ids = []
    for n in range(shops):
        _shop, account = deposits.shop_register(
            merchant_email=f"drill-{run}-{n}@example.com",
            merchant_name=f"Drill merchant {n}",
            name=f"Drill shop {n}",
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            category_codes=["apparel"],
            external_ref=f"drill-{run}-{n}",
            partner_id=partner.pk,
            now=now,
        )
        deposits.deposit_top_up(
            account_id=account.pk,
            amount_minor=10**9,
            currency="CNY",
            payment_ref=f"drill-fund-{run}-{n}",
            idempotency_key=f"drill-fund-{run}-{n}",
            now=now,
        )
        ids.append(account.pk)
    return ids


def writer(account_ids: list[int], stop: threading.Event, n: int, posted: list[int]) -> None:
    count = 0
    try:
        while not stop.is_set():
            account_id = account_ids[(n + count) % len(account_ids)]
            key = f"drill-{uuid.uuid4().hex}"
            now = timezone.now()
            try:
                if count % 3:
                    deposits.deposit_deduct(
                        account_id=account_id,
                        amount_minor=1_50,
                        currency="CNY",
                        reason="drill",
                        reference=key,
                        idempotency_key=key,
                        now=now,
                    )
                else:
                    deposits.deposit_top_up(
                        account_id=account_id,
                        amount_minor=2_00,
                        currency="CNY",
                        payment_ref=key,
                        idempotency_key=key,
                        now=now,
                    )
            except InsufficientFunds:
                pass
            count += 1
    finally:
        posted[n] = count
        connections.close_all()


def counts(cursor) -> dict[str, int]:  # type: ignore[no-untyped-def]
    result = {}
    for name, sql in COUNTS_SQL.items():
        cursor.execute(sql)
        result[name] = int(cursor.fetchone()[0])
    return result


def dsn_for(database: str) -> dict[str, str]:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": str(settings["PORT"] or 5432),
        "user": settings["USER"] or "postgres",
        "dbname": database,
        **({"password": settings["PASSWORD"]} if settings["PASSWORD"] else {}),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the restored database")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("The drill needs PostgreSQL: set DATABASE_URL.")
        return 2
    source = connection.settings_dict["NAME"]
    run = uuid.uuid4().hex[:8]
    account_ids = arrange(args.shops, run)
    dsn = dsn_for(source)
    env = {**os.environ, "PGHOST": dsn["host"], "PGPORT": dsn["port"], "PGUSER": dsn["user"]}
    if "password" in dsn:
        env["PGPASSWORD"] = dsn["password"]

    stop = threading.Event()
    posted = [0] * args.writers
    threads = [
        threading.Thread(target=writer, args=(account_ids, stop, n, posted))
        for n in range(args.writers)
    ]
    for t in threads:
        t.start()
    time.sleep(1.0)  # the writers are posting before the snapshot is taken

    dump = Path(f"/tmp/deposit-desk-drill-{run}.dump")
    snapshot_conn = psycopg2.connect(**dsn)
    snapshot_conn.set_session(isolation_level="REPEATABLE READ")
    with snapshot_conn.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        at_snapshot = counts(cursor)
        started = time.perf_counter()
        subprocess.run(
            ["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(dump), source],
            check=True,
            env=env,
        )
        dump_seconds = time.perf_counter() - started
    snapshot_conn.rollback()
    snapshot_conn.close()
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    with connection.cursor() as cursor:
        after = counts(cursor)

    restored = f"{source}_restored_{run}"
    subprocess.run(["createdb", restored], check=True, env=env)
    started = time.perf_counter()
    subprocess.run(
        ["pg_restore", "-j", "2", "--no-owner", "-d", restored, str(dump)], check=True, env=env
    )
    restore_seconds = time.perf_counter() - started
    restored_conn = psycopg2.connect(**dsn_for(restored))
    with restored_conn.cursor() as cursor:
        in_restore = counts(cursor)
    restored_conn.close()
    settings = connection.settings_dict
    restored_url = (
        f"postgres://{settings['USER'] or 'postgres'}@{dsn['host']}:{dsn['port']}/{restored}"
    )
    check = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "ledger_check"],
        env={**os.environ, "DATABASE_URL": restored_url},
        capture_output=True,
        text=True,
    )

    print(f"postings during the drill: {sum(posted)} by {args.writers} writers")
    print(
        f"pg_dump: {dump_seconds:.2f} s, {dump.stat().st_size / 1e6:.1f} MB; "
        f"pg_restore -j 2: {restore_seconds:.2f} s"
    )
    print(f"{'':32}{'snapshot':>16}{'restored':>16}{'source after':>16}")
    for name in COUNTS_SQL:
        print(f"{name:32}{at_snapshot[name]:>16}{in_restore[name]:>16}{after[name]:>16}")
    print("ledger_check on the restore:", check.stdout.strip().splitlines()[-1:] or check.stderr)
    dump.unlink(missing_ok=True)
    if not args.keep:
        subprocess.run(["dropdb", restored], check=True, env=env)

    same = in_restore == at_snapshot
    moved_on = after["ledger transactions"] > at_snapshot["ledger transactions"]
    ok = same and moved_on and check.returncode == 0
    print("OK" if ok else f"FAILED (same={same}, moved_on={moved_on}, check={check.returncode})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

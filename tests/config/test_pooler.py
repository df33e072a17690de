"""The app behind PgBouncer in transaction pooling mode (DATABASE_POOLER=pgbouncer): a client
holds a server connection for one transaction only, so nothing may rely on the session.

The source checks run everywhere; the pooled-lock tests run in CI's PgBouncer step, where
DATABASE_URL goes through a PgBouncer (.ci/run), and skip otherwise with that reason."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from config.env import behind_pooler

ROOT = Path(__file__).resolve().parents[2]
APPS = ("common", "config", "approvals", "partners", "shops", "deposits", "insurance", "claims")
POOLED = os.environ.get("DATABASE_POOLER") == "pgbouncer"

# What breaks under transaction pooling: a lock or a setting kept by the session would stay on
# a server connection the next client gets, or be gone when this client's next transaction
# lands on another one.
SESSION_STATE = {
    "session-level advisory lock (use pg_advisory_xact_lock)": re.compile(
        r"pg_(try_)?advisory_lock(_shared)?\s*\(", re.I
    ),
    "LISTEN/NOTIFY channel (a listener needs its own session)": re.compile(r"\bLISTEN\s+\w", re.I),
    "a cursor held across transactions": re.compile(r"\bWITH\s+HOLD\b", re.I),
    "SET without LOCAL (use SET LOCAL or set_config(..., true))": re.compile(
        r"[\"'`]\s*SET\s+(?!LOCAL\b|CONSTRAINTS\b)(SESSION\s+)?[a-z_]+\s*(=|TO\b)", re.I
    ),
}


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*")):
            if path.suffix in (".py", ".sql") and "migrations" not in path.parts:
                yield path


def test_no_code_keeps_state_in_the_database_session():
    found = [
        f"{path.relative_to(ROOT)}: {what}"
        for path in _sources()
        for what, pattern in SESSION_STATE.items()
        if pattern.search(path.read_text())
    ]
    assert found == []


def test_the_check_would_catch_each_kind():
    samples = {
        "session-level advisory lock (use pg_advisory_xact_lock)": "SELECT pg_advisory_lock(42)",
        "LISTEN/NOTIFY channel (a listener needs its own session)": "LISTEN ledger_posted",
        "a cursor held across transactions": "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "SET without LOCAL (use SET LOCAL or set_config(..., true))": '"SET lock_timeout = 50"',
    }
    for what, sample in samples.items():
        assert SESSION_STATE[what].search(sample), what
    assert not SESSION_STATE["SET without LOCAL (use SET LOCAL or set_config(..., true))"].search(
        '"SET LOCAL lock_timeout = 50"'
    )


def test_behind_pgbouncer_django_uses_no_server_side_cursor():
    assert behind_pooler({"NAME": "x"}, "pgbouncer")["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "DISABLE_SERVER_SIDE_CURSORS" not in behind_pooler({"NAME": "x"}, "none")


pooled = [
    pytest.mark.skipif(not POOLED, reason="runs through PgBouncer only (DATABASE_POOLER unset)"),
    pytest.mark.postgres(reason="PgBouncer pools PostgreSQL connections"),
]


def _pgbouncer_console(sql: str) -> list[tuple]:
    """PgBouncer's admin console (the virtual database `pgbouncer`), as the test's own user."""
    import psycopg2

    db = settings.DATABASES["default"]
    console = psycopg2.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"],
        dbname="pgbouncer",
    )
    try:
        console.autocommit = True  # the console knows no BEGIN
        with console.cursor() as cursor:
            cursor.execute(sql)
            columns = [c.name for c in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        console.close()


@pytest.mark.django_db
class TestThroughPgBouncer:
    pytestmark = pooled

    def test_the_run_really_goes_through_pgbouncer_in_transaction_mode(self):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_database()")
            (name,) = cursor.fetchone()

        pools = {p["database"]: p for p in _pgbouncer_console("SHOW POOLS")}

        assert pools[name]["pool_mode"] == "transaction"
        assert settings.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True


@pytest.mark.django_db(transaction=True)
class TestTransactionLevelAdvisoryLocks:
    """pg_advisory_xact_lock is held by the transaction, which PgBouncer keeps on one server
    connection from BEGIN to COMMIT: it excludes exactly as on a direct connection, and goes
    with the COMMIT, so no pooled connection carries it on to the next client."""

    pytestmark = pooled

    def test_a_second_transaction_waits_for_the_first_to_commit(self):
        key = 7_160_516
        held, release = threading.Event(), threading.Event()
        seen: dict[str, object] = {}

        def first() -> None:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
                    held.set()
                    release.wait(30)
            finally:
                connection.close()

        def second() -> None:
            try:
                held.wait(30)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
                    seen["while_held"] = cursor.fetchone()[0]
                release.set()
                holder.join(30)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
                    seen["after_commit"] = cursor.fetchone()[0]
            finally:
                connection.close()

        holder = threading.Thread(target=first)
        other = threading.Thread(target=second)
        holder.start()
        other.start()
        other.join(60)
        release.set()
        holder.join(30)

        assert seen == {"while_held": False, "after_commit": True}

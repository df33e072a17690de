"""The periodic scan: set-based, then one evaluation per shop with work due."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import structlog
from django.db import connection, transaction

from deposits.services.shortfall.evaluate import (
    ladder_plan,
    schedule,
)

log = structlog.get_logger(__name__)

# The shortfall of one account row (alias `a`): the coverage rule's SQL function
# (deposits/sql/coverage_v1.sql; on SQLite the Python rule under the same name, deposits.apps).
SHORTFALL_SQL = (
    "deposits_shortfall_v1(a.required_minor, a.posted_minor, a.held_minor, a.guaranteed_minor, "
    "a.debt_minor)"
)

SCAN_BATCH = 1000


@dataclass
class ScanResult:
    opened: int = 0
    candidates: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _db_datetime(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def open_due_sql(vendor: str) -> str:
    """The statement of `shortfall_cases_open_due` (params: opened_at, plan, next_due_at,
    next_reminder_at)."""
    json_param = "%s::jsonb" if vendor == "postgresql" else "%s"
    return f"""
        INSERT INTO deposits_shortfallcase (
            shop_id, account_id, status, currency, opened_at, amount_at_open_minor, amount_minor,
            required_at_open_minor, available_at_open_minor, posted_at_open_minor,
            guaranteed_at_open_minor, debt_at_open_minor, plan, step, reminded, next_due_at,
            next_reminder_at, announced_at, resolved_at, resolution, resolution_note,
            resolved_by_id
        )
        SELECT a.shop_id, a.id, 'OPEN', a.currency, %s, {SHORTFALL_SQL}, {SHORTFALL_SQL},
               a.required_minor, a.posted_minor - a.held_minor, a.posted_minor,
               a.guaranteed_minor, a.debt_minor, {json_param}, 0, 0, %s, %s, NULL, NULL, '', '',
               NULL
          FROM deposits_account a
          JOIN shops_shop s ON s.id = a.shop_id
         WHERE a.kind = 'DEPOSIT'
           AND s.went_live_at IS NOT NULL
           AND s.closed_at IS NULL
           AND {SHORTFALL_SQL} > 0
           AND NOT EXISTS (
               SELECT 1 FROM deposits_shortfallcase c
                WHERE c.shop_id = a.shop_id AND c.status = 'OPEN'
           )
         ORDER BY a.shop_id
        ON CONFLICT (shop_id) WHERE status = 'OPEN' DO NOTHING
    """


def shortfall_cases_open_due(*, now: datetime) -> int:
    """Open a case for every live shop that is short and has none, in one statement.

    No account lock: the partial unique index decides, so a concurrent scan or evaluation that
    opened the same shop's case first wins and this row is skipped (ON CONFLICT DO NOTHING). Rows
    are inserted in shop order so two concurrent scans wait on each other instead of deadlocking.
    The cases are announced and get their first step from the per-shop evaluation that follows.
    """
    plan = ladder_plan(now=now)
    next_due, next_reminder = schedule(plan, 0, 0)
    sql = open_due_sql(connection.vendor)
    params = [
        _db_datetime(now),
        json.dumps(plan),
        _db_datetime(next_due),
        _db_datetime(next_reminder),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


_CANDIDATES_WHERE = f"""
      FROM deposits_shortfallcase c
      JOIN deposits_account a ON a.id = c.account_id
      JOIN shops_shop s ON s.id = c.shop_id
     WHERE c.status = 'OPEN'
       AND (c.announced_at IS NULL
            OR c.next_due_at <= %(now)s
            OR c.next_reminder_at <= %(now)s
            OR s.closed_at IS NOT NULL
            OR {SHORTFALL_SQL} <= 0
            OR {SHORTFALL_SQL} <> c.amount_minor)
"""
# Shops whose open case has work: to announce, a step or reminder due, coverage restored, the
# shop closed, or the amount changed. Whole set (streamed) or one keyset page.
CANDIDATES_SQL = f"SELECT c.shop_id {_CANDIDATES_WHERE} ORDER BY c.shop_id"
CANDIDATES_PAGE_SQL = (
    f"SELECT c.shop_id {_CANDIDATES_WHERE} AND c.shop_id > %(after)s "
    "ORDER BY c.shop_id LIMIT %(limit)s"
)


def shortfall_candidates(
    *, now: datetime, after_shop_id: int = 0, limit: int = SCAN_BATCH
) -> list[int]:
    """One page of candidate shop ids after `after_shop_id` (keyset pagination)."""
    params = {"now": _db_datetime(now), "after": after_shop_id, "limit": limit}
    with connection.cursor() as cursor:
        cursor.execute(CANDIDATES_PAGE_SQL, params)
        return [row[0] for row in cursor.fetchall()]


def _candidate_batches(now: datetime, batch_size: int) -> Iterator[list[int]]:
    """Every candidate, a batch at a time, so memory stays flat whatever the number of shops.

    PostgreSQL: one statement through a server-side cursor (one pass over the open cases; keyset
    pages would re-read what follows each page). SQLite: keyset pages, since the evaluations
    that a batch triggers write the same table on the same connection. Behind PgBouncer in
    transaction mode (DISABLE_SERVER_SIDE_CURSORS) keyset pages too: the cursor, declared in
    autocommit, lives on one server connection and the next fetch may be sent to another
    ("cursor does not exist"; Django's chunked_cursor does not check the setting itself).
    """
    if connection.vendor == "postgresql" and not connection.settings_dict.get(
        "DISABLE_SERVER_SIDE_CURSORS"
    ):
        with connection.chunked_cursor() as cursor:
            cursor.execute(CANDIDATES_SQL, {"now": _db_datetime(now)})
            while rows := cursor.fetchmany(batch_size):
                yield [row[0] for row in rows]
        return
    after = 0
    while ids := shortfall_candidates(now=now, after_shop_id=after, limit=batch_size):
        yield ids
        after = ids[-1]


def shortfall_scan(
    *, now: datetime, dispatch: Callable[[list[int]], None], batch_size: int = SCAN_BATCH
) -> ScanResult:
    """The periodic safety net: open the missing cases, then hand every shop with work due to
    `dispatch` in batches (Celery: one task per shop)."""
    result = ScanResult(opened=shortfall_cases_open_due(now=now))
    for ids in _candidate_batches(now, batch_size):
        dispatch(ids)
        result.candidates += len(ids)
    return result

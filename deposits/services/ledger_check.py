"""Recompute every ledger invariant from the entries and report each difference.

Each check is one set-based SQL statement (portable between PostgreSQL and SQLite), so the check
scales with the database, not with a Python loop. A run is recorded as a LedgerCheckRun; a failed
run is logged at ERROR and mailed to the admins, and shows in red in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import structlog
from django.core.mail import mail_admins
from django.db import connection
from django.utils import timezone

from deposits.models import LedgerCheckRun

log = structlog.get_logger(__name__)
MAX_ROWS_PER_CHECK = 20

CHECKS: list[tuple[str, str]] = [
    (
        "transactions_balance",
        """SELECT transaction_id, currency, SUM(amount_minor) FROM deposits_entry
           GROUP BY transaction_id, currency HAVING SUM(amount_minor) <> 0""",
    ),
    (
        "posted_transactions_have_two_entries_or_none",
        """SELECT t.id, COUNT(e.id) FROM deposits_ledgertransaction t
           LEFT JOIN deposits_entry e ON e.transaction_id = t.id
           GROUP BY t.id, t.status HAVING (t.status = 'POSTED' AND COUNT(e.id) = 1)
               OR (t.status = 'FAILED' AND COUNT(e.id) > 0)""",
    ),
    (
        "entry_currency_matches_account",
        """SELECT e.id FROM deposits_entry e JOIN deposits_account a ON a.id = e.account_id
           WHERE e.currency <> a.currency""",
    ),
    (
        "cached_posted_equals_entries",
        """SELECT a.id, a.posted_minor, COALESCE(SUM(e.amount_minor), 0)
           FROM deposits_account a
           LEFT JOIN deposits_entry e ON e.account_id = a.id AND e.bucket = 'POSTED'
           WHERE a.kind = 'DEPOSIT'
           GROUP BY a.id, a.posted_minor
           HAVING a.posted_minor <> COALESCE(SUM(e.amount_minor), 0)""",
    ),
    (
        "cached_debt_equals_entries",
        """SELECT a.id, a.debt_minor, COALESCE(-SUM(e.amount_minor), 0)
           FROM deposits_account a
           LEFT JOIN deposits_entry e ON e.account_id = a.id AND e.bucket = 'DEBT'
           WHERE a.kind = 'DEPOSIT'
           GROUP BY a.id, a.debt_minor
           HAVING a.debt_minor <> COALESCE(-SUM(e.amount_minor), 0)""",
    ),
    (
        "cached_held_equals_active_holds",
        """SELECT a.id, a.held_minor, COALESCE(SUM(h.amount_minor), 0)
           FROM deposits_account a
           LEFT JOIN deposits_hold h ON h.account_id = a.id AND h.status = 'ACTIVE'
           WHERE a.kind = 'DEPOSIT'
           GROUP BY a.id, a.held_minor
           HAVING a.held_minor <> COALESCE(SUM(h.amount_minor), 0)""",
    ),
    (
        "balance_after_chain",
        """SELECT id, account_id, bucket FROM (
             SELECT e.id, e.account_id, e.bucket, e.balance_after_minor,
                    SUM(e.amount_minor) OVER (PARTITION BY e.account_id, e.bucket ORDER BY e.id
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
             FROM deposits_entry e JOIN deposits_account a ON a.id = e.account_id
             WHERE a.kind = 'DEPOSIT') chain
           WHERE balance_after_minor IS NULL OR balance_after_minor <> running""",
    ),
    (
        "cached_guaranteed_equals_guarantees_in_coverage",
        """SELECT a.id, a.guaranteed_minor, COALESCE(SUM(g.amount_minor), 0)
           FROM deposits_account a
           LEFT JOIN deposits_guarantee g ON g.account_id = a.id AND g.in_coverage
           WHERE a.kind = 'DEPOSIT'
           GROUP BY a.id, a.guaranteed_minor
           HAVING a.guaranteed_minor <> COALESCE(SUM(g.amount_minor), 0)""",
    ),
    (
        "no_negative_available_or_debt",
        """SELECT id FROM deposits_account
           WHERE posted_minor < held_minor OR held_minor < 0 OR debt_minor < 0""",
    ),
    (
        "system_accounts_keep_no_cached_balance",
        """SELECT id FROM deposits_account WHERE kind = 'SYSTEM'
           AND (posted_minor <> 0 OR held_minor <> 0 OR debt_minor <> 0)""",
    ),
    (
        "holds_resolved_exactly_once",
        """SELECT h.id, h.status, COUNT(t.id) FROM deposits_hold h
           LEFT JOIN deposits_ledgertransaction t ON t.hold_id = h.id AND t.status = 'POSTED'
                AND t.kind IN ('HOLD_CAPTURE', 'HOLD_RELEASE', 'HOLD_EXPIRY')
           GROUP BY h.id, h.status
           HAVING (h.status = 'ACTIVE' AND COUNT(t.id) <> 0)
               OR (h.status <> 'ACTIVE' AND COUNT(t.id) <> 1)""",
    ),
    (
        "captured_amount_equals_capture_entries",
        """SELECT h.id, h.captured_minor, COALESCE(-SUM(e.amount_minor), 0) FROM deposits_hold h
           LEFT JOIN deposits_ledgertransaction t ON t.hold_id = h.id AND t.status = 'POSTED'
                AND t.kind = 'HOLD_CAPTURE'
           LEFT JOIN deposits_entry e ON e.transaction_id = t.id AND e.account_id = h.account_id
           GROUP BY h.id, h.captured_minor
           HAVING h.captured_minor <> COALESCE(-SUM(e.amount_minor), 0)""",
    ),
]


@dataclass
class LedgerCheckResult:
    ok: bool
    summary: str
    problems: list[dict[str, object]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    run: LedgerCheckRun | None = None


def _count(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def ledger_check_run(
    *, now: datetime | None = None, record: bool = True, max_rows: int = MAX_ROWS_PER_CHECK
) -> LedgerCheckResult:
    """Run every check; each failing one lists up to `max_rows` offending rows (reconciliation
    asks for more, since each row becomes an item to work)."""
    started = now or timezone.now()
    problems: list[dict[str, object]] = []
    with connection.cursor() as cursor:
        for name, sql in CHECKS:
            cursor.execute(sql)
            rows = cursor.fetchmany(max_rows)
            if rows:
                problems.append({"check": name, "examples": [list(map(str, r)) for r in rows]})
    counts = {
        "transactions": _count("SELECT COUNT(*) FROM deposits_ledgertransaction"),
        "entries": _count("SELECT COUNT(*) FROM deposits_entry"),
        "accounts": _count("SELECT COUNT(*) FROM deposits_account WHERE kind = 'DEPOSIT'"),
        "holds": _count("SELECT COUNT(*) FROM deposits_hold"),
    }
    ok = not problems
    summary = (
        f"ledger_check {'OK' if ok else 'FAILED'}: {len(CHECKS)} checks, "
        f"{len(problems)} failing; {counts['transactions']} transactions, "
        f"{counts['entries']} entries, {counts['accounts']} deposit accounts, "
        f"{counts['holds']} holds"
    )
    result = LedgerCheckResult(ok=ok, summary=summary, problems=problems, counts=counts)
    if record:
        result.run = LedgerCheckRun.objects.create(
            ok=ok,
            summary=summary,
            problems=problems,
            started_at=started,
            finished_at=timezone.now(),
        )
    if not ok:
        log.error("ledger_check_failed", summary=summary, problems=problems)
        mail_admins("Deposit Desk: ledger check FAILED", f"{summary}\n\n{problems}")
    return result

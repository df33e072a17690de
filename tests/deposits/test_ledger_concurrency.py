"""Races against real PostgreSQL: threads, each with its own connection, hitting one account.

These prove the locking, not the arithmetic: on SQLite they would pass for the wrong reason.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from common.errors import DomainError, HoldNotActive, InsufficientFunds
from deposits import services
from deposits.models import Entry, Hold, LedgerTransaction
from tests.factories import fund, make_shop

pytestmark = [
    pytest.mark.postgres(reason="row locks under concurrent threads"),
    pytest.mark.django_db(transaction=True),
]


# PostgreSQL's default max_connections is 100 (3 kept for superusers): a thread holds one
# connection, so more callables than this share threads instead of opening more connections.
MAX_THREADS = 64


def run_concurrently(fns: list[Callable[[], Any]]) -> list[Any]:
    """Start up to MAX_THREADS threads at the same moment, each running its share of the
    callables back to back; return each callable's result or exception, in order."""
    width = min(len(fns), MAX_THREADS)
    barrier = threading.Barrier(width)
    results: list[Any] = [None] * len(fns)

    def worker(first: int) -> None:
        try:
            barrier.wait()
            for index in range(first, len(fns), width):
                try:
                    results[index] = fns[index]()
                except Exception as exc:  # collected and asserted by the test
                    results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(width)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


class TestConcurrentDeductions:
    def test_64_concurrent_deductions_never_overdraw_and_the_ledger_stays_exact(self, now):
        _, account = make_shop(now=now)
        fund(account, 40 * 1_000, now=now)  # room for exactly 40 of the 64 deductions

        def deduction(i: int) -> Callable[[], Any]:
            return lambda: services.deposit_deduct(
                account_id=account.pk,
                amount_minor=1_000,
                currency="CNY",
                reason="late shipment",
                reference=f"O-{i}",
                idempotency_key=f"race-{i}",
                now=now,
            )

        results = run_concurrently([deduction(i) for i in range(64)])

        outcomes = Counter(type(r).__name__ for r in results)
        assert outcomes == {"PostingResult": 40, "InsufficientFunds": 24}, results
        account.refresh_from_db()
        assert (account.posted_minor, account.held_minor) == (0, 0)
        debits = Entry.objects.filter(account=account, kind="DEDUCTION")
        assert debits.count() == 40
        failed = LedgerTransaction.objects.filter(account=account, status="FAILED")
        assert set(failed.values_list("error_code", flat=True)) == {"insufficient_funds"}
        assert services.ledger_check_run(record=False).ok


def race_capture_with_expiry(hold_id: int, capture_key: str, at: datetime) -> list[Any]:
    return run_concurrently(
        [
            lambda: services.hold_capture(hold_id=hold_id, idempotency_key=capture_key, now=at),
            lambda: services.hold_expire(hold_id=hold_id, now=at),
        ]
    )


class TestHoldResolutionRaces:
    def test_a_capture_racing_the_expiry_sweeper_resolves_the_hold_exactly_once(self, now):
        for attempt in range(10):
            _, account = make_shop(now=now)
            fund(account, 1_000, now=now)
            hold = services.hold_place(
                account_id=account.pk,
                amount_minor=600,
                currency="CNY",
                reason="claim",
                reference=f"C-{attempt}",
                expires_at=now + timedelta(hours=1),
                idempotency_key=f"h-{attempt}",
                now=now,
            )
            later = now + timedelta(hours=2)

            capture, expiry = race_capture_with_expiry(hold.pk, f"c-{attempt}", later)

            hold.refresh_from_db()
            account.refresh_from_db()
            if isinstance(capture, Hold):
                assert expiry is False and hold.status == "CAPTURED"
                assert account.posted_minor == 400
            else:
                assert isinstance(capture, HoldNotActive) and expiry is True
                assert hold.status == "EXPIRED" and account.posted_minor == 1_000
            assert account.held_minor == 0
            resolutions = LedgerTransaction.objects.filter(
                hold=hold, status="POSTED", kind__in=["HOLD_CAPTURE", "HOLD_EXPIRY"]
            )
            assert resolutions.count() == 1
        assert services.ledger_check_run(record=False).ok


class TestConcurrentReplays:
    def test_100_concurrent_replays_of_one_key_make_one_posting(self, now):
        _, account = make_shop(now=now)
        fund(account, 10_000, now=now)

        def replay() -> Any:
            return services.deposit_deduct(
                account_id=account.pk,
                amount_minor=700,
                currency="CNY",
                reason="counterfeit",
                reference="O-1",
                idempotency_key="same-key",
                now=now,
            )

        results = run_concurrently([replay] * 100)

        errors = [r for r in results if isinstance(r, BaseException)]
        assert errors == []
        assert len({r.transaction.pk for r in results}) == 1
        assert sum(1 for r in results if not r.replayed) == 1
        account.refresh_from_db()
        assert account.posted_minor == 9_300
        assert services.ledger_check_run(record=False).ok

    def test_concurrent_replays_of_a_refused_key_all_see_the_same_refusal(self, now):
        _, account = make_shop(now=now)
        fund(account, 100, now=now)

        results = run_concurrently(
            [
                lambda: services.deposit_deduct(
                    account_id=account.pk,
                    amount_minor=700,
                    currency="CNY",
                    reason="counterfeit",
                    reference="O-1",
                    idempotency_key="refused",
                    now=now,
                )
            ]
            * 20
        )

        assert all(isinstance(r, InsufficientFunds) for r in results), results
        assert LedgerTransaction.objects.filter(idempotency_key="refused").count() == 1


class TestConcurrentMixedOperations:
    def test_top_ups_holds_and_deductions_interleaved_keep_every_invariant(self, now):
        _, account = make_shop(now=now)
        fund(account, 5_000, now=now)

        def op(i: int) -> Callable[[], Any]:
            kind = i % 4
            if kind == 0:
                return lambda: services.deposit_top_up(
                    account_id=account.pk,
                    amount_minor=300,
                    currency="CNY",
                    payment_ref=f"P-{i}",
                    idempotency_key=f"t-{i}",
                    now=now,
                )
            if kind == 1:
                return lambda: services.hold_place(
                    account_id=account.pk,
                    amount_minor=400,
                    currency="CNY",
                    reason="claim",
                    reference=f"C-{i}",
                    expires_at=now + timedelta(days=1),
                    idempotency_key=f"h-{i}",
                    now=now,
                )
            return lambda: services.deposit_deduct(
                account_id=account.pk,
                amount_minor=350,
                currency="CNY",
                reason="late",
                reference=f"O-{i}",
                idempotency_key=f"d-{i}",
                now=now,
                allow_debt=(kind == 3),
            )

        results = run_concurrently([op(i) for i in range(48)])

        unexpected = [
            r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)
        ]
        assert unexpected == []
        check = services.ledger_check_run(record=False)
        assert check.ok, check.problems

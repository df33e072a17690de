"""Races across services that lock the same account through deposits.locks: threads against
real PostgreSQL, each with its own connection. One serial order must explain every outcome,
and the ledger must stay exact."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from common.errors import HoldNotActive, WouldCauseShortfall
from deposits import services
from deposits.models import Guarantee, Hold, LedgerTransaction
from tests.deposits.test_ledger_concurrency import run_concurrently
from tests.factories import fund, make_shop

pytestmark = [
    pytest.mark.postgres(reason="row locks under concurrent threads"),
    pytest.mark.django_db(transaction=True),
]

YUAN = 100


def race_capture_with_sweep(hold_id: int, key: str, at: datetime) -> list[Any]:
    return run_concurrently(
        [
            lambda: services.hold_capture(hold_id=hold_id, idempotency_key=key, now=at),
            lambda: services.holds_expire_due(now=at),
        ]
    )


def race_cash_with_policy(account_id: int, source_ref: str, at: datetime) -> list[Any]:
    return run_concurrently(
        [
            lambda: services.deposit_withdraw(
                account_id=account_id,
                amount_minor=20_000 * YUAN,
                currency="CNY",
                idempotency_key=f"w-{source_ref}",
                now=at,
            ),
            lambda: services.guarantee_withdraw(source_ref=source_ref, reason="退保", now=at),
        ]
    )


class TestHoldCaptureRacingTheSweeper:
    def test_the_hold_is_captured_or_expired_exactly_once(self, now):
        for attempt in range(8):
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

            capture, swept = race_capture_with_sweep(hold.pk, f"c-{attempt}", later)

            hold.refresh_from_db()
            account.refresh_from_db()
            if isinstance(capture, Hold):
                assert swept == 0 and hold.status == "CAPTURED" and account.posted_minor == 400
            else:
                assert isinstance(capture, HoldNotActive), capture
                assert swept == 1 and hold.status == "EXPIRED" and account.posted_minor == 1_000
            assert account.held_minor == 0
            resolutions = LedgerTransaction.objects.filter(
                hold=hold, status="POSTED", kind__in=["HOLD_CAPTURE", "HOLD_EXPIRY"]
            )
            assert resolutions.count() == 1
        assert services.ledger_check_run(record=False).ok


class TestGuaranteeWithdrawRacingACashWithdrawal:
    def test_the_cash_withdrawal_sees_the_coverage_before_or_after_never_between(self, now):
        """60,000 cash and a 10,000 policy against a 50,000 requirement: 20,000 may be withdrawn
        while the policy stands, only 10,000 once it is withdrawn."""
        for attempt in range(8):
            _, account = make_shop(now=now - timedelta(days=1))
            fund(account, 60_000 * YUAN, now=now - timedelta(days=1))
            services.guarantee_register(
                account_id=account.pk,
                amount_minor=10_000 * YUAN,
                currency="CNY",
                valid_from=now - timedelta(days=1),
                source_kind=Guarantee.SourceKind.INSURANCE_POLICY,
                source_ref=f"insurance_policy:{attempt}",
                now=now - timedelta(days=1),
            )

            cash, policy = race_cash_with_policy(account.pk, f"insurance_policy:{attempt}", now)

            account.refresh_from_db()
            assert isinstance(policy, Guarantee) and policy.status == "WITHDRAWN", policy
            assert account.guaranteed_minor == 0
            if isinstance(cash, WouldCauseShortfall):  # the policy went first
                assert account.posted_minor == 60_000 * YUAN and account.shortfall_minor == 0
            else:  # the cash went first, then the policy: the shop is short by the policy
                assert account.posted_minor == 40_000 * YUAN, cash
                assert account.shortfall_minor == 10_000 * YUAN
        assert services.ledger_check_run(record=False).ok


class TestGuaranteeShrinkRacingDeductions:
    def test_the_cached_guaranteed_balance_ends_at_the_last_amount_and_no_deduction_is_lost(
        self, now
    ):
        _, account = make_shop(now=now - timedelta(days=1))
        fund(account, 50_000 * YUAN, now=now - timedelta(days=1))
        services.guarantee_register(
            account_id=account.pk,
            amount_minor=10_000 * YUAN,
            currency="CNY",
            valid_from=now - timedelta(days=1),
            source_kind=Guarantee.SourceKind.INSURANCE_POLICY,
            source_ref="insurance_policy:race",
            now=now - timedelta(days=1),
        )
        deductions = [
            (
                lambda i=i: services.deposit_deduct(
                    account_id=account.pk,
                    amount_minor=100 * YUAN,
                    currency="CNY",
                    reason="late shipment",
                    reference=f"O-{i}",
                    idempotency_key=f"d-{i}",
                    now=now,
                )
            )
            for i in range(16)
        ]
        shrink = [
            lambda: services.guarantee_set_amount(
                source_ref="insurance_policy:race",
                amount_minor=6_000 * YUAN,
                reason="advance A-1",
                now=now,
            )
        ]

        results = run_concurrently(deductions[:8] + shrink + deductions[8:])

        assert not [r for r in results if isinstance(r, Exception)], results
        account.refresh_from_db()
        assert account.posted_minor == (50_000 - 16 * 100) * YUAN
        assert account.guaranteed_minor == 6_000 * YUAN
        assert services.ledger_check_run(record=False).ok

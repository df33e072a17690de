"""Two supervisors approving one four-eyes request at the same moment, with real threads on
PostgreSQL: the request's row lock serialises them, the action is carried out once, the second
is told the request is already decided. And one maker's adjustments made at once cannot both
slip under the daily limit."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from approvals import services as four_eyes
from approvals.models import FourEyesRequest, RequestStatus
from common.errors import InvalidTransition
from deposits import services
from deposits.models import Account, LedgerTransaction
from tests.approvals.helpers import in_role
from tests.factories import fund, make_shop

pytestmark = [
    pytest.mark.postgres(reason="row locks under concurrent threads"),
    pytest.mark.django_db(transaction=True),
]


def run_together(*actions):  # type: ignore[no-untyped-def]
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(i, action):  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_approvers_at_once_carry_an_adjustment_out_once(now):
    _, account = make_shop(now=now)
    maker, sam, sue = in_role("finance"), in_role("supervisor"), in_role("supervisor")
    later = now + timedelta(hours=1)
    for round_ in range(3):
        request = services.deposit_adjust(
            account_id=account.pk,
            amount_minor=1_500_000,
            reason="Duplicate payment returned",
            actor=maker,
            idempotency_key=f"adj-{round_}",
            now=now,
        )

        results = run_together(
            lambda r=request: four_eyes.request_approve(request_id=r.pk, checker=sam, now=later),
            lambda r=request: four_eyes.request_approve(request_id=r.pk, checker=sue, now=later),
        )

        refused = [r for r in results if isinstance(r, Exception)]
        assert len(refused) == 1 and isinstance(refused[0], InvalidTransition), results
        assert (
            LedgerTransaction.objects.filter(idempotency_key=f"four-eyes:{request.pk}").count() == 1
        )
        assert FourEyesRequest.objects.get(pk=request.pk).status == RequestStatus.APPROVED
    assert Account.objects.get(pk=account.pk).posted_minor == 3 * 1_500_000


def test_one_makers_adjustments_at_once_cannot_both_fit_under_the_daily_limit(now):
    # 40,000.00 done alone already; two of 9,000.00 at once: only one fits under 50,000.00.
    _, account = make_shop(now=now)
    fund(account, 100, now=now)
    maker = in_role("finance")
    for i in range(4):
        services.deposit_adjust(
            account_id=account.pk,
            amount_minor=1_000_000,
            reason="Fees",
            actor=maker,
            idempotency_key=f"pre-{i}",
            now=now,
        )

    results = run_together(
        *(
            lambda k=k: services.deposit_adjust(
                account_id=account.pk,
                amount_minor=900_000,
                reason="Fees",
                actor=maker,
                idempotency_key=k,
                now=now,
            )
            for k in ("x", "y")
        )
    )

    assert sum(isinstance(r, FourEyesRequest) for r in results) == 1, results
    assert Account.objects.get(pk=account.pk).posted_minor == 100 + 4_000_000 + 900_000

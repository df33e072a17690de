"""Races across the insurance slices, with real threads on PostgreSQL: one lock order (the deposit
account, then the policy, then the recovery) means two of them serialise, never deadlock, and
one serial order explains the outcome."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from common.errors import DomainError, DuplicateReference
from deposits.services import ledger_check_run
from insurance import services
from insurance.models import Advance, RecoveryRepayment
from tests.insurance.advance_helpers import make_active_policy
from tests.insurance.test_policies import PAID_AT, accepted_policy, pay, top_up

pytestmark = [
    pytest.mark.postgres(reason="row locks under concurrent threads"),
    pytest.mark.django_db(transaction=True),
]


def run_together(*actions):
    """Start every action at once; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(i, action):
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


class TestAdvanceRacingSurrender:
    def test_one_wins_and_the_other_is_refused_or_uncovered_never_a_deadlock(
        self, api, insurer_api
    ):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        top_up(policy.shop, 5_000_000, now=PAID_AT - timedelta(hours=1))
        pay(policy, 150_000, now=PAID_AT)
        later = PAID_AT + timedelta(days=3)

        for round_ in range(5):
            if round_:  # a fresh active policy for each round
                policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
                top_up(policy.shop, 5_000_000, now=PAID_AT - timedelta(hours=1))
                pay(policy, 150_000, now=PAID_AT)
            surrender, advance = run_together(
                lambda p=policy: services.policy_surrender(
                    policy=p, idempotency_key=f"race-surrender-{p.pk}", now=later
                ),
                lambda p=policy: services.policy_advance(
                    policy_id=p.pk,
                    claim_ref=f"CLAIM-{p.pk}",
                    amount_minor=20_000,
                    currency="CNY",
                    idempotency_key=f"race-advance-{p.pk}",
                    now=later,
                ),
            )

            for outcome in (surrender, advance):
                assert not isinstance(outcome, DomainError) or outcome.code in {
                    "recoveries_outstanding",
                    "invalid_state",
                }, outcome
                assert "deadlock" not in str(outcome).lower()
            policy.refresh_from_db()
            advanced = Advance.objects.filter(policy=policy).first()
            if policy.status == "SURRENDERED":
                # The surrender went first: nothing was advanced under the surrendered policy.
                assert advanced is None or advanced.amount_minor == 0
            else:
                # The advance went first: the surrender was refused for the recovery it opened.
                assert advanced is not None and advanced.amount_minor == 20_000
                assert getattr(surrender, "code", None) == "recoveries_outstanding"

        assert ledger_check_run(record=False).ok


class TestOneReferenceRepaidOnTwoRecoveriesAtOnce:
    def test_one_is_credited_and_the_other_is_a_duplicate_reference(self, api, insurer_api):
        # Two policies, so two lock chains that do not serialise: the reference's own key in the
        # ledger is what meets, and the loser must hear `duplicate_reference` as it would have
        # a moment later, not `idempotency_key_reused` for a key it never chose.
        now = timezone.now()
        for round_ in range(4):
            recoveries = []
            for side in ("a", "b"):
                policy = make_active_policy(api, insurer_api, now)
                recoveries.append(
                    services.policy_advance(
                        policy_id=policy.pk,
                        claim_ref=f"CLM-{round_}-{side}",
                        amount_minor=30_000,
                        currency="CNY",
                        idempotency_key=f"adv-{round_}-{side}",
                        now=now,
                    ).advance.recovery
                )
            ref = f"ALIPAY-RACE-{round_}"

            results = run_together(
                *(
                    lambda r=recovery, ref=ref: services.recovery_repay(
                        recovery_id=r.pk,
                        amount_minor=10_000,
                        currency="CNY",
                        payment_ref=ref,
                        now=now,
                    )
                    for recovery in recoveries
                )
            )

            refused = [r for r in results if isinstance(r, Exception)]
            assert len(refused) == 1, results
            assert isinstance(refused[0], DuplicateReference), refused
            assert RecoveryRepayment.objects.filter(payment_ref=ref).count() == 1
        assert ledger_check_run(record=False).ok

"""insurance.services.advance_reverse: the claim an advance paid was reversed on appeal; the
insurer gets back what was still owed, the recovery is cancelled, the repaid part is returned
for the caller to refund."""

from __future__ import annotations

import pytest

from common.errors import InvalidTransition
from deposits.models import Guarantee, TransactionKind
from deposits.services import ledger_check_run, system_account_balance
from insurance import services
from insurance.models import Advance, Recovery, RecoveryStatus
from insurance.selectors import outstanding_recoveries_minor
from tests.insurance.advance_helpers import make_active_policy

pytestmark = pytest.mark.django_db

COVERAGE = 5_000_000


def advance(policy, now, amount, claim="C-1"):
    return services.policy_advance(
        policy_id=policy.pk,
        claim_ref=claim,
        amount_minor=amount,
        currency="CNY",
        idempotency_key=f"adv-{claim}",
        now=now,
    )


def owed_on_ledger(policy):
    ref = f"insurance_policy:{policy.public_id}"
    return -system_account_balance(code="INSURER_ADVANCES", currency="CNY", reference=ref)


class TestAdvanceReverse:
    def test_an_unpaid_advance_goes_back_to_the_insurer_and_the_limit_is_restored(
        self, api, insurer_api, now
    ):
        policy = make_active_policy(api, insurer_api, now)
        made = advance(policy, now, 200_000)

        reversal = services.advance_reverse(
            advance_id=made.advance.pk, reason="appeal upheld", now=now
        )

        recovery = Recovery.objects.get(advance=made.advance)
        assert (reversal.returned_minor, reversal.refund_minor) == (200_000, 0)
        assert reversal.transaction.kind == TransactionKind.REVERSAL
        assert recovery.status == RecoveryStatus.CANCELLED and recovery.cancelled_at == now
        assert outstanding_recoveries_minor(policy) == 0
        assert owed_on_ledger(policy) == 0
        guarantee = Guarantee.objects.get(source_ref=f"insurance_policy:{policy.public_id}")
        assert guarantee.amount_minor == COVERAGE
        assert ledger_check_run().ok

    def test_a_cancelled_recovery_cannot_be_reversed_again(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        made = advance(policy, now, 200_000)
        services.advance_reverse(advance_id=made.advance.pk, reason="appeal upheld", now=now)

        with pytest.raises(InvalidTransition):
            services.advance_reverse(advance_id=made.advance.pk, reason="again", now=now)

        assert owed_on_ledger(policy) == 0

    def test_an_answer_of_nothing_advanced_has_nothing_to_reverse(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        advance(policy, now, COVERAGE, claim="C-1")
        empty = advance(policy, now, 10_000, claim="C-2")
        assert empty.advance is None
        answer = Advance.objects.get(claim_ref="C-2")

        with pytest.raises(InvalidTransition):
            services.advance_reverse(advance_id=answer.pk, reason="appeal upheld", now=now)

"""Races on one claim with real threads on PostgreSQL: every write locks the claim first
(claims.locks), then deposits' and insurance's rows in their order, so two of them serialise,
never deadlock, and one serial order explains the outcome; the money moves once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from claims import services
from claims.models import Claim, ClaimReversal, ClaimStatus
from deposits.models import Hold, LedgerTransaction, TransactionKind
from insurance import services as insurance_services
from insurance.models import Advance, RecoveryStatus
from partners.services import partner_get_or_create
from shops.models import RestrictionKind, ShopRestriction
from tests.claims.money_helpers import (
    account,
    appealed,
    decided,
    file,
    insurer_balance_matches,
    ledger_ok,
    make_insurer_api,
)
from tests.factories import fund, make_shop
from tests.insurance.advance_helpers import make_active_policy
from tests.partners.api_client import make_api

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


def codes(results) -> list[str]:
    return sorted(getattr(r, "code", "ok") for r in results)


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner, now):
    shop, acct = make_shop(now=now, partner_id=partner.pk)
    fund(acct, 5_000_000, now=now)
    return shop


class TestDecisionRacingWithdrawal:
    def test_either_the_award_is_paid_or_the_hold_released_never_both(self, partner, shop, now):
        for round_ in range(3):
            # A consumer per round: the same consumer's later estimates would shrink under the
            # 24-hour cap, to nothing to hold once two awards were paid.
            filed = file(partner.pk, shop, now, consumer_ref=f"buyer-{round_}")
            claim = services.claim_escalate(claim=filed, now=now)

            results = run_together(
                lambda c=claim: services.claim_decide(claim=c, outcome="UPHELD", now=now),
                lambda c=claim: services.claim_withdraw(claim=c, now=now),
            )

            final = Claim.objects.get(pk=claim.pk)
            hold = Hold.objects.get(public_id=claim.hold_public_id)
            if final.status == ClaimStatus.DECIDED:
                assert codes(results) == ["claim_already_decided", "ok"]
                assert hold.status == Hold.Status.CAPTURED
            else:
                assert final.status == ClaimStatus.WITHDRAWN
                assert codes(results) == ["invalid_claim_status", "ok"]
                assert hold.status == Hold.Status.RELEASED
        # What the decided claims awarded left the deposit, nothing else.
        awarded = sum(
            Claim.objects.filter(status=ClaimStatus.DECIDED).values_list(
                "compensation_minor", flat=True
            )
        )
        assert Hold.objects.filter(status=Hold.Status.CAPTURED).count() == (
            Claim.objects.filter(status=ClaimStatus.DECIDED).count()
        )
        assert account(shop).posted_minor == 5_000_000 - awarded
        assert ledger_ok()


class TestAppealRacingTheWindowsEnd:
    def test_the_appeal_or_the_closing_wins_never_both(self, partner, shop, now):
        for round_ in range(4):
            claim = decided(partner.pk, shop, now, consumer_ref=f"buyer-{round_}")
            end = claim.appeal_by

            results = run_together(
                lambda c=claim, e=end: appealed(c, e - timedelta(seconds=1)),
                lambda c=claim, e=end: services.claim_close_unappealed(claim=c, now=e),
            )

            final = Claim.objects.get(pk=claim.pk)
            if final.status == ClaimStatus.APPEALED:
                assert codes(results) == ["invalid_claim_status", "ok"]
                assert final.closed_at is None
            else:
                assert final.status == ClaimStatus.CLOSED
                assert codes(results) == ["appeal_not_allowed", "ok"]
                assert final.appealed_at is None
        assert ledger_ok()


class TestTwoAppealDecisions:
    def test_one_decides_the_other_is_already_decided_and_money_moves_once(
        self, partner, shop, now
    ):
        for _ in range(3):
            claim = appealed(decided(partner.pk, shop, now, consumer_ref=f"buyer-{_}"), now)

            results = run_together(
                lambda c=claim: services.claim_appeal_decide(claim=c, outcome="UPHELD", now=now),
                lambda c=claim: services.claim_appeal_decide(claim=c, outcome="REJECTED", now=now),
            )

            assert codes(results) == ["claim_already_decided", "ok"]
            final = Claim.objects.get(pk=claim.pk)
            assert final.status == ClaimStatus.CLOSED
            reversals = ClaimReversal.objects.filter(claim=final).count()
            assert reversals == (1 if final.appeal_outcome == "UPHELD" else 0)
            assert (
                LedgerTransaction.objects.filter(
                    kind=TransactionKind.REVERSAL, reference=f"claim:{claim.public_id}"
                ).count()
                == reversals
            )
        upheld = Claim.objects.filter(appeal_outcome="UPHELD").count()
        assert account(shop).posted_minor == 5_000_000 - 30_000 * (3 - upheld)
        assert ledger_ok()


class TestTwoDecisionsOnAnInsuredClaim:
    def test_one_advance_one_recovery(self, now):
        at = timezone.now().replace(microsecond=0)
        api = make_api("Tmall")
        policy = make_active_policy(api, make_insurer_api(), at)
        claim = services.claim_escalate(claim=file(api.partner.pk, policy.shop, at), now=at)

        results = run_together(
            lambda: services.claim_decide(claim=claim, outcome="UPHELD", now=at),
            lambda: services.claim_decide(claim=claim, outcome="UPHELD", now=at),
        )

        assert codes(results) == ["claim_already_decided", "ok"]
        assert Advance.objects.filter(claim_ref=str(claim.public_id)).count() == 1
        assert insurer_balance_matches(policy)
        assert ledger_ok()


class TestReversingAnOverdueRecovery:
    def test_the_supervision_is_lifted_with_the_cancelled_recovery(self, now):
        at = timezone.now().replace(microsecond=0)
        api = make_api("Tmall")
        policy = make_active_policy(api, make_insurer_api(), at)
        claim = decided(api.partner.pk, policy.shop, at)
        recovery = Advance.objects.get(claim_ref=str(claim.public_id)).recovery
        late = recovery.due_at + timedelta(minutes=1)
        assert insurance_services.recovery_process(recovery_id=recovery.pk, now=late) == "overdue"
        supervised = ShopRestriction.objects.filter(
            shop=policy.shop, kind=RestrictionKind.SUPERVISED, lifted_at__isnull=True
        )
        assert supervised.count() == 1
        claim = appealed(claim, at + timedelta(days=10))

        services.claim_appeal_decide(claim=claim, outcome="UPHELD", now=late)

        recovery.refresh_from_db()
        assert recovery.status == RecoveryStatus.CANCELLED
        assert supervised.count() == 0
        assert insurer_balance_matches(policy)
        assert ledger_ok()

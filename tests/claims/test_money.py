"""Where an award's money comes from and how an upheld appeal gives it back, against the real
ledger: insured awards through the insurer's advance, then the hold, cash and debt; reversals by
new postings for cash, debt and insured awards; `ledger_check` clean after each. (Hold → capture,
hold → release and an award beyond the hold into debt: test_services.TestEscalateAndDecide.)"""

from __future__ import annotations

import pytest
from django.utils import timezone

from claims import services
from claims.models import Claim, ClaimStatus
from deposits.models import Hold, LedgerTransaction, TransactionKind
from insurance import selectors as insurance_selectors
from insurance import services as insurance_services
from insurance.models import Advance, RecoveryStatus
from partners.models import Event
from partners.services import partner_get_or_create
from tests.claims.money_helpers import (
    account,
    appealed,
    decided,
    file,
    insurer_balance_matches,
    ledger_ok,
    make_insurer_api,
    payable_for,
)
from tests.factories import fund, make_shop
from tests.insurance.advance_helpers import make_active_policy
from tests.partners.api_client import make_api

pytestmark = [pytest.mark.django_db]

COVERAGE = 5_000_000  # perf-bond on a 50,000.00 requirement


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def api(db):
    return make_api("Tmall")


@pytest.fixture
def insurer_api(db):
    """PICC, the insurer of the default products."""
    return make_insurer_api()


@pytest.fixture
def at():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def policy(api, insurer_api, at):
    """An apparel flagship insured by perf-bond (coverage 50,000.00) with 50,000.00 of cash."""
    return make_active_policy(api, insurer_api, at)


def returned(claim: Claim) -> list[tuple[str, str, int]]:
    """The reversal rows: (funding source, where it went, amount)."""
    return [(r.source, r.returned_to, r.amount_minor) for r in claim.reversals.all()]


def events(claim: Claim) -> list[str]:
    return list(
        Event.objects.filter(type__startswith="claim.", data__id=str(claim.public_id))
        .order_by("id")
        .values_list("type", flat=True)
    )


class TestInsuredAwards:
    def test_the_insurer_advances_the_award_and_no_cash_is_held_for_it(self, api, policy, at):
        shop = policy.shop
        claim = services.claim_escalate(claim=file(api.partner.pk, shop, at), now=at)
        assert claim.hold_public_id is None
        assert account(shop).held_minor == 0
        assert [n["code"] for n in claim.events.last().system_notes] == ["no_hold_insurer"]

        awarded = services.claim_decide(claim=claim, outcome="UPHELD", now=at)

        advance = Advance.objects.select_related("recovery", "ledger_transaction").get(
            claim_ref=str(claim.public_id)
        )
        assert [(f.source, f.amount_minor) for f in awarded.funding.all()] == [
            ("INSURER_ADVANCE", 30_000)
        ]
        assert awarded.funding.get().transaction_public_id == advance.ledger_transaction.public_id
        assert advance.amount_minor == 30_000
        assert advance.recovery.status == RecoveryStatus.OPEN
        assert advance.recovery.outstanding_minor == 30_000
        assert insurance_selectors.limit_remaining_for_shop(shop.pk) == COVERAGE - 30_000
        assert account(shop).posted_minor == 5_000_000  # the deposit paid nothing
        assert insurer_balance_matches(policy)
        assert ledger_ok()

    def test_beyond_the_remaining_limit_the_hold_then_cash_then_debt_pay(
        self, api, insurer_api, at
    ):
        policy = make_active_policy(api, insurer_api, at, cash_minor=0)
        shop = policy.shop
        fund(account(shop), 20_000, now=at)
        # An earlier advance leaves 100.00 of the limit.
        insurance_services.policy_advance(
            claim_ref="earlier-claim",
            amount_minor=COVERAGE - 10_000,
            currency="CNY",
            idempotency_key="earlier-claim",
            now=at,
            policy_id=policy.pk,
        )
        claim = file(api.partner.pk, shop, at, reason="COUNTERFEIT", paid=20_000)  # 1,000.00
        claim = services.claim_escalate(claim=claim, now=at)
        hold = Hold.objects.get(public_id=claim.hold_public_id)
        assert hold.amount_minor == 20_000  # 1,000.00 − the 100.00 limit, as far as cash goes

        awarded = services.claim_decide(claim=claim, outcome="UPHELD", now=at)

        assert [(f.source, f.amount_minor) for f in awarded.funding.all()] == [
            ("INSURER_ADVANCE", 10_000),
            ("DEPOSIT", 20_000),
            ("DEBT", 70_000),
        ]
        hold.refresh_from_db()
        assert hold.status == Hold.Status.CAPTURED and hold.captured_minor == 20_000
        assert insurance_selectors.limit_remaining_for_shop(shop.pk) == 0
        assert account(shop).posted_minor == 0
        assert account(shop).debt_minor == 70_000
        assert insurer_balance_matches(policy)
        assert ledger_ok()

    def test_a_rejection_advances_nothing(self, api, policy, at):
        claim = services.claim_escalate(claim=file(api.partner.pk, policy.shop, at), now=at)

        services.claim_decide(claim=claim, outcome="REJECTED", now=at)

        assert not Advance.objects.filter(claim_ref=str(claim.public_id)).exists()
        assert insurance_selectors.limit_remaining_for_shop(policy.shop_id) == COVERAGE
        assert ledger_ok()


class TestAppealReversal:
    def test_an_upheld_appeal_credits_a_cash_award_back_by_a_new_posting(self, partner, at):
        shop, acct = make_shop(now=at, partner_id=partner.pk)
        fund(acct, 5_000_000, now=at)
        claim = decided(partner.pk, shop, at)
        capture = LedgerTransaction.objects.get(idempotency_key=f"claim:{claim.public_id}:capture")
        assert account(shop).posted_minor == 5_000_000 - 30_000

        closed = services.claim_appeal_decide(
            claim=appealed(claim, at), outcome="UPHELD", note="Receipt checks out.", now=at
        )

        assert closed.status == ClaimStatus.CLOSED
        assert closed.appeal_outcome == "UPHELD" and closed.closed_at == at
        assert returned(closed) == [("DEPOSIT", "DEPOSIT", 30_000)]
        reversal = LedgerTransaction.objects.get(
            public_id=closed.reversals.get().transaction_public_id
        )
        assert reversal.kind == TransactionKind.REVERSAL
        assert reversal.reference == f"claim:{claim.public_id}"
        assert LedgerTransaction.objects.get(pk=capture.pk).status == capture.status  # untouched
        assert account(shop).posted_minor == 5_000_000
        assert payable_for(claim) == 0
        assert events(claim)[-3:] == ["claim.appealed", "claim.reversed", "claim.closed"]
        data = services.claim_data(closed)
        assert data["reversed"]["amount_minor"] == 30_000
        assert data["appeal_outcome"] == "UPHELD"
        assert data["funding"] == [
            {
                "source": "DEPOSIT",
                "amount_minor": 30_000,
                "transaction": str(capture.public_id),
            }
        ]
        assert ledger_ok()

    def test_an_upheld_appeal_cancels_the_debt_the_award_created(self, partner, at):
        shop, acct = make_shop(now=at, partner_id=partner.pk)
        fund(acct, 20_000, now=at)
        claim = decided(partner.pk, shop, at, reason="COUNTERFEIT", paid=10_000)  # 500.00
        assert account(shop).debt_minor == 30_000

        closed = services.claim_appeal_decide(claim=appealed(claim, at), outcome="UPHELD", now=at)

        assert sorted(
            (r.source, r.returned_to, r.amount_minor) for r in closed.reversals.all()
        ) == [
            ("DEBT", "DEBT_CANCELLED", 30_000),
            ("DEPOSIT", "DEPOSIT", 20_000),
        ]
        assert account(shop).debt_minor == 0
        assert account(shop).posted_minor == 20_000
        assert payable_for(claim) == 0
        assert ledger_ok()

    def test_debt_a_top_up_paid_since_comes_back_as_cash(self, partner, at):
        shop, acct = make_shop(now=at, partner_id=partner.pk)
        fund(acct, 20_000, now=at)
        claim = decided(partner.pk, shop, at, reason="COUNTERFEIT", paid=10_000)
        fund(account(shop), 10_000, now=at)  # pays 100.00 of the 300.00 debt
        assert account(shop).debt_minor == 20_000

        closed = services.claim_appeal_decide(claim=appealed(claim, at), outcome="UPHELD", now=at)

        assert sorted(
            (r.source, r.returned_to, r.amount_minor) for r in closed.reversals.all()
        ) == [
            ("DEBT", "DEBT_CANCELLED", 20_000),
            ("DEBT", "DEPOSIT", 10_000),
            ("DEPOSIT", "DEPOSIT", 20_000),
        ]
        assert account(shop).debt_minor == 0
        assert account(shop).posted_minor == 30_000
        assert ledger_ok()

    def test_an_unpaid_recovery_is_cancelled_and_the_limit_restored(self, api, policy, at):
        claim = decided(api.partner.pk, policy.shop, at)
        recovery = Advance.objects.get(claim_ref=str(claim.public_id)).recovery

        closed = services.claim_appeal_decide(claim=appealed(claim, at), outcome="UPHELD", now=at)

        recovery.refresh_from_db()
        assert recovery.status == RecoveryStatus.CANCELLED
        assert recovery.cancelled_at == at and recovery.outstanding_minor == 0
        assert returned(closed) == [("INSURER_ADVANCE", "INSURER", 30_000)]
        assert insurance_selectors.limit_remaining_for_shop(policy.shop_id) == COVERAGE
        assert account(policy.shop).posted_minor == 5_000_000
        assert Event.objects.filter(type="insurance.recovery_cancelled").count() == 2  # + insurer
        assert insurer_balance_matches(policy)
        assert ledger_ok()

    def test_a_partly_repaid_recovery_is_cancelled_and_the_repayment_refunded(
        self, api, policy, at
    ):
        claim = decided(api.partner.pk, policy.shop, at)
        recovery = Advance.objects.get(claim_ref=str(claim.public_id)).recovery
        insurance_services.recovery_repay(
            recovery_id=recovery.pk,
            amount_minor=10_000,
            currency="CNY",
            payment_ref="REPAY-1",
            now=at,
        )

        closed = services.claim_appeal_decide(claim=appealed(claim, at), outcome="UPHELD", now=at)

        recovery.refresh_from_db()
        assert recovery.status == RecoveryStatus.CANCELLED
        assert returned(closed) == [
            ("INSURER_ADVANCE", "INSURER", 20_000),
            ("INSURER_ADVANCE", "DEPOSIT", 10_000),
        ]
        assert account(policy.shop).posted_minor == 5_000_000 + 10_000  # the repayment back
        assert insurance_selectors.limit_remaining_for_shop(policy.shop_id) == COVERAGE
        assert insurer_balance_matches(policy)
        assert ledger_ok()

    def test_a_fully_repaid_recovery_stays_repaid_and_the_whole_advance_is_refunded(
        self, api, policy, at
    ):
        claim = decided(api.partner.pk, policy.shop, at)
        recovery = Advance.objects.get(claim_ref=str(claim.public_id)).recovery
        insurance_services.recovery_repay(
            recovery_id=recovery.pk,
            amount_minor=30_000,
            currency="CNY",
            payment_ref="REPAY-ALL",
            now=at,
        )

        closed = services.claim_appeal_decide(claim=appealed(claim, at), outcome="UPHELD", now=at)

        recovery.refresh_from_db()
        assert recovery.status == RecoveryStatus.REPAID
        assert returned(closed) == [("INSURER_ADVANCE", "DEPOSIT", 30_000)]
        assert account(policy.shop).posted_minor == 5_000_000 + 30_000
        assert insurer_balance_matches(policy)
        assert ledger_ok()

    def test_a_rejected_appeal_closes_and_moves_no_money(self, partner, at):
        shop, acct = make_shop(now=at, partner_id=partner.pk)
        fund(acct, 5_000_000, now=at)
        claim = decided(partner.pk, shop, at)
        before = LedgerTransaction.objects.count()

        closed = services.claim_appeal_decide(claim=appealed(claim, at), outcome="REJECTED", now=at)

        assert closed.status == ClaimStatus.CLOSED and closed.appeal_outcome == "REJECTED"
        assert list(closed.reversals.all()) == []
        assert LedgerTransaction.objects.count() == before
        assert account(shop).posted_minor == 5_000_000 - 30_000
        assert events(claim)[-2:] == ["claim.appealed", "claim.closed"]
        assert services.claim_data(closed)["reversed"] is None
        assert ledger_ok()

    def test_a_reversed_award_no_longer_counts_in_the_24_hour_cap(self, partner, at):
        shop, acct = make_shop(now=at, partner_id=partner.pk)
        fund(acct, 5_000_000, now=at)
        first = decided(partner.pk, shop, at, paid=1_000_000)  # 30% capped at 500.00
        services.claim_appeal_decide(claim=appealed(first, at), outcome="UPHELD", now=at)

        second = decided(partner.pk, shop, at, paid=1_000_000)

        assert second.compensation_minor == 50_000  # nothing of the cap taken by the first
        assert ledger_ok()

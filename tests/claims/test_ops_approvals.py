"""Four-eyes on large claim decisions (claims.services.approvals): above the amount nothing moves
until a different person approves; then the maker's decision is carried out once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from claims import services
from claims.models import Claim, ClaimDecisionRequest, ClaimStatus, DecisionRequestStatus
from common.errors import (
    ApprovalRequired,
    DecisionAwaitingApproval,
    DecisionRequestExpired,
    InvalidClaimStatus,
    InvalidInput,
    InvalidTransition,
)
from deposits.models import Hold
from partners.services import partner_get_or_create
from tests.claims.ops_helpers import balances, funded_shop, in_review, ledger_ok, ops

pytestmark = pytest.mark.django_db

# Counterfeit (假一赔四): 5 × 3,000.00 = 15,000.00, above the default 10,000.00.
BIG = {"reason": "COUNTERFEIT", "paid": 300_000}


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner, now):
    return funded_shop(partner, now)


def make(claim, maker, now, **kw):
    kw.setdefault("outcome", "UPHELD")
    kw.setdefault("note", "Counterfeit proven by the brand's letter.")
    return services.claim_decision_make(claim=claim, maker=maker, now=now, **kw)


class TestBelowTheAmount:
    def test_a_decision_up_to_the_amount_is_carried_out_at_once(self, partner, shop, now):
        claim = in_review(partner, shop, at=now)  # late shipment: 300.00
        alice = ops("alice")

        decided = make(claim, alice, now + timedelta(hours=1), note="Not shipped in 48 h.")

        assert isinstance(decided, Claim)
        assert decided.status == ClaimStatus.DECIDED and decided.compensation_minor == 30_000
        assert sum(f.amount_minor for f in decided.funding.all()) == 30_000
        event = decided.events.get(action="decided:UPHELD")
        assert event.actor == "OPS" and event.actor_label == "alice"
        assert "Not shipped in 48 h." in event.note
        assert not ClaimDecisionRequest.objects.exists()
        assert ledger_ok()

    def test_the_note_is_required(self, partner, shop, now):
        claim = in_review(partner, shop, at=now)

        with pytest.raises(InvalidInput) as caught:
            make(claim, ops(), now, note="  ")

        assert set(caught.value.fields) == {"note"}
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


class TestAboveTheAmount:
    def test_the_decision_waits_and_nothing_moves(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)
        before = balances(shop)

        request = make(claim, ops("alice"), now + timedelta(hours=1))

        assert isinstance(request, ClaimDecisionRequest)
        assert request.status == DecisionRequestStatus.PENDING
        assert request.award_minor == 1_500_000
        assert request.expires_at == now + timedelta(hours=73)
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.IN_REVIEW and claim.outcome is None
        assert balances(shop) == before
        assert Hold.objects.get(public_id=claim.hold_public_id).status == Hold.Status.ACTIVE
        assert not claim.funding.exists()
        assert claim.events.filter(action="decision_requested", actor_label="alice").exists()

    def test_an_invalid_decision_is_refused_before_it_waits(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)

        with pytest.raises(InvalidInput) as caught:
            make(claim, ops(), now, outcome="PARTLY_UPHELD")  # no amount

        assert set(caught.value.fields) == {"amount_minor"}
        assert not ClaimDecisionRequest.objects.exists()

    def test_only_one_decision_waits_per_claim(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)
        make(claim, ops("alice"), now)

        with pytest.raises(DecisionAwaitingApproval):
            make(claim, ops("bob"), now + timedelta(hours=1), outcome="REJECTED")

        assert ClaimDecisionRequest.objects.count() == 1
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW

    def test_the_maker_cannot_approve_their_own_decision(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)
        alice = ops("alice")
        request = make(claim, alice, now)

        with pytest.raises(ApprovalRequired):
            services.claim_decision_approve(request_id=request.pk, checker=alice, now=now)

        request.refresh_from_db()
        assert request.status == DecisionRequestStatus.PENDING
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW

    def test_a_second_person_approves_and_it_is_decided_once(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)
        posted_before, _, _ = balances(shop)
        request = make(claim, ops("alice"), now)
        bob = ops("bob")

        decided = services.claim_decision_approve(
            request_id=request.pk, checker=bob, now=now + timedelta(hours=2), note="Checked."
        )

        assert decided.status == ClaimStatus.DECIDED
        assert decided.outcome == "UPHELD" and decided.compensation_minor == 1_500_000
        assert sum(f.amount_minor for f in decided.funding.all()) == 1_500_000
        assert balances(shop) == (posted_before - 1_500_000, 0, 0)
        event = decided.events.get(action="decided:UPHELD")
        assert event.actor_label == "alice + bob"
        assert {"code": "four_eyes", "params": {"maker": "alice", "approver": "bob"}} in (
            event.system_notes
        )
        assert decided.events.filter(action="decision_approved", actor_label="bob").exists()
        request.refresh_from_db()
        assert request.status == DecisionRequestStatus.APPROVED
        assert request.checker == bob and request.check_note == "Checked."
        assert ledger_ok()

        with pytest.raises(InvalidTransition):
            services.claim_decision_approve(
                request_id=request.pk, checker=ops("carol"), now=now + timedelta(hours=3)
            )
        assert decided.events.filter(action__startswith="decided:").count() == 1
        assert balances(shop) == (posted_before - 1_500_000, 0, 0)

    def test_the_maker_amount_is_what_is_carried_out(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)
        request = make(claim, ops("alice"), now, outcome="PARTLY_UPHELD", amount_minor=1_200_000)

        decided = services.claim_decision_approve(request_id=request.pk, checker=ops(), now=now)

        assert decided.outcome == "PARTLY_UPHELD" and decided.compensation_minor == 1_200_000
        assert ledger_ok()

    def test_an_expired_request_cannot_be_approved(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)
        request = make(claim, ops("alice"), now)
        before = balances(shop)

        with pytest.raises(DecisionRequestExpired):
            services.claim_decision_approve(
                request_id=request.pk, checker=ops("bob"), now=now + timedelta(hours=72)
            )

        request.refresh_from_db()
        assert request.status == DecisionRequestStatus.EXPIRED
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
        assert balances(shop) == before
        # and ops may decide again
        again = make(claim, ops("carol"), now + timedelta(hours=73))
        assert again.status == DecisionRequestStatus.PENDING

    def test_a_rejection_keeps_its_reason_and_moves_nothing(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)
        request = make(claim, ops("alice"), now)
        before = balances(shop)

        with pytest.raises(InvalidInput):
            services.claim_decision_reject(request_id=request.pk, checker=ops(), now=now, note="")
        services.claim_decision_reject(
            request_id=request.pk,
            checker=ops("bob"),
            now=now + timedelta(hours=1),
            note="The brand's letter is about another product.",
        )

        request.refresh_from_db()
        assert request.status == DecisionRequestStatus.REJECTED
        assert request.check_note == "The brand's letter is about another product."
        assert request.checker.username == "bob"
        assert balances(shop) == before
        event = Claim.objects.get(pk=claim.pk).events.get(action="decision_rejected")
        assert "another product" in event.note
        with pytest.raises(InvalidTransition):
            services.claim_decision_approve(request_id=request.pk, checker=ops(), now=now)

    def test_a_claim_withdrawn_meanwhile_closes_the_request_without_effect(
        self, partner, shop, now
    ):
        claim = in_review(partner, shop, at=now, **BIG)
        request = make(claim, ops("alice"), now)
        services.claim_withdraw(claim=claim, now=now + timedelta(hours=1))

        with pytest.raises(InvalidClaimStatus):
            services.claim_decision_approve(
                request_id=request.pk, checker=ops("bob"), now=now + timedelta(hours=2)
            )

        request.refresh_from_db()
        assert request.status == DecisionRequestStatus.REJECTED
        assert "WITHDRAWN" in request.check_note
        assert ledger_ok()

    def test_the_sweep_expires_what_nobody_approved(self, partner, shop, now):
        claim = in_review(partner, shop, at=now, **BIG)
        make(claim, ops("alice"), now)

        assert services.claim_decision_requests_expire(now=now + timedelta(hours=71)) == 0
        assert services.claim_decision_requests_expire(now=now + timedelta(hours=72)) == 1

        assert ClaimDecisionRequest.objects.get().status == DecisionRequestStatus.EXPIRED
        assert (
            Claim.objects.get(pk=claim.pk).events.filter(action="decision_request_expired").exists()
        )


def test_the_maker_may_withdraw_their_own_request_with_a_reason(partner, shop, now):
    claim = in_review(partner, shop, at=now, **BIG)
    alice = ops("alice")
    request = make(claim, alice, now)

    services.claim_decision_reject(
        request_id=request.pk, checker=alice, now=now, note="Wrong claim, sorry."
    )

    request.refresh_from_db()
    assert request.status == DecisionRequestStatus.REJECTED
    assert request.check_note == "Wrong claim, sorry."
    assert (
        Claim.objects.get(pk=claim.pk)
        .events.filter(action="decision_request_withdrawn", actor_label="alice")
        .exists()
    )
    # and the claim can be decided again
    assert make(claim, alice, now, outcome="REJECTED", note="Not proven.").status == "DECIDED"

"""The merchant's one appeal and the decision becoming final: who may appeal when, and what
closes a claim."""

from __future__ import annotations

from datetime import timedelta

import pytest

from claims import services
from claims.models import Actor, Claim, ClaimStatus
from common.errors import (
    AppealNotAllowed,
    ClaimAlreadyDecided,
    InvalidClaimStatus,
    InvalidInput,
)
from partners.models import Event
from partners.services import partner_get_or_create
from tests.claims.money_helpers import appealed, decided, file, ledger_ok
from tests.factories import fund, make_shop

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner, now):
    shop, acct = make_shop(now=now, partner_id=partner.pk)
    fund(acct, 5_000_000, now=now)
    return shop


@pytest.fixture
def award(partner, shop, now) -> Claim:
    return decided(partner.pk, shop, now)


class TestAppeal:
    def test_the_decision_opens_a_15_day_window(self, award, now):
        assert award.appeal_by == now + timedelta(days=15)
        assert services.claim_data(award)["deadlines"]["appeal_by"] == "2026-11-17T06:00:00Z"

    def test_an_appeal_in_time_records_the_grounds_on_the_timeline(self, award, now):
        later = now + timedelta(days=3)

        claim = services.claim_appeal(
            claim=award,
            now=later,
            note="Courier receipt SF1234.",
            actor=Actor.MERCHANT,
            actor_label="owner@yunjin.example",
        )

        assert claim.status == ClaimStatus.APPEALED
        assert claim.appealed_at == later and claim.appeal_note == "Courier receipt SF1234."
        last = claim.events.last()
        assert (last.action, last.actor, last.actor_label) == (
            "appealed",
            "MERCHANT",
            "owner@yunjin.example",
        )
        assert Event.objects.filter(type="claim.appealed").count() == 1
        data = services.claim_data(claim)
        assert data["appealed_at"] == "2026-11-05T06:00:00Z"
        assert data["appeal_outcome"] is None

    def test_a_second_appeal_is_not_allowed(self, award, now):
        appealed(award, now)

        with pytest.raises(AppealNotAllowed) as caught:
            appealed(award, now)

        assert caught.value.code == "appeal_not_allowed"

    def test_an_appeal_at_the_end_of_the_window_is_not_allowed(self, award, now):
        with pytest.raises(AppealNotAllowed):
            appealed(award, award.appeal_by)

        assert Claim.objects.get(pk=award.pk).status == ClaimStatus.DECIDED

    def test_a_claim_closed_after_its_window_cannot_be_appealed(self, award):
        services.claim_close_unappealed(claim=award, now=award.appeal_by)

        with pytest.raises(AppealNotAllowed):
            appealed(award, award.appeal_by - timedelta(hours=1))

    def test_a_rejection_has_nothing_to_appeal(self, partner, shop, now):
        claim = services.claim_escalate(claim=file(partner.pk, shop, now), now=now)
        rejected = services.claim_decide(claim=claim, outcome="REJECTED", now=now)

        with pytest.raises(AppealNotAllowed):
            appealed(rejected, now)

    def test_a_claim_not_yet_decided_is_an_invalid_status(self, partner, shop, now):
        claim = services.claim_escalate(claim=file(partner.pk, shop, now), now=now)

        with pytest.raises(InvalidClaimStatus):
            appealed(claim, now)

    def test_the_grounds_are_required(self, award, now):
        with pytest.raises(InvalidInput) as caught:
            services.claim_appeal(claim=award, now=now, note="  ")

        assert "note" in caught.value.fields


class TestAppealDecision:
    def test_deciding_an_appeal_that_was_not_made_is_an_invalid_status(self, award, now):
        with pytest.raises(InvalidClaimStatus):
            services.claim_appeal_decide(claim=award, outcome="UPHELD", now=now)

    def test_a_second_appeal_decision_is_already_decided(self, award, now):
        services.claim_appeal_decide(claim=appealed(award, now), outcome="REJECTED", now=now)

        with pytest.raises(ClaimAlreadyDecided):
            services.claim_appeal_decide(claim=award, outcome="UPHELD", now=now)

        assert Claim.objects.get(pk=award.pk).appeal_outcome == "REJECTED"
        assert ledger_ok()

    def test_partly_upholding_an_appeal_is_not_an_outcome(self, award, now):
        with pytest.raises(InvalidInput) as caught:
            services.claim_appeal_decide(
                claim=appealed(award, now), outcome="PARTLY_UPHELD", now=now
            )

        assert "outcome" in caught.value.fields


class TestCloseUnappealed:
    def test_the_window_over_closes_the_decision_for_good(self, award):
        closed = services.claim_close_unappealed(claim=award, now=award.appeal_by)

        assert closed.status == ClaimStatus.CLOSED
        assert closed.closed_at == award.appeal_by and closed.appeal_outcome is None
        assert closed.events.last().actor == "SYSTEM"
        assert Event.objects.filter(type="claim.closed").count() == 1

    def test_closing_again_changes_nothing(self, award):
        first = services.claim_close_unappealed(claim=award, now=award.appeal_by)

        again = services.claim_close_unappealed(
            claim=award, now=award.appeal_by + timedelta(hours=1)
        )

        assert again.closed_at == first.closed_at
        assert Event.objects.filter(type="claim.closed").count() == 1

    def test_while_the_window_is_open_it_is_an_invalid_status(self, award):
        with pytest.raises(InvalidClaimStatus):
            services.claim_close_unappealed(claim=award, now=award.appeal_by - timedelta(seconds=1))

    def test_an_appealed_claim_waits_for_its_appeal_decision(self, award, now):
        appealed(award, now)

        with pytest.raises(InvalidClaimStatus):
            services.claim_close_unappealed(claim=award, now=award.appeal_by)

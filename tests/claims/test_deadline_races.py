"""The deadline task racing people and itself, with real threads on PostgreSQL: the claims of a
pair are locked in pk order and the deadline re-read under the lock, so one side wins, the other
finds it done, and the money moves once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from claims import services
from claims.models import Claim, ClaimEvent, ClaimFunding, ClaimStatus
from common.errors import DomainError
from deposits.models import Hold
from deposits.services import ledger_check_run
from partners.models import Event
from tests.claims.test_deadlines import FILED, file
from tests.insurance.test_races import run_together

pytestmark = [
    pytest.mark.postgres(reason="row locks under concurrent threads"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def partner(db):
    from partners.services import partner_get_or_create

    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner):
    from tests.factories import fund, make_shop

    shop, account = make_shop(now=FILED - timedelta(days=30), partner_id=partner.pk)
    fund(account, 5_000_000, now=FILED - timedelta(days=30))
    return shop


def assert_paid_once(claim: Claim) -> None:
    claim.refresh_from_db()
    decided = ClaimEvent.objects.filter(claim=claim, action__startswith="decided:").count()
    funded = sum(ClaimFunding.objects.filter(claim=claim).values_list("amount_minor", flat=True))
    holds = Hold.objects.filter(reference=f"claim:{claim.public_id}")
    assert decided == (1 if claim.status == ClaimStatus.DECIDED else 0)
    assert holds.count() <= 1
    assert funded == (claim.compensation_minor if claim.outcome else 0)
    assert ClaimEvent.objects.filter(claim=claim, action="escalated").count() == 1


class TestDeadlineRacingOps:
    def test_the_automatic_decision_and_an_ops_escalation_and_decision_pay_once(
        self, partner, shop
    ):
        for round_ in range(4):
            claim = file(partner, shop, consumer=f"buyer-{round_}")
            at = claim.respond_by

            def ops(c=claim, at=at):
                escalated = services.claim_escalate(
                    claim=c, now=at, actor="OPS", actor_label="ops-anna"
                )
                return services.claim_decide(
                    claim=escalated, outcome="REJECTED", now=at, actor="OPS"
                )

            task, decided = run_together(
                lambda c=claim, at=at: services.claim_deadline_process(claim_id=c.pk, now=at), ops
            )

            claim.refresh_from_db()
            assert claim.status == ClaimStatus.DECIDED
            if task == "auto_decided":
                # The task went first: ops found the claim decided and changed nothing.
                assert isinstance(decided, DomainError)
                assert claim.outcome == "UPHELD" and claim.compensation_minor == 30_000
            else:
                # Ops escalated first: the task found nothing due and ops' rejection stands.
                assert task == "nothing", task
                assert claim.outcome == "REJECTED" and claim.compensation_minor == 0
            assert_paid_once(claim)
        assert ledger_check_run(record=False).ok

    def test_closing_the_evidence_racing_a_decision_never_reopens_a_decided_claim(
        self, partner, shop
    ):
        for round_ in range(3):
            claim = services.claim_escalate(
                claim=file(partner, shop, reason="FALSE_SHIPMENT", consumer=f"b-{round_}"),
                now=FILED,
            )
            at = claim.merchant_evidence_by

            task, decided = run_together(
                lambda c=claim, at=at: services.claim_deadline_process(claim_id=c.pk, now=at),
                lambda c=claim, at=at: services.claim_decide(claim=c, outcome="UPHELD", now=at),
            )

            assert not isinstance(decided, Exception), decided
            closed = ClaimEvent.objects.filter(claim=claim, action="evidence_closed").count()
            assert closed == (1 if task == "evidence_closed" else 0)
            assert task in {"evidence_closed", "nothing"}
            assert_paid_once(claim)
        assert ledger_check_run(record=False).ok


class TestTwoScansAtOnce:
    def test_two_workers_running_the_pass_act_on_each_claim_once(self, partner, shop):
        auto = [file(partner, shop, consumer=f"auto-{n}") for n in range(3)]
        escalate = [
            file(partner, shop, reason="FALSE_SHIPMENT", consumer=f"esc-{n}") for n in range(3)
        ]
        review = [
            services.claim_escalate(
                claim=file(partner, shop, reason="FALSE_SHIPMENT", consumer=f"rev-{n}"),
                now=FILED - timedelta(days=3),
            )
            for n in range(2)
        ]
        at = FILED + timedelta(hours=48)

        first, second = run_together(
            lambda: services.deadlines_run_pass(now=at),
            lambda: services.deadlines_run_pass(now=at),
        )

        assert not isinstance(first, Exception) and not isinstance(second, Exception)
        assert first.errors == second.errors == 0
        done = {
            key: first.counts.get(key, 0) + second.counts.get(key, 0)
            for key in ("escalated", "auto_decided", "evidence_closed")
        }
        assert done == {"escalated": 3, "auto_decided": 3, "evidence_closed": 2}
        for claim in auto:
            claim.refresh_from_db()
            assert (claim.status, claim.outcome) == (ClaimStatus.DECIDED, "UPHELD")
            assert_paid_once(claim)
        for claim in escalate:
            claim.refresh_from_db()
            assert claim.status == ClaimStatus.IN_REVIEW
            assert_paid_once(claim)
        for claim in review:
            assert ClaimEvent.objects.filter(claim=claim, action="evidence_closed").count() == 1
        assert Event.objects.filter(type="claim.escalated").count() == 3 + 3 + 2
        assert Event.objects.filter(type="claim.decided").count() == 3
        assert ledger_check_run(record=False).ok

"""Two approvers of one four-eyes decision at the same moment, with real threads on PostgreSQL:
the request's row lock serialises them, the decision is carried out once, and the second is
refused."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from claims import services
from claims.models import Claim, ClaimDecisionRequest, ClaimFunding, DecisionRequestStatus
from common.errors import DecisionAwaitingApproval, DomainError, InvalidTransition
from partners.services import partner_get_or_create
from tests.claims.ops_helpers import balances, funded_shop, in_review, ledger_ok, ops

pytestmark = [
    pytest.mark.postgres(reason="row locks under concurrent threads"),
    pytest.mark.django_db(transaction=True),
]


def run_together(*actions):
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


def test_two_approvers_at_once_carry_the_decision_out_once(now):
    partner = partner_get_or_create(name="Tmall")
    shop = funded_shop(partner, now)
    bob, carol = ops("bob"), ops("carol")
    later = now + timedelta(hours=1)
    for round_ in range(3):
        claim = in_review(
            partner, shop, at=now, reason="COUNTERFEIT", paid=300_000, consumer=f"b-{round_}"
        )
        posted_before = balances(shop)[0]
        request = services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Proven.", maker=ops(), now=now
        )

        results = run_together(
            lambda r=request: services.claim_decision_approve(
                request_id=r.pk, checker=bob, now=later
            ),
            lambda r=request: services.claim_decision_approve(
                request_id=r.pk, checker=carol, now=later
            ),
        )

        decided = [r for r in results if isinstance(r, Claim)]
        refused = [r for r in results if isinstance(r, DomainError)]
        assert len(decided) == 1 and len(refused) == 1, results
        assert isinstance(refused[0], InvalidTransition)
        claim.refresh_from_db()
        assert claim.events.filter(action__startswith="decided:").count() == 1
        assert sum(f.amount_minor for f in ClaimFunding.objects.filter(claim=claim)) == 1_500_000
        assert balances(shop)[0] == posted_before - 1_500_000
        assert ClaimDecisionRequest.objects.get(pk=request.pk).status == (
            DecisionRequestStatus.APPROVED
        )
    assert ledger_ok()


def test_a_decision_racing_a_second_maker_leaves_one_waiting(now):
    partner = partner_get_or_create(name="Tmall")
    shop = funded_shop(partner, now)
    claim = in_review(partner, shop, at=now, reason="COUNTERFEIT", paid=300_000)
    alice, dan = ops("alice"), ops("dan")

    results = run_together(
        lambda: services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Proven.", maker=alice, now=now
        ),
        lambda: services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Proven too.", maker=dan, now=now
        ),
    )

    assert sum(isinstance(r, ClaimDecisionRequest) for r in results) == 1, results
    assert sum(isinstance(r, DecisionAwaitingApproval) for r in results) == 1, results
    assert ClaimDecisionRequest.objects.filter(status="PENDING").count() == 1

"""Malicious complaints: the claim rejected (its hold released, the ledger clean), the consumer
flagged, their other open claims and new ones marked for ops review, and the flag lifted."""

from __future__ import annotations

from datetime import timedelta

import pytest

from claims import services
from claims.models import Claim, ClaimEvent, ClaimStatus, ConsumerFlag, Outcome
from common.errors import InvalidInput, InvalidTransition
from deposits.models import Hold
from partners.models import Event
from partners.services import partner_get_or_create
from tests.claims.test_services import account, file, ledger_ok
from tests.factories import fund, make_shop

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner, now):
    shop, acc = make_shop(now=now, partner_id=partner.pk)
    fund(acc, 5_000_000, now=now)
    return shop


def actions(claim) -> list[str]:
    return list(ClaimEvent.objects.filter(claim=claim).values_list("action", flat=True))


def mark(claim, now, **kw):
    return services.claim_mark_malicious(
        claim=claim,
        reason=kw.pop("reason", "Same photo in 12 claims against 5 shops."),
        expires_at=kw.pop("expires_at", now + timedelta(days=180)),
        now=now,
        actor_label="ops:li",
    )


@pytest.mark.postgres(reason="the hold's release goes through the ledger's triggers")
def test_a_claim_in_review_is_rejected_and_its_hold_released_with_the_ledger_clean(
    partner, shop, now
):
    claim = file(partner, shop, now)
    services.claim_escalate(claim=claim, now=now)
    hold = Hold.objects.get(account=account(shop))
    available_before = account(shop).available_minor

    marked = mark(claim, now + timedelta(hours=1))

    assert marked.status == ClaimStatus.DECIDED
    assert marked.outcome == Outcome.REJECTED
    assert marked.compensation_minor == 0
    hold.refresh_from_db()
    assert hold.status == Hold.Status.RELEASED
    assert account(shop).available_minor == available_before + hold.amount_minor
    assert ledger_ok()
    assert actions(claim)[-2:] == ["decided:REJECTED", "marked malicious"]
    assert Event.objects.filter(type="claim.decided", partner=partner).count() == 1


def test_a_negotiating_claim_is_escalated_by_ops_without_a_hold_then_rejected(partner, shop, now):
    claim = file(partner, shop, now)

    marked = mark(claim, now)

    assert marked.status == ClaimStatus.DECIDED
    assert marked.outcome == Outcome.REJECTED
    assert marked.hold_public_id is None
    assert not Hold.objects.exists()
    assert actions(claim) == ["filed", "escalated", "decided:REJECTED", "marked malicious"]
    escalated = ClaimEvent.objects.get(claim=claim, action="escalated")
    assert escalated.actor == "OPS"
    assert [n["code"] for n in escalated.system_notes] == ["malicious", "no_hold_ops"]
    assert ledger_ok()


def test_the_consumer_is_flagged_and_their_other_open_claims_marked_for_review(partner, shop, now):
    other_shop, acc = make_shop(now=now, partner_id=partner.pk)
    fund(acc, 1_000_000, now=now)
    claim = file(partner, shop, now, consumer_ref="buyer-9")
    open_here = file(partner, shop, now, consumer_ref="buyer-9", order_ref="O-2")
    open_elsewhere = file(partner, other_shop, now, consumer_ref="buyer-9")
    withdrawn = file(partner, other_shop, now, consumer_ref="buyer-9", order_ref="O-3")
    services.claim_withdraw(claim=withdrawn, now=now)
    someone_else = file(partner, shop, now, consumer_ref="buyer-10")

    mark(claim, now, expires_at=now + timedelta(days=90))

    flag = ConsumerFlag.objects.get()
    assert (flag.partner_id, flag.consumer_ref, flag.claim_id) == (partner.pk, "buyer-9", claim.pk)
    assert flag.expires_at == now + timedelta(days=90)
    assert flag.flagged_by == "ops:li"
    review = dict(Claim.objects.values_list("pk", "needs_review"))
    assert review[open_here.pk] and review[open_elsewhere.pk]
    assert not review[withdrawn.pk] and not review[someone_else.pk]
    assert not review[claim.pk]  # decided: nothing left to review
    assert actions(open_elsewhere)[-1] == "marked for review"
    assert Claim.objects.get(pk=open_here.pk).status == ClaimStatus.NEGOTIATING


def test_a_new_claim_of_a_flagged_consumer_is_marked_for_review_at_filing(partner, shop, now):
    mark(file(partner, shop, now, consumer_ref="buyer-9"), now)

    new = file(partner, shop, now + timedelta(days=1), consumer_ref="buyer-9", order_ref="O-7")

    assert new.needs_review
    assert "flagged" in new.review_reason
    assert actions(new) == ["filed", "marked for review"]
    assert not file(partner, shop, now, consumer_ref="buyer-10").needs_review


def test_another_partners_consumer_with_the_same_ref_is_not_flagged(partner, shop, now):
    mark(file(partner, shop, now, consumer_ref="buyer-9"), now)
    jd = partner_get_or_create(name="JD")
    jd_shop, acc = make_shop(now=now, partner_id=jd.pk)

    assert not file(jd, jd_shop, now, consumer_ref="buyer-9").needs_review


def test_an_expired_or_lifted_flag_marks_no_new_claim(partner, shop, now):
    mark(file(partner, shop, now, consumer_ref="buyer-9"), now, expires_at=now + timedelta(days=1))
    after_expiry = now + timedelta(days=2)
    assert not file(
        partner, shop, after_expiry, consumer_ref="buyer-9", order_ref="O-8"
    ).needs_review

    mark(file(partner, shop, now, consumer_ref="buyer-11", order_ref="O-9"), now)
    flag = ConsumerFlag.objects.get(consumer_ref="buyer-11")
    services.consumer_flag_lift(
        flag=flag, reason="Complaints verified genuine.", now=now, actor_label="ops:wang"
    )

    assert not file(partner, shop, now, consumer_ref="buyer-11", order_ref="O-10").needs_review
    flag.refresh_from_db()
    assert (flag.lifted_by, flag.lift_reason) == ("ops:wang", "Complaints verified genuine.")
    assert actions(flag.claim)[-1] == "consumer flag lifted"
    with pytest.raises(InvalidTransition):
        services.consumer_flag_lift(flag=flag, reason="again", now=now, actor_label="ops:wang")


def test_a_decided_claim_keeps_its_decision_and_its_consumer_is_flagged(partner, shop, now):
    claim = file(partner, shop, now)
    services.claim_escalate(claim=claim, now=now)
    services.claim_decide(claim=claim, outcome="UPHELD", now=now)

    marked = mark(claim, now)

    assert marked.outcome == Outcome.UPHELD
    assert ConsumerFlag.objects.filter(consumer_ref="buyer-1").exists()


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"reason": "  "}, "reason"), ({"expires_at": "past"}, "expires_at")],
)
def test_a_reason_and_a_future_expiry_are_required(partner, shop, now, kw, field):
    claim = file(partner, shop, now)
    if kw.get("expires_at") == "past":
        kw["expires_at"] = now - timedelta(minutes=1)

    with pytest.raises(InvalidInput) as refused:
        mark(claim, now, **kw)

    assert list(refused.value.fields) == [field]
    assert not ConsumerFlag.objects.exists()
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.NEGOTIATING


def test_ops_clear_the_review_mark_after_looking(partner, shop, now):
    mark(file(partner, shop, now, consumer_ref="buyer-9"), now)
    new = file(partner, shop, now, consumer_ref="buyer-9", order_ref="O-2")

    services.claim_review_done(claim=new, now=now, actor_label="ops:li", note="Genuine.")

    assert not Claim.objects.get(pk=new.pk).needs_review
    assert actions(new)[-1] == "reviewed"

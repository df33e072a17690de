"""Four-eyes as one mechanism (approvals): every money action above its threshold waits as a
request for a different person with the supervisor's role, and is carried out only on approval,
once; a rejection keeps its reason and moves nothing; a request expires after 72 hours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from approvals import selectors
from approvals import services as four_eyes
from approvals.models import FourEyesRequest, RequestStatus, RequestWhy
from claims import services as claim_services
from claims.models import AgentLimit, ClaimStatus, CompensationRule
from common.errors import (
    ApprovalRequired,
    FourEyesRequestExpired,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
)
from deposits import services
from deposits.models import (
    Account,
    AdjustmentRequest,
    BaseRequirementRule,
    LedgerTransaction,
    ShopRequirementOverride,
)
from partners.services import partner_get_or_create
from shops import services as shop_services
from shops.models import RestrictionSource, ShopRestriction
from tests.approvals.helpers import in_role, thresholds
from tests.claims.ops_helpers import funded_shop, in_review
from tests.factories import fund, make_shop

pytestmark = pytest.mark.django_db

ABOVE = 1_500_000  # 15,000.00: above every default threshold of 10,000.00


def adjust(account, amount, maker, now, key="adj"):  # type: ignore[no-untyped-def]
    return services.deposit_adjust(
        account_id=account.pk,
        amount_minor=amount,
        reason="Bank returned a duplicate payment",
        actor=maker,
        idempotency_key=key,
        now=now,
    )


def balance(account) -> int:  # type: ignore[no-untyped-def]
    return Account.objects.get(pk=account.pk).posted_minor


class TestTheMechanism:
    def test_an_adjustment_above_the_threshold_waits_with_the_makers_reason(self, now):
        _, account = make_shop(now=now)
        maker = in_role("finance")

        request = adjust(account, ABOVE, maker, now)

        assert isinstance(request, AdjustmentRequest)
        assert request.status == RequestStatus.PENDING and request.why == RequestWhy.THRESHOLD
        assert request.reason == "Bank returned a duplicate payment"
        assert request.payload == {"account_id": account.pk, "amount_minor": ABOVE}
        assert request.expires_at == now + timedelta(hours=72)
        assert balance(account) == 0

    def test_the_maker_cannot_approve_their_own_request(self, now):
        _, account = make_shop(now=now)
        supervisor = in_role("supervisor")
        request = adjust(account, ABOVE, supervisor, now)

        with pytest.raises(ApprovalRequired):
            four_eyes.request_approve(request_id=request.pk, checker=supervisor, now=now)

        request.refresh_from_db()
        assert request.status == RequestStatus.PENDING and balance(account) == 0

    def test_a_role_that_is_not_the_second_person_cannot_approve(self, now):
        _, account = make_shop(now=now)
        request = adjust(account, ABOVE, in_role("finance"), now)

        with pytest.raises(PermissionDenied):
            four_eyes.request_approve(request_id=request.pk, checker=in_role("finance"), now=now)
        with pytest.raises(PermissionDenied):
            four_eyes.request_reject(
                request_id=request.pk, checker=in_role("risk"), now=now, note="No."
            )

        assert balance(account) == 0

    def test_approval_carries_it_out_once_with_a_key_derived_from_the_request(self, now):
        _, account = make_shop(now=now)
        request = adjust(account, ABOVE, in_role("finance"), now)
        supervisor = in_role("supervisor")

        four_eyes.request_approve(
            request_id=request.pk, checker=supervisor, now=now + timedelta(hours=1), note="OK"
        )

        request.refresh_from_db()
        posted = LedgerTransaction.objects.get(idempotency_key=f"four-eyes:{request.pk}")
        assert balance(account) == ABOVE and posted.actor == supervisor
        assert request.status == RequestStatus.APPROVED and request.checker == supervisor
        assert request.result == {"transaction_id": posted.pk}
        with pytest.raises(InvalidTransition):
            four_eyes.request_approve(request_id=request.pk, checker=in_role("supervisor"), now=now)
        assert balance(account) == ABOVE

    def test_a_rejection_keeps_its_reason_and_moves_nothing(self, now):
        _, account = make_shop(now=now)
        request = adjust(account, ABOVE, in_role("finance"), now)

        with pytest.raises(InvalidInput):
            four_eyes.request_reject(
                request_id=request.pk, checker=in_role("supervisor"), now=now, note=" "
            )
        four_eyes.request_reject(
            request_id=request.pk,
            checker=in_role("supervisor", "sam"),
            now=now,
            note="The bank has not confirmed it.",
        )

        request.refresh_from_db()
        assert request.status == RequestStatus.REJECTED
        assert request.check_note == "The bank has not confirmed it."
        assert request.checker.username == "sam"
        assert balance(account) == 0
        with pytest.raises(InvalidTransition):
            four_eyes.request_approve(request_id=request.pk, checker=in_role("supervisor"), now=now)

    def test_an_expired_request_cannot_be_approved(self, now):
        _, account = make_shop(now=now)
        request = adjust(account, ABOVE, in_role("finance"), now)

        with pytest.raises(FourEyesRequestExpired):
            four_eyes.request_approve(
                request_id=request.pk, checker=in_role("supervisor"), now=now + timedelta(hours=72)
            )

        request.refresh_from_db()
        assert request.status == RequestStatus.EXPIRED and balance(account) == 0

    def test_the_sweep_expires_requests_after_72_hours(self, now):
        _, account = make_shop(now=now)
        adjust(account, ABOVE, in_role("finance"), now)

        assert four_eyes.requests_expire(now=now + timedelta(hours=71)) == 0
        assert four_eyes.requests_expire(now=now + timedelta(hours=72)) == 1
        assert FourEyesRequest.objects.get().status == RequestStatus.EXPIRED

    def test_below_the_threshold_it_is_carried_out_at_once_as_before(self, now):
        _, account = make_shop(now=now)

        result = adjust(account, 999_999, in_role("finance"), now)

        assert not isinstance(result, FourEyesRequest)
        assert balance(account) == 999_999 and not FourEyesRequest.objects.exists()


class TestTheDailyLimitOfAdjustments:
    def test_ten_adjustments_just_under_the_threshold_in_a_day_trip_the_limit(self, now):
        # Threshold 10,000.00; a maker may adjust 50,000.00 alone in a day.
        _, account = make_shop(now=now)
        maker = in_role("finance")

        results = [
            adjust(account, 999_999, maker, now + timedelta(minutes=i), key=f"adj-{i}")
            for i in range(10)
        ]

        requests = [r for r in results if isinstance(r, FourEyesRequest)]
        assert len(requests) == 5  # the sixth crossed 50,000.00, and every one after it
        assert results.index(requests[0]) == 5
        assert {r.why for r in requests} == {RequestWhy.DAILY_LIMIT}
        assert balance(account) == 5 * 999_999

    def test_debits_count_towards_the_limit_as_much_as_credits(self, now):
        _, account = make_shop(now=now)
        fund(account, 10_000_000, now=now)
        maker = in_role("finance")

        for i in range(5):
            adjust(account, -999_999 if i % 2 else 999_999, maker, now, key=f"adj-{i}")

        assert isinstance(adjust(account, 10_000, maker, now, key="adj-6"), FourEyesRequest)

    def test_the_limit_is_per_maker_and_per_day(self, now):
        _, account = make_shop(now=now)
        alice, bob = in_role("finance"), in_role("finance")
        for i in range(5):
            adjust(account, 999_999, alice, now, key=f"a-{i}")

        assert not isinstance(adjust(account, 999_999, bob, now, key="b"), FourEyesRequest)
        tomorrow = now + timedelta(days=1)
        assert not isinstance(adjust(account, 999_999, alice, tomorrow, key="a"), FourEyesRequest)

    def test_what_a_second_person_approved_does_not_count_as_done_alone(self, now):
        _, account = make_shop(now=now)
        maker, supervisor = in_role("finance"), in_role("supervisor")
        big = adjust(account, ABOVE, maker, now, key="big")
        four_eyes.request_approve(request_id=big.pk, checker=supervisor, now=now)

        assert not isinstance(adjust(account, 999_999, maker, now, key="s"), FourEyesRequest)
        assert not isinstance(adjust(account, 999_999, supervisor, now, key="t"), FourEyesRequest)


class TestEveryKindOfAction:
    def test_a_forfeiture_above_the_threshold_forfeits_on_approval(self, now):
        _, account = make_shop(now=now)
        fund(account, 2_000_000, now=now)
        request = services.deposit_forfeit_or_request(
            account_id=account.pk,
            reason="Counterfeits confirmed",
            actor=in_role("finance"),
            idempotency_key="f",
            now=now,
        )
        assert isinstance(request, FourEyesRequest) and balance(account) == 2_000_000

        four_eyes.request_approve(request_id=request.pk, checker=in_role("supervisor"), now=now)

        assert Account.objects.get(pk=account.pk).available_minor == 0
        assert LedgerTransaction.objects.get(idempotency_key=f"four-eyes:{request.pk}").kind == (
            "FORFEIT"
        )

    def test_a_rejected_forfeiture_leaves_the_deposit(self, now):
        _, account = make_shop(now=now)
        fund(account, 2_000_000, now=now)
        request = services.deposit_forfeit_or_request(
            account_id=account.pk,
            reason="x",
            actor=in_role("finance"),
            idempotency_key="f",
            now=now,
        )

        four_eyes.request_reject(
            request_id=request.pk, checker=in_role("supervisor"), now=now, note="Not proven."
        )

        assert balance(account) == 2_000_000

    def test_a_small_forfeiture_is_carried_out_at_once(self, now):
        _, account = make_shop(now=now)
        fund(account, 500_000, now=now)

        services.deposit_forfeit_or_request(
            account_id=account.pk,
            reason="x",
            actor=in_role("finance"),
            idempotency_key="f",
            now=now,
        )

        assert Account.objects.get(pk=account.pk).available_minor == 0

    def _frozen(self, now):  # type: ignore[no-untyped-def]
        shop, _ = make_shop(now=now)
        shop_services.shop_freeze(shop=shop, reason="Fraud review", actor=in_role("risk"), now=now)
        return shop

    def _frozen_by_hand(self, shop) -> bool:  # type: ignore[no-untyped-def]
        return ShopRestriction.objects.filter(
            shop=shop, source=RestrictionSource.MANUAL, lifted_at__isnull=True
        ).exists()

    def test_a_manual_unfreeze_waits_and_is_lifted_on_approval(self, now):
        shop = self._frozen(now)
        request = shop_services.shop_unfreeze_or_request(
            shop=shop, reason="Review cleared", actor=in_role("risk"), now=now
        )
        assert isinstance(request, FourEyesRequest) and request.why == RequestWhy.ALWAYS
        assert self._frozen_by_hand(shop)

        four_eyes.request_approve(request_id=request.pk, checker=in_role("supervisor"), now=now)

        assert not self._frozen_by_hand(shop)

    def test_a_rejected_unfreeze_leaves_the_shop_frozen(self, now):
        shop = self._frozen(now)
        request = shop_services.shop_unfreeze_or_request(
            shop=shop, reason="Review cleared", actor=in_role("risk"), now=now
        )

        four_eyes.request_reject(
            request_id=request.pk, checker=in_role("supervisor"), now=now, note="Not yet."
        )

        assert self._frozen_by_hand(shop)

    def test_unfreezing_with_four_eyes_off_lifts_at_once(self, now, settings):
        thresholds(settings, shops__unfreeze=None)
        shop = self._frozen(now)

        shop_services.shop_unfreeze_or_request(
            shop=shop, reason="ok", actor=in_role("risk"), now=now
        )

        assert not self._frozen_by_hand(shop)

    def test_an_override_lowering_the_requirement_far_waits_and_applies_on_approval(self, now):
        shop, account = make_shop(now=now)
        required = account.required_minor
        assert required > 1_000_000
        request = services.override_set_or_request(
            shop=shop, amount_minor=0, reason="Charity shop", actor=in_role("risk"), now=now
        )
        assert isinstance(request, FourEyesRequest) and request.amount_minor == required
        assert not ShopRequirementOverride.objects.exists()

        four_eyes.request_approve(request_id=request.pk, checker=in_role("supervisor"), now=now)

        assert ShopRequirementOverride.objects.get(shop=shop).amount_minor == 0
        assert Account.objects.get(pk=account.pk).required_minor == 0

    def test_an_override_raising_the_requirement_applies_at_once(self, now):
        shop, account = make_shop(now=now)

        services.override_set_or_request(
            shop=shop,
            amount_minor=account.required_minor + 5_000_000,
            reason="Risky categories",
            actor=in_role("risk"),
            now=now,
        )

        assert ShopRequirementOverride.objects.filter(shop=shop).exists()

    def test_a_requirement_rule_change_is_saved_only_on_approval(self, now):
        rule = BaseRequirementRule(
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            amount_minor=8_000_000,
            effective_from=now - timedelta(minutes=1),
            note="2027 tariff",
        )
        before = BaseRequirementRule.objects.count()
        request = services.requirement_rule_request(
            rule=rule, actor=in_role("supervisor"), now=now, reason="2027 tariff", changed_fields=[]
        )
        assert BaseRequirementRule.objects.count() == before

        four_eyes.request_approve(request_id=request.pk, checker=in_role("supervisor"), now=now)

        assert BaseRequirementRule.objects.filter(
            amount_minor=8_000_000, note="2027 tariff"
        ).exists()

    def test_a_compensation_rule_change_is_saved_only_on_approval_and_not_on_rejection(self, now):
        def typed():  # type: ignore[no-untyped-def]
            return CompensationRule(
                reason="LATE_SHIPMENT",
                currency="CNY",
                kind="RATE",
                rate_bps=4000,
                effective_from=now + timedelta(days=30),
            )

        maker = in_role("supervisor")
        kept = claim_services.compensation_rule_request(
            rule=typed(), actor=maker, now=now, reason="Raise to 40%", changed_fields=[]
        )
        dropped = claim_services.compensation_rule_request(
            rule=typed(), actor=maker, now=now, reason="Raise to 40%", changed_fields=[]
        )
        four_eyes.request_reject(
            request_id=dropped.pk, checker=in_role("supervisor"), now=now, note="Duplicate."
        )
        assert not CompensationRule.objects.filter(rate_bps=4000).exists()

        four_eyes.request_approve(request_id=kept.pk, checker=in_role("supervisor"), now=now)

        assert CompensationRule.objects.filter(rate_bps=4000).count() == 1


class TestClaimsAgentLimits:
    def test_an_agent_above_their_own_limit_makes_a_request_a_supervisor_approves(self, now):
        partner = partner_get_or_create(name="Tmall")
        shop = funded_shop(partner, now)
        claim = in_review(partner, shop, at=now)  # late shipment: an award of 300.00
        agent = in_role("claims_agent")
        AgentLimit.objects.create(user=agent, limit_minor=10_000)  # 100.00

        request = claim_services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Late.", maker=agent, now=now
        )

        assert isinstance(request, FourEyesRequest) and request.why == RequestWhy.OWN_LIMIT
        decided = claim_services.claim_decision_approve(
            request_id=request.pk, checker=in_role("supervisor"), now=now
        )
        assert decided.status == ClaimStatus.DECIDED and decided.compensation_minor == 30_000

    def test_an_agent_within_their_limit_decides_at_once(self, now):
        partner = partner_get_or_create(name="Tmall")
        shop = funded_shop(partner, now)
        claim = in_review(partner, shop, at=now)
        agent = in_role("claims_agent")
        AgentLimit.objects.create(user=agent, limit_minor=50_000)

        decided = claim_services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Late.", maker=agent, now=now
        )

        assert decided.status == ClaimStatus.DECIDED

    def test_a_claims_agent_cannot_approve_another_agents_decision(self, now):
        partner = partner_get_or_create(name="Tmall")
        shop = funded_shop(partner, now)
        claim = in_review(partner, shop, at=now)
        agent = in_role("claims_agent")
        AgentLimit.objects.create(user=agent, limit_minor=0)
        request = claim_services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Late.", maker=agent, now=now
        )

        with pytest.raises(PermissionDenied):
            claim_services.claim_decision_approve(
                request_id=request.pk, checker=in_role("claims_agent"), now=now
            )


class TestWaitingForMe:
    def test_a_supervisor_sees_what_others_asked_for_and_not_their_own(self, now):
        _, account = make_shop(now=now)
        sam, sue = in_role("supervisor"), in_role("supervisor")
        theirs = adjust(account, ABOVE, in_role("finance"), now, key="1")
        own = adjust(account, ABOVE, sam, now, key="2")

        waiting = selectors.requests_waiting_for(sam, now=now)

        assert list(waiting) == [theirs]
        assert set(selectors.requests_waiting_for(sue, now=now)) == {theirs, own}
        assert selectors.requests_waiting_for(in_role("finance"), now=now).count() == 0
        assert selectors.requests_waiting_for(sam, now=now + timedelta(hours=72)).count() == 0

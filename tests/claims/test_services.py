"""Claims services against PostgreSQL: real holds, captures, releases and debt, and the ledger
checked after each money path."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection

from claims import services
from claims.models import Claim, ClaimStatus
from common.errors import ClaimAlreadyDecided, InvalidClaimStatus, InvalidInput
from deposits import services as deposit_services
from deposits.models import Account, Hold
from partners.models import Event
from partners.services import partner_get_or_create
from tests.factories import fund, make_shop

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop_account(partner, now):
    shop, account = make_shop(now=now, partner_id=partner.pk)
    return shop, fund(account, 5_000_000, now=now)


_refs = iter(range(1, 10_000))


def file(partner, shop, now, *, reason="LATE_SHIPMENT", paid=100_000, paid_at=None, **kw):
    claim, _ = services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=kw.pop("external_ref", f"C-{next(_refs)}"),
        reason=reason,
        order_ref=kw.pop("order_ref", "O-1"),
        order_paid_minor=paid,
        currency="CNY",
        order_paid_at=paid_at or now - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref=kw.pop("consumer_ref", "buyer-1"),
        description="Not shipped after 48 hours.",
        now=now,
        **kw,
    )
    return claim


def account(shop) -> Account:
    return Account.objects.get(shop=shop)


def ledger_ok() -> bool:
    return deposit_services.ledger_check_run().ok


class TestFile:
    def test_a_late_shipment_claim_negotiates_with_its_estimate(self, partner, shop_account, now):
        shop, _ = shop_account

        claim = file(partner, shop, now)

        assert claim.status == ClaimStatus.NEGOTIATING
        assert claim.compensation_minor == 30_000
        assert claim.rule.reason == "LATE_SHIPMENT"
        assert claim.respond_by == now + timedelta(hours=48)
        assert [e.action for e in claim.events.all()] == ["filed"]
        assert Event.objects.filter(type="claim.filed", partner=partner).count() == 1

    def test_filing_the_same_external_ref_again_returns_the_same_claim(
        self, partner, shop_account, now
    ):
        shop, _ = shop_account
        first = file(partner, shop, now, external_ref="C-same")

        again = file(partner, shop, now, external_ref="C-same")

        assert again.pk == first.pk
        assert Claim.objects.count() == 1

    def test_bad_fields_are_all_named_and_nothing_is_written(self, partner, shop_account, now):
        shop, _ = shop_account

        with pytest.raises(InvalidInput) as caught:
            services.claim_file(
                partner_id=partner.pk,
                shop=shop,
                external_ref="C-bad",
                reason="LATE_SHIPMENT",
                order_ref="O-1",
                order_paid_minor=100,
                currency="USD",
                order_paid_at=now + timedelta(hours=1),
                order_shipped_at=now,
                consumer_ref="b",
                description="x",
                now=now,
            )

        assert set(caught.value.fields) == {"order.currency", "order.paid_at", "order.shipped_at"}
        assert Claim.objects.count() == 0


class TestEscalateAndDecide:
    def test_upheld_captures_the_hold(self, partner, shop_account, now):
        shop, _ = shop_account
        claim = services.claim_escalate(claim=file(partner, shop, now), now=now)
        hold = Hold.objects.get(public_id=claim.hold_public_id)
        assert hold.amount_minor == 30_000 and account(shop).held_minor == 30_000

        decided = services.claim_decide(claim=claim, outcome="UPHELD", now=now)

        hold.refresh_from_db()
        assert decided.status == ClaimStatus.DECIDED
        assert decided.compensation_minor == 30_000
        assert hold.status == Hold.Status.CAPTURED
        assert [(f.source, f.amount_minor) for f in decided.funding.all()] == [("DEPOSIT", 30_000)]
        assert account(shop).posted_minor == 5_000_000 - 30_000
        assert account(shop).held_minor == 0
        assert ledger_ok()

    def test_partly_upheld_captures_part_and_releases_the_rest(self, partner, shop_account, now):
        shop, _ = shop_account
        claim = services.claim_escalate(claim=file(partner, shop, now), now=now)

        decided = services.claim_decide(
            claim=claim, outcome="PARTLY_UPHELD", amount_minor=10_000, now=now
        )

        assert decided.compensation_minor == 10_000
        assert "Partly upheld: 100.00 CNY of the rule's 300.00 CNY" in decided.computation_en
        assert account(shop).posted_minor == 5_000_000 - 10_000
        assert account(shop).held_minor == 0
        assert ledger_ok()

    def test_an_award_beyond_the_hold_becomes_debt(self, partner, now):
        shop, acct = make_shop(now=now, partner_id=partner.pk)
        fund(acct, 20_000, now=now)
        claim = file(partner, shop, now, reason="COUNTERFEIT", paid=10_000)  # 500.00
        claim = services.claim_escalate(claim=claim, now=now)
        assert Hold.objects.get(public_id=claim.hold_public_id).amount_minor == 20_000

        decided = services.claim_decide(claim=claim, outcome="UPHELD", now=now)

        funding = sorted((f.source, f.amount_minor) for f in decided.funding.all())
        assert funding == [("DEBT", 30_000), ("DEPOSIT", 20_000)]
        assert account(shop).posted_minor == 0
        assert account(shop).debt_minor == 30_000
        assert ledger_ok()

    def test_rejected_releases_the_hold(self, partner, shop_account, now):
        shop, _ = shop_account
        claim = services.claim_escalate(claim=file(partner, shop, now), now=now)

        decided = services.claim_decide(claim=claim, outcome="REJECTED", now=now)

        assert decided.outcome == "REJECTED" and decided.compensation_minor == 0
        assert Hold.objects.get(public_id=claim.hold_public_id).status == Hold.Status.RELEASED
        assert account(shop).posted_minor == 5_000_000 and account(shop).held_minor == 0
        assert list(decided.funding.all()) == []
        assert ledger_ok()

    def test_withdrawing_releases_the_hold(self, partner, shop_account, now):
        shop, _ = shop_account
        claim = services.claim_escalate(claim=file(partner, shop, now), now=now)

        withdrawn = services.claim_withdraw(claim=claim, now=now)

        assert withdrawn.status == ClaimStatus.WITHDRAWN
        assert Hold.objects.get(public_id=claim.hold_public_id).status == Hold.Status.RELEASED
        assert account(shop).held_minor == 0
        assert ledger_ok()

    def test_settling_deducts_nothing(self, partner, shop_account, now):
        shop, _ = shop_account

        settled = services.claim_settle(claim=file(partner, shop, now), now=now)

        assert settled.status == ClaimStatus.SETTLED
        assert account(shop).posted_minor == 5_000_000

    def test_the_cap_counts_the_earlier_award_of_an_order_paid_within_24_hours(
        self, partner, shop_account, now
    ):
        shop, _ = shop_account
        first = services.claim_escalate(
            claim=file(partner, shop, now, paid_at=now - timedelta(days=3)), now=now
        )
        services.claim_decide(claim=first, outcome="UPHELD", now=now)
        second = services.claim_escalate(
            claim=file(partner, shop, now, paid_at=now - timedelta(days=3, hours=-10)), now=now
        )

        decided = services.claim_decide(claim=second, outcome="UPHELD", now=now)

        assert decided.compensation_minor == 20_000
        assert "cap takes off 100.00 CNY" in decided.computation_en
        assert ledger_ok()

    def test_ops_reasons_need_an_amount(self, partner, shop_account, now):
        shop, _ = shop_account
        claim = services.claim_escalate(
            claim=file(partner, shop, now, reason="AFTER_SALES", requested_minor=8_000), now=now
        )

        with pytest.raises(InvalidInput) as caught:
            services.claim_decide(claim=claim, outcome="UPHELD", now=now)

        assert "amount_minor" in caught.value.fields
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW

    def test_a_second_decision_is_refused(self, partner, shop_account, now):
        shop, _ = shop_account
        claim = services.claim_escalate(claim=file(partner, shop, now), now=now)
        services.claim_decide(claim=claim, outcome="UPHELD", now=now)

        with pytest.raises(ClaimAlreadyDecided):
            services.claim_decide(claim=claim, outcome="REJECTED", now=now)

    def test_deciding_before_escalation_is_an_invalid_status(self, partner, shop_account, now):
        shop, _ = shop_account

        with pytest.raises(InvalidClaimStatus):
            services.claim_decide(claim=file(partner, shop, now), outcome="UPHELD", now=now)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="two decisions racing on row locks in separate connections")
class TestDecisionRace:
    def test_one_decision_wins_the_other_is_already_decided(self, partner, shop_account, now):
        shop, _ = shop_account
        claim = services.claim_escalate(claim=file(partner, shop, now), now=now)
        barrier = threading.Barrier(2)
        results: list[str] = []

        def decide(outcome: str) -> None:
            try:
                barrier.wait()
                services.claim_decide(claim=claim, outcome=outcome, now=now)
                results.append("won")
            except ClaimAlreadyDecided as exc:
                results.append(exc.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=decide, args=(o,)) for o in ("UPHELD", "REJECTED")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert sorted(results) == ["claim_already_decided", "won"]
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DECIDED
        assert Hold.objects.get(public_id=claim.hold_public_id).status != Hold.Status.ACTIVE
        assert ledger_ok()

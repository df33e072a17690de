"""What partners hear from the ledger: one outbox event per change, in the change's transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.errors import InsufficientFunds
from deposits import services
from partners.models import Event, Partner
from shops import services as shop_services
from tests.factories import fund, make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    return Partner.objects.create(name="Marketplace")


def events(type_: str) -> list[Event]:
    return list(Event.objects.filter(type=type_).order_by("id"))


class TestEntryPosted:
    def test_a_top_up_tells_the_shops_partner_with_the_entry_and_the_new_deposit(
        self, now, partner
    ):
        shop, account = make_shop(now=now, partner_id=partner.pk)

        services.deposit_top_up(
            account_id=account.pk,
            amount_minor=700,
            currency="CNY",
            payment_ref="P-1",
            idempotency_key="t-1",
            now=now,
        )

        (event,) = events("deposit.entry_posted")
        assert event.partner_id == partner.pk
        assert event.ordering_key == str(shop.public_id)
        assert event.data["kind"] == "TOP_UP"
        assert event.data["entry"]["amount_minor"] == 700
        assert event.data["entry"]["balance_after_minor"] == 700
        assert event.data["deposit"]["posted_minor"] == 700

    def test_a_replay_and_a_refusal_tell_nobody(self, now, partner):
        _, account = make_shop(now=now, partner_id=partner.pk)
        fund(account, 100, now=now)
        kwargs = dict(
            account_id=account.pk,
            amount_minor=60,
            currency="CNY",
            reason="late",
            reference="O-1",
            now=now,
        )
        services.deposit_deduct(idempotency_key="d-1", **kwargs)

        services.deposit_deduct(idempotency_key="d-1", **kwargs)
        with pytest.raises(InsufficientFunds):
            services.deposit_deduct(**{**kwargs, "amount_minor": 1_000}, idempotency_key="d-2")

        kinds = [e.data["kind"] for e in events("deposit.entry_posted")]
        assert kinds == ["TOP_UP", "DEDUCTION"]

    def test_a_deduction_into_debt_lists_both_buckets(self, now, partner):
        _, account = make_shop(now=now, partner_id=partner.pk)
        fund(account, 60, now=now)

        services.deposit_deduct(
            account_id=account.pk,
            amount_minor=100,
            currency="CNY",
            reason="late",
            reference="O",
            idempotency_key="d",
            now=now,
            allow_debt=True,
        )

        event = events("deposit.entry_posted")[-1]
        assert [(e["bucket"], e["amount_minor"]) for e in event.data["entries"]] == [
            ("POSTED", -60),
            ("DEBT", -40),
        ]
        assert event.data["deposit"]["debt_minor"] == 40


class TestHoldExpired:
    def test_an_expired_hold_is_announced_once(self, now, partner):
        _, account = make_shop(now=now, partner_id=partner.pk)
        fund(account, 1_000, now=now)
        hold = services.hold_place(
            account_id=account.pk,
            amount_minor=300,
            currency="CNY",
            reason="claim",
            reference="C-1",
            expires_at=now + timedelta(hours=1),
            idempotency_key="h",
            now=now,
        )

        services.holds_expire_due(now=now + timedelta(hours=2))
        services.holds_expire_due(now=now + timedelta(hours=3))

        (event,) = events("hold.expired")
        assert event.data["hold"]["id"] == str(hold.public_id)
        assert event.data["hold"]["status"] == "EXPIRED"
        assert event.data["deposit"]["held_minor"] == 0


class TestShopStatusChanged:
    def test_going_live_and_an_ops_freeze_are_announced(self, now, partner):
        shop, account = make_shop(now=now, partner_id=partner.pk)

        fund(account, account.required_minor, now=now)
        shop_services.shop_freeze(
            shop=shop, reason="Counterfeit investigation", actor=make_user(staff=True), now=now
        )

        changes = [
            (e.data["previous_status"], e.data["status"]) for e in events("shop.status_changed")
        ]
        assert changes == [("ONBOARDING", "ACTIVE"), ("ACTIVE", "FROZEN")]
        frozen = events("shop.status_changed")[-1]
        assert frozen.data["restrictions"][0]["reason"] == "Counterfeit investigation"

    def test_a_change_that_keeps_the_status_says_nothing(self, now, partner):
        shop, _ = make_shop(now=now, partner_id=partner.pk)

        shop_services.shop_refresh_status(shop=shop, now=now)

        assert events("shop.status_changed") == []

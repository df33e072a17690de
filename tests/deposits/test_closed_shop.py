"""A closed shop (exit confirmed, 退店) in ops' hands: new money movements are refused with
`shop_closed` and write nothing; the final disposal of the deposit (refund, or forfeiture of a
shop cleared out for counterfeits) still goes through."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from common.errors import InvalidInput, ShopClosed
from deposits import services
from deposits.models import AdjustmentRequest, Entry, LedgerTransaction
from tests.factories import fund, make_shop, make_user

pytestmark = pytest.mark.django_db

REQUIRED = 5_000_000


@pytest.fixture
def ops(client):
    user = make_user("ops-closing", staff=True)
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.ops = user
    return client


@pytest.fixture
def closed(now):
    shop, account = make_shop(now=now)
    fund(account, REQUIRED, now=now)
    services.shop_exit_confirm(shop=shop, now=now)
    account.refresh_from_db()
    return shop, account


def ledger_rows() -> tuple[int, int]:
    return LedgerTransaction.objects.count(), Entry.objects.count()


class TestAdminAdjustOfAClosedShop:
    def test_is_refused_with_a_message_and_writes_nothing(self, ops, closed):
        _, account = closed
        before = ledger_rows()

        response = ops.post(
            reverse("admin:deposits_account_changelist"),
            {
                "action": "adjust",
                "_selected_action": [str(account.pk)],
                "amount": "-100",
                "reason": "Bank fee",
            },
            follow=True,
        )

        texts = [str(m) for m in get_messages(response.wsgi_request)]
        assert response.status_code == 200
        assert any("The shop has exited" in t for t in texts)
        assert ledger_rows() == before
        account.refresh_from_db()
        assert account.posted_minor == REQUIRED

    def test_a_large_adjustment_is_not_even_queued_for_approval(self, ops, closed):
        _, account = closed

        with pytest.raises(ShopClosed):
            services.deposit_adjust(
                account_id=account.pk,
                amount_minor=-2_000_000,
                reason="Bank fee",
                actor=ops.ops,
                idempotency_key="adj-big",
                now=timezone.now(),
            )

        assert not AdjustmentRequest.objects.exists()

    def test_an_adjustment_requested_before_the_exit_cannot_be_approved_after_it(self, ops, now):
        shop, account = make_shop(now=now)
        fund(account, REQUIRED, now=now)
        request = services.deposit_adjust(
            account_id=account.pk,
            amount_minor=2_000_000,
            reason="Compensation returned",
            actor=ops.ops,
            idempotency_key="adj-before",
            now=now,
        )
        services.shop_exit_confirm(shop=shop, now=now)
        before = ledger_rows()

        with pytest.raises(ShopClosed):
            services.adjustment_approve(
                request_id=request.pk, actor=make_user("second", staff=True), now=now
            )

        request.refresh_from_db()
        assert request.status == AdjustmentRequest.Status.PENDING
        assert ledger_rows() == before


class TestFinalDisposalOfAClosedShop:
    def test_a_shop_cleared_out_for_counterfeits_forfeits_its_deposit(self, ops, closed, now):
        _, account = closed

        result = services.deposit_forfeit(
            account_id=account.pk,
            reason="售假清退：没收保证金",
            actor=ops.ops,
            idempotency_key="forfeit-closed",
            now=now,
        )

        assert result.transaction.amount_minor == REQUIRED
        account.refresh_from_db()
        assert account.posted_minor == 0


class TestExitConfirmation:
    def test_an_exit_dated_before_the_shops_latest_posting_is_refused_naming_closed_at(self, now):
        shop, account = make_shop(now=now - timedelta(days=60))
        fund(account, REQUIRED, now=now)  # money moved today

        with pytest.raises(InvalidInput) as refused:
            # Backdated 50 days, the refund date (30 days + 10 working days later) would
            # already have passed: the claims window after the exit would be skipped.
            services.shop_exit_confirm(shop=shop, now=now - timedelta(days=50))

        assert "closed_at" in refused.value.fields
        shop.refresh_from_db()
        assert shop.closed_at is None and shop.status == "ACTIVE"

    def test_an_exit_confirmed_now_is_refunded_only_after_the_exit_delay(self, now):
        shop, account = make_shop(now=now)
        fund(account, REQUIRED, now=now)

        services.shop_exit_confirm(shop=shop, now=now)

        shop.refresh_from_db()
        assert shop.closed_at == now
        assert services.refund_available_at(shop.closed_at) > now + timedelta(days=40)


class TestTheLedgerRefusesAClosedShopUnderItsLock:
    """The services' early check reads the shop without a lock; the posting checks again under
    the account's lock. Here the early check has (as in a race with the exit's confirmation)
    read the shop while it was still open."""

    @pytest.fixture
    def early_check_saw_it_open(self, monkeypatch):
        from deposits.services import holds, operations

        def saw_open(*, account_id, idempotency_key=None, snapshot=None):
            return snapshot

        monkeypatch.setattr(operations, "refuse_when_closed", saw_open)
        monkeypatch.setattr(holds, "refuse_when_closed", saw_open)

    def test_a_deduction_is_refused_and_nothing_is_written(
        self, closed, now, early_check_saw_it_open
    ):
        _, account = closed
        before = ledger_rows()

        with pytest.raises(ShopClosed):
            services.deposit_deduct(
                account_id=account.pk,
                amount_minor=100,
                currency="CNY",
                reason="late shipment",
                reference="order-1",
                idempotency_key="deduct-after-exit",
                now=now,
            )

        assert ledger_rows() == before
        account.refresh_from_db()
        assert account.posted_minor == REQUIRED

    def test_a_top_up_and_a_hold_are_refused_too(self, closed, now, early_check_saw_it_open):
        _, account = closed
        before = ledger_rows()

        with pytest.raises(ShopClosed):
            services.deposit_top_up(
                account_id=account.pk,
                amount_minor=100,
                currency="CNY",
                payment_ref="pay-after-exit",
                idempotency_key="top-up-after-exit",
                now=now,
            )
        with pytest.raises(ShopClosed):
            services.hold_place(
                account_id=account.pk,
                amount_minor=100,
                currency="CNY",
                reason="claim",
                reference="claim-1",
                expires_at=now + timedelta(days=3),
                idempotency_key="hold-after-exit",
                now=now,
            )

        assert ledger_rows() == before
        assert not account.holds.exists()

    def test_the_sql_function_refuses_the_same_kinds_as_python(self):
        from pathlib import Path

        from deposits.services.posting_plan import REFUSED_WHEN_CLOSED

        sql = (Path(services.__file__).parent.parent / "sql" / "posting_v2.sql").read_text()
        listed = sql.split("AND p_kind IN (", 1)[1].split(")", 1)[0]

        assert {kind.strip(" '") for kind in listed.split(",")} == REFUSED_WHEN_CLOSED


class TestConfirmExitInTheAdmin:
    def test_ops_confirm_an_exit_dated_now_and_the_refund_date_is_in_the_future(self, ops, now):
        shop, account = make_shop(now=now - timedelta(days=1))
        fund(account, REQUIRED, now=now - timedelta(days=1))

        response = ops.post(
            reverse("admin:shops_shop_changelist"),
            {"action": "confirm_exit", "_selected_action": [shop.pk]},
        )

        assert response.status_code == 302
        shop.refresh_from_db()
        assert shop.closed_at is not None
        assert abs((shop.closed_at - timezone.now()).total_seconds()) < 60
        assert services.refund_available_at(shop.closed_at) > timezone.now() + timedelta(days=30)

"""Ledger operations through the service layer: what each one posts, refuses and replays."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from common.errors import (
    ApprovalRequired,
    CurrencyMismatch,
    DuplicateReference,
    HoldNotActive,
    IdempotencyKeyReused,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    RefundBlocked,
    ShopFrozen,
    WouldCauseShortfall,
)
from deposits import services
from deposits.models import AdjustmentRequest, Entry, Hold, LedgerTransaction
from shops.models import ShopStatus
from tests.factories import fund, make_shop, make_user

pytestmark = pytest.mark.django_db

YUAN = 100


def deduct(account, amount, *, key, now, allow_debt=False, currency="CNY"):
    return services.deposit_deduct(
        account_id=account.pk,
        amount_minor=amount,
        currency=currency,
        reason="延迟发货赔付",
        reference=f"ORDER-{key}",
        idempotency_key=key,
        now=now,
        allow_debt=allow_debt,
    )


def balances(account):
    account.refresh_from_db()
    return account.posted_minor, account.held_minor, account.debt_minor


class TestDepositTopUp:
    def test_credits_the_deposit_and_the_payments_clearing_account(self, now):
        _, account = make_shop(now=now)

        result = services.deposit_top_up(
            account_id=account.pk,
            amount_minor=50_000 * YUAN,
            currency="CNY",
            payment_ref="PAY-1",
            idempotency_key="k1",
            now=now,
        )

        assert balances(account) == (5_000_000, 0, 0)
        amounts = sorted(e.amount_minor for e in result.transaction.entries.all())
        assert amounts == [-5_000_000, 5_000_000]
        assert result.entry.balance_after_minor == 5_000_000

    def test_takes_an_onboarding_shop_live_once_the_requirement_is_paid_in_full(self, now):
        shop, account = make_shop(now=now)  # flagship, registered: 50,000 required
        fund(account, 49_999 * YUAN, now=now)
        shop.refresh_from_db()
        assert shop.status == ShopStatus.ONBOARDING

        fund(account, 1 * YUAN, now=now)

        shop.refresh_from_db()
        assert shop.status == ShopStatus.ACTIVE
        assert shop.went_live_at == now

    def test_pays_off_debt_before_raising_the_balance(self, now):
        _, account = make_shop(now=now)
        fund(account, 100 * YUAN, now=now)
        deduct(account, 300 * YUAN, key="d", now=now, allow_debt=True)
        assert balances(account) == (0, 0, 200 * YUAN)

        fund(account, 500 * YUAN, now=now)

        assert balances(account) == (300 * YUAN, 0, 0)

    def test_a_payment_reference_credits_only_once_whatever_the_key(self, now):
        _, account = make_shop(now=now)
        kwargs = dict(
            account_id=account.pk, amount_minor=100, currency="CNY", payment_ref="PAY-X", now=now
        )
        services.deposit_top_up(idempotency_key="first", **kwargs)

        with pytest.raises(DuplicateReference):
            services.deposit_top_up(idempotency_key="second", **kwargs)

        assert balances(account) == (100, 0, 0)

    def test_refuses_an_amount_in_another_currency_without_storing_anything(self, now):
        _, account = make_shop(now=now)

        with pytest.raises(CurrencyMismatch) as error:
            services.deposit_top_up(
                account_id=account.pk,
                amount_minor=100,
                currency="USD",
                payment_ref="P",
                idempotency_key="usd",
                now=now,
            )

        assert error.value.fields == {"currency": ["Must be CNY, the deposit's currency."]}
        assert not LedgerTransaction.objects.filter(idempotency_key="usd").exists()

    @pytest.mark.parametrize("amount", [0, -5, 10**16, True, "100"])
    def test_refuses_amounts_that_are_not_positive_integers(self, now, amount):
        _, account = make_shop(now=now)

        with pytest.raises(InvalidInput) as error:
            services.deposit_top_up(
                account_id=account.pk,
                amount_minor=amount,
                currency="CNY",
                payment_ref="P",
                idempotency_key="bad",
                now=now,
            )

        assert "amount_minor" in error.value.fields


class TestDepositDeduct:
    def test_refuses_when_available_is_short_and_the_refusal_stays_under_its_key(self, now):
        _, account = make_shop(now=now)
        fund(account, 100, now=now)

        with pytest.raises(InsufficientFunds):
            deduct(account, 101, key="short", now=now)
        fund(account, 1_000, now=now)
        with pytest.raises(InsufficientFunds):
            deduct(account, 101, key="short", now=now)  # a key that failed stays failed

        assert balances(account) == (1_100, 0, 0)
        stored = LedgerTransaction.objects.get(idempotency_key="short")
        assert (stored.status, stored.error_code) == ("FAILED", "insufficient_funds")
        assert not stored.entries.exists()

    def test_held_money_is_not_available_for_a_deduction(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        services.hold_place(
            account_id=account.pk,
            amount_minor=800,
            currency="CNY",
            reason="claim",
            reference="C1",
            expires_at=now + timedelta(days=3),
            idempotency_key="h",
            now=now,
        )

        with pytest.raises(InsufficientFunds):
            deduct(account, 201, key="d", now=now)

    def test_with_allow_debt_takes_what_is_available_and_records_the_rest_as_debt(self, now):
        _, account = make_shop(now=now)
        fund(account, 60, now=now)

        result = deduct(account, 100, key="debt", now=now, allow_debt=True)

        assert balances(account) == (0, 0, 40)
        by_bucket = {
            (e.bucket, e.account_id == account.pk): e.amount_minor
            for e in result.transaction.entries.all()
        }
        assert by_bucket == {("POSTED", True): -60, ("DEBT", True): -40, ("POSTED", False): 100}

    def test_with_allow_debt_and_nothing_available_posts_only_debt(self, now):
        _, account = make_shop(now=now)

        result = deduct(account, 100, key="all-debt", now=now, allow_debt=True)

        assert balances(account) == (0, 0, 100)
        assert result.entry.bucket == Entry.Bucket.DEBT

    def test_a_replay_returns_the_first_result_without_posting_again(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        first = deduct(account, 100, key="once", now=now)

        again = deduct(account, 100, key="once", now=now)

        assert again.replayed and again.transaction.pk == first.transaction.pk
        assert balances(account) == (900, 0, 0)

    def test_the_same_key_with_other_parameters_is_refused(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        deduct(account, 100, key="k", now=now)

        with pytest.raises(IdempotencyKeyReused):
            deduct(account, 200, key="k", now=now)

        assert balances(account) == (900, 0, 0)


class TestHolds:
    def place(self, account, amount, now, key="h1", days=3):
        return services.hold_place(
            account_id=account.pk,
            amount_minor=amount,
            currency="CNY",
            reason="counterfeit claim",
            reference="CLAIM-1",
            expires_at=now + timedelta(days=days),
            idempotency_key=key,
            now=now,
        )

    def test_a_hold_reserves_without_moving_money(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)

        hold = self.place(account, 300, now)

        assert hold.status == Hold.Status.ACTIVE
        assert balances(account) == (1_000, 300, 0)
        assert account.available_minor == 700

    def test_refuses_to_hold_more_than_is_available(self, now):
        _, account = make_shop(now=now)
        fund(account, 100, now=now)

        with pytest.raises(InsufficientFunds):
            self.place(account, 101, now)

    def test_a_partial_capture_pays_that_much_and_releases_the_rest(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        hold = self.place(account, 300, now)

        captured = services.hold_capture(
            hold_id=hold.pk, amount_minor=120, idempotency_key="c", now=now
        )

        assert (captured.status, captured.captured_minor) == ("CAPTURED", 120)
        assert balances(account) == (880, 0, 0)

    def test_capture_defaults_to_the_whole_hold(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        hold = self.place(account, 300, now)

        captured = services.hold_capture(hold_id=hold.pk, idempotency_key="c", now=now)

        assert captured.captured_minor == 300
        assert balances(account) == (700, 0, 0)

    def test_capturing_more_than_held_is_refused(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        hold = self.place(account, 300, now)

        with pytest.raises(InvalidInput):
            services.hold_capture(hold_id=hold.pk, amount_minor=301, idempotency_key="c", now=now)

        assert balances(account) == (1_000, 300, 0)

    def test_a_released_hold_cannot_be_captured(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        hold = self.place(account, 300, now)
        services.hold_release(hold_id=hold.pk, idempotency_key="r", now=now)

        with pytest.raises(HoldNotActive):
            services.hold_capture(hold_id=hold.pk, idempotency_key="c", now=now)

        assert balances(account) == (1_000, 0, 0)

    def test_the_sweeper_expires_due_holds_only_once(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        due = self.place(account, 100, now, key="due", days=1)
        later = self.place(account, 200, now, key="later", days=5)

        expired_first = services.holds_expire_due(now=now + timedelta(days=2))
        expired_again = services.holds_expire_due(now=now + timedelta(days=2))

        assert (expired_first, expired_again) == (1, 0)
        due.refresh_from_db()
        later.refresh_from_db()
        assert (due.status, later.status) == ("EXPIRED", "ACTIVE")
        assert balances(account) == (1_000, 200, 0)

    def test_a_hold_cannot_expire_before_its_time(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        hold = self.place(account, 100, now, days=1)

        assert services.hold_expire(hold_id=hold.pk, now=now) is False
        assert services.hold_expire(hold_id=hold.pk, now=now + timedelta(days=1)) is True
        hold.refresh_from_db()
        assert hold.status == "EXPIRED"


class TestDepositWithdraw:
    def test_pays_out_surplus_above_the_requirement(self, now):
        _, account = make_shop(now=now)  # 50,000 required
        fund(account, 53_000 * YUAN, now=now)

        services.deposit_withdraw(
            account_id=account.pk,
            amount_minor=3_000 * YUAN,
            currency="CNY",
            idempotency_key="w",
            now=now,
        )

        assert balances(account) == (50_000 * YUAN, 0, 0)

    def test_refuses_a_withdrawal_that_would_cause_a_shortfall(self, now):
        _, account = make_shop(now=now)
        fund(account, 53_000 * YUAN, now=now)

        with pytest.raises(WouldCauseShortfall) as error, translation.override("en"):
            services.deposit_withdraw(
                account_id=account.pk,
                amount_minor=3_000 * YUAN + 1,
                currency="CNY",
                idempotency_key="w",
                now=now,
            )

        assert "at most ¥ 3,000.00 (300000 minor units)" in error.value.detail
        assert balances(account) == (53_000 * YUAN, 0, 0)

    def test_refuses_more_than_is_available(self, now):
        _, account = make_shop(now=now)
        fund(account, 100, now=now)

        with pytest.raises(InsufficientFunds):
            services.deposit_withdraw(
                account_id=account.pk,
                amount_minor=101,
                currency="CNY",
                idempotency_key="w",
                now=now,
            )


class TestRefundOnExit:
    def closed_shop_with_deposit(self, now):
        shop, account = make_shop(now=now)
        fund(account, 50_000 * YUAN, now=now)
        services.shop_exit_confirm(shop=shop, now=now)
        return shop, account

    def test_is_blocked_until_thirty_days_and_ten_working_days_after_the_exit(self, now):
        shop, account = self.closed_shop_with_deposit(now)
        release_at = services.refund_available_at(shop.closed_at)

        with pytest.raises(RefundBlocked):
            services.deposit_refund_on_exit(
                account_id=account.pk, idempotency_key="x", now=release_at - timedelta(minutes=1)
            )
        services.deposit_refund_on_exit(account_id=account.pk, idempotency_key="y", now=release_at)

        assert balances(account) == (0, 0, 0)
        assert timedelta(days=42) <= release_at - now <= timedelta(days=46)

    def test_is_blocked_while_a_hold_is_open(self, now):
        _, account = make_shop(now=now)
        fund(account, 50_000 * YUAN, now=now)
        services.hold_place(
            account_id=account.pk,
            amount_minor=100,
            currency="CNY",
            reason="claim",
            reference="C",
            expires_at=now + timedelta(days=90),
            idempotency_key="h",
            now=now,
        )
        services.shop_exit_confirm(shop=account.shop, now=now)

        with pytest.raises(RefundBlocked, match="Holds"), translation.override("en"):
            services.deposit_refund_on_exit(
                account_id=account.pk, idempotency_key="r", now=now + timedelta(days=60)
            )

    def test_an_open_shop_is_never_refunded(self, now):
        _, account = make_shop(now=now)
        fund(account, 100, now=now)

        with pytest.raises(RefundBlocked):
            services.deposit_refund_on_exit(
                account_id=account.pk, idempotency_key="r", now=now + timedelta(days=365)
            )


class TestForfeitAdjustReverse:
    def test_forfeiture_takes_what_is_available_with_the_ops_reason(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        ops = make_user(staff=True)

        result = services.deposit_forfeit(
            account_id=account.pk,
            reason="counterfeit clearance",
            actor=ops,
            idempotency_key="f",
            now=now,
        )

        assert balances(account) == (0, 0, 0)
        assert result.transaction.actor == ops and result.transaction.kind == "FORFEIT"

    def test_a_small_adjustment_posts_at_once(self, now):
        _, account = make_shop(now=now)
        ops = make_user(staff=True)

        services.deposit_adjust(
            account_id=account.pk,
            amount_minor=500,
            reason="bank fee refund",
            actor=ops,
            idempotency_key="a",
            now=now,
        )

        assert balances(account) == (500, 0, 0)

    def test_a_large_adjustment_waits_for_a_second_person(self, now, settings):
        settings.FOUR_EYES_THRESHOLDS_MINOR = {
            **settings.FOUR_EYES_THRESHOLDS_MINOR,
            "deposits.adjustment": 1_000,
        }
        _, account = make_shop(now=now)
        requester, approver = make_user(staff=True), make_user(staff=True)

        pending = services.deposit_adjust(
            account_id=account.pk,
            amount_minor=5_000,
            reason="migration fix",
            actor=requester,
            idempotency_key="a",
            now=now,
        )
        assert isinstance(pending, AdjustmentRequest) and balances(account) == (0, 0, 0)
        with pytest.raises(ApprovalRequired):
            services.adjustment_approve(request_id=pending.pk, actor=requester, now=now)
        services.adjustment_approve(request_id=pending.pk, actor=approver, now=now)

        assert balances(account) == (5_000, 0, 0)
        pending.refresh_from_db()
        assert (pending.status, pending.decided_by) == ("APPROVED", approver)
        with pytest.raises(InvalidTransition):
            services.adjustment_approve(request_id=pending.pk, actor=approver, now=now)

    def test_a_large_debit_beyond_the_available_deposit_is_refused_before_it_queues(
        self, now, settings
    ):
        settings.FOUR_EYES_THRESHOLDS_MINOR = {
            **settings.FOUR_EYES_THRESHOLDS_MINOR,
            "deposits.adjustment": 1_000,
        }
        _, account = make_shop(now=now)
        fund(account, 3_000, now=now)

        # Money as the admin writes it (¥ 30.00), not "30.00 CNY".
        with pytest.raises(InsufficientFunds, match=r"\(¥ 30\.00\)"), translation.override("en"):
            services.deposit_adjust(
                account_id=account.pk,
                amount_minor=-5_000,
                reason="duplicate top-up",
                actor=make_user(staff=True),
                idempotency_key="a",
                now=now,
            )

        assert not AdjustmentRequest.objects.exists()
        assert balances(account) == (3_000, 0, 0)

    def test_a_reversal_restores_the_balance_by_a_new_transaction(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        deduction = deduct(account, 400, key="d", now=now)

        reversal = services.transaction_reverse(
            transaction_id=deduction.transaction.pk,
            reason="appeal upheld",
            actor=None,
            idempotency_key="rev",
            now=now,
        )

        assert balances(account) == (1_000, 0, 0)
        assert reversal.transaction.reverses_id == deduction.transaction.pk
        assert LedgerTransaction.objects.filter(pk=deduction.transaction.pk).exists()

    def test_a_transaction_is_reversed_at_most_once(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        deduction = deduct(account, 400, key="d", now=now)
        services.transaction_reverse(
            transaction_id=deduction.transaction.pk,
            reason="appeal",
            actor=None,
            idempotency_key="rev1",
            now=now,
        )

        with pytest.raises(DuplicateReference):
            services.transaction_reverse(
                transaction_id=deduction.transaction.pk,
                reason="again",
                actor=None,
                idempotency_key="rev2",
                now=now,
            )

        assert balances(account) == (1_000, 0, 0)


class TestLedgerCheckAfterEveryOperation:
    def test_a_day_of_mixed_operations_leaves_every_invariant_true(self, now):
        _, account = make_shop(now=now)
        fund(account, 60_000 * YUAN, now=now)
        deduct(account, 150 * YUAN, key="d1", now=now)
        hold = services.hold_place(
            account_id=account.pk,
            amount_minor=2_000 * YUAN,
            currency="CNY",
            reason="claim",
            reference="C1",
            expires_at=now + timedelta(days=3),
            idempotency_key="h1",
            now=now,
        )
        services.hold_capture(
            hold_id=hold.pk, amount_minor=500 * YUAN, idempotency_key="c1", now=now
        )
        deduct(account, 70_000 * YUAN, key="d2", now=now, allow_debt=True)
        fund(account, 20_000 * YUAN, now=now)

        result = services.ledger_check_run(record=False)

        assert result.ok, result.problems


class TestWithdrawWhileFrozen:
    def test_an_ops_freeze_keeps_the_deposit_and_tells_the_merchant(self, now):
        from shops import services as shop_services
        from shops.models import Notification

        shop, account = make_shop(now=now)
        fund(account, 60_000 * YUAN, now=now)
        ops = make_user(staff=True)
        shop_services.shop_freeze(shop=shop, reason="Counterfeit investigation", actor=ops, now=now)

        with pytest.raises(ShopFrozen):
            services.deposit_withdraw(
                account_id=account.pk,
                amount_minor=100,
                currency="CNY",
                idempotency_key="w-frozen",
                now=now,
            )
        shop_services.shop_unfreeze(shop=shop, reason="Cleared", actor=ops, now=now)
        services.deposit_withdraw(
            account_id=account.pk,
            amount_minor=100,
            currency="CNY",
            idempotency_key="w-after",
            now=now,
        )

        assert balances(account) == (60_000 * YUAN - 100, 0, 0)
        kinds = list(Notification.objects.filter(shop=shop).values_list("kind", flat=True))
        assert sorted(kinds) == ["MANUAL_FREEZE", "MANUAL_UNFREEZE"]
        frozen = Notification.objects.get(shop=shop, kind="MANUAL_FREEZE")
        assert "Counterfeit investigation" in frozen.body

    def test_a_notice_email_links_to_the_dashboard_absolutely(self, now, settings):
        from django.core import mail

        from shops import services as shop_services
        from shops.models import Notification

        settings.DASHBOARD_BASE_URL = "https://desk.example.com"
        shop, _ = make_shop(now=now)
        ops = make_user(staff=True)
        shop_services.shop_freeze(shop=shop, reason="Counterfeit investigation", actor=ops, now=now)
        frozen = Notification.objects.get(shop=shop, kind="MANUAL_FREEZE")

        shop_services.notification_email_send(notification_id=frozen.pk, now=now)

        assert f"https://desk.example.com/shops/{shop.public_id}/" in mail.outbox[0].body

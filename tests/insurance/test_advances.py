"""insurance.services advances and recoveries: the limit, the ledger, the guarantee, replays,
repayments (partial, full, racing), reminders and supervision when overdue."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection

from common.errors import (
    CurrencyMismatch,
    DuplicateReference,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
)
from deposits.models import Account, Guarantee, LedgerTransaction
from deposits.services import ledger_check_run, system_account_balance
from insurance import services
from insurance.models import Advance, Recovery, RecoveryRepayment
from insurance.selectors import outstanding_recoveries_minor, overdue_recoveries_count
from partners.models import Event
from shops.models import Notification, ShopRestriction
from tests.insurance.advance_helpers import make_active_policy

COVERAGE = 5_000_000


def advance(policy, now, amount, *, claim="C-1", key=None, **kwargs):
    return services.policy_advance(
        policy_id=policy.pk,
        claim_ref=claim,
        amount_minor=amount,
        currency="CNY",
        idempotency_key=key or f"adv-{claim}",
        now=now,
        **kwargs,
    )


def repay(recovery, now, amount, ref="REPAY-1", currency="CNY"):
    return services.recovery_repay(
        recovery_id=recovery.pk,
        amount_minor=amount,
        currency=currency,
        payment_ref=ref,
        now=now,
    )


def guarantee_of(policy):
    return Guarantee.objects.get(source_ref=f"insurance_policy:{policy.public_id}")


def owed_on_ledger(policy):
    ref = f"insurance_policy:{policy.public_id}"
    return -system_account_balance(code="INSURER_ADVANCES", currency="CNY", reference=ref)


@pytest.mark.django_db
class TestPolicyAdvance:
    def test_within_the_limit_the_insurer_advances_it_all(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)

        result = advance(policy, now, 30_000)

        assert (result.advanced_minor, result.uncovered_minor) == (30_000, 0)
        recovery = result.advance.recovery
        assert recovery.status == "OPEN"
        assert recovery.outstanding_minor == 30_000
        assert recovery.due_on == date(2026, 11, 17)  # 2026-11-02 Shanghai + 15 days
        assert guarantee_of(policy).amount_minor == COVERAGE - 30_000
        assert Account.objects.get(shop=policy.shop).guaranteed_minor == COVERAGE - 30_000
        assert policy.limit_remaining_minor == COVERAGE - 30_000
        assert owed_on_ledger(policy) == 30_000
        payable = system_account_balance(
            code="COMPENSATION_PAYABLE",
            currency="CNY",
            reference=f"insurance_policy:{policy.public_id}",
        )
        assert payable == 30_000
        tx = result.advance.ledger_transaction
        assert tx.kind == "INSURER_ADVANCE"
        events = Event.objects.filter(type="insurance.advance_made")
        assert {e.partner_id for e in events} == {api.partner.pk, insurer_api.partner.pk}
        assert events[0].data["recovery"]["due_on"] == "2026-11-17"
        notice = Notification.objects.get(kind="insurance_advance")
        assert "2026-11-17 23:59 (UTC+8)" in notice.body
        assert "PICC" in notice.body and "¥ 300.00" in notice.body
        assert ledger_check_run(record=False).ok

    def test_the_advance_notice_reads_in_each_readers_language(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)

        advance(policy, now, 30_000)

        notice = Notification.objects.get(kind="insurance_advance")
        english_title, english_body = notice.text_for("en")
        chinese_title, chinese_body = notice.text_for("zh-hans")
        assert english_title.startswith("The insurer advanced ¥ 300.00 for claim C-1")
        assert "2026-11-17 23:59 (UTC+8)" in english_body
        assert chinese_title.startswith("保险公司已为索赔 C-1 先行垫付 ¥ 300.00")
        assert "2026-11-17 23:59 (UTC+8)" in chinese_body

    def test_beyond_the_limit_the_rest_is_uncovered_and_the_guarantee_keeps_one_fen(
        self, api, insurer_api, now
    ):
        policy = make_active_policy(api, insurer_api, now)

        first = advance(policy, now, 4_000_000, claim="C-1")
        second = advance(policy, now, 2_000_000, claim="C-2")
        third = advance(policy, now, 5_000, claim="C-3")

        assert (first.advanced_minor, first.uncovered_minor) == (4_000_000, 0)
        assert (second.advanced_minor, second.uncovered_minor) == (1_000_000, 1_000_000)
        assert (third.advance, third.advanced_minor, third.uncovered_minor) == (None, 0, 5_000)
        assert policy.limit_remaining_minor == 0
        assert outstanding_recoveries_minor(policy) == COVERAGE
        # The floor: a guarantee cannot be 0, and withdrawing it would end it for good.
        assert guarantee_of(policy).amount_minor == 1
        assert guarantee_of(policy).status == "ACTIVE"
        assert owed_on_ledger(policy) == COVERAGE
        assert Recovery.objects.count() == 2
        assert Advance.objects.get(claim_ref="C-3").amount_minor == 0
        assert ledger_check_run(record=False).ok

    def test_a_replay_returns_the_first_result_and_writes_nothing(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        first = advance(policy, now, 30_000, key="k-1")

        again = advance(policy, now + timedelta(hours=1), 30_000, key="k-1")

        assert again.replayed
        assert again.advance == first.advance
        assert (again.advanced_minor, again.uncovered_minor) == (30_000, 0)
        assert LedgerTransaction.objects.filter(kind="INSURER_ADVANCE").count() == 1
        assert Event.objects.filter(type="insurance.advance_made").count() == 2
        assert Notification.objects.filter(kind="insurance_advance").count() == 1
        with pytest.raises(IdempotencyKeyReused):
            advance(policy, now, 31_000, key="k-1")
        with pytest.raises(DuplicateReference) as dup:
            advance(policy, now, 30_000, key="k-2")
        assert "claim_ref" in dup.value.fields

    def test_by_shop_without_an_active_policy_nothing_is_advanced(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        policy.__class__.objects.filter(pk=policy.pk).update(status="SURRENDERED")

        by_shop = services.policy_advance(
            shop_id=policy.shop_id,
            claim_ref="C-9",
            amount_minor=10_000,
            currency="CNY",
            idempotency_key="by-shop",
            now=now,
        )

        assert (by_shop.advance, by_shop.advanced_minor, by_shop.uncovered_minor) == (
            None,
            0,
            10_000,
        )
        assert not Advance.objects.exists()

    def test_by_shop_finds_the_active_policy(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)

        result = services.policy_advance(
            shop_id=policy.shop_id,
            claim_ref="C-1",
            amount_minor=10_000,
            currency="CNY",
            idempotency_key="by-shop",
            now=now,
        )

        assert result.advance.policy_id == policy.pk

    @pytest.mark.parametrize(
        ("kwargs", "error", "field"),
        [
            ({"currency": "USD"}, CurrencyMismatch, "currency"),
            ({"amount_minor": 0}, InvalidInput, "amount_minor"),
            ({"claim_ref": " "}, InvalidInput, "claim_ref"),
            ({"idempotency_key": ""}, InvalidInput, "idempotency_key"),
        ],
    )
    def test_bad_input_names_the_field_and_writes_nothing(
        self, api, insurer_api, now, kwargs, error, field
    ):
        policy = make_active_policy(api, insurer_api, now)
        arguments = dict(
            policy_id=policy.pk,
            claim_ref="C-1",
            amount_minor=10_000,
            currency="CNY",
            idempotency_key="k",
            now=now,
        )
        arguments.update(kwargs)

        with pytest.raises(error) as refused:
            services.policy_advance(**arguments)

        assert field in refused.value.fields
        assert not Advance.objects.exists()


@pytest.mark.django_db
class TestRecoveryRepay:
    def test_partial_then_full_restores_the_limit_and_the_guarantee(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        recovery = advance(policy, now, 4_000_000).advance.recovery

        partial = repay(recovery, now, 1_000_000, ref="R-1")
        assert (partial.status, partial.outstanding_minor) == ("OPEN", 3_000_000)
        assert guarantee_of(policy).amount_minor == COVERAGE - 3_000_000
        full = repay(recovery, now + timedelta(days=1), 3_000_000, ref="R-2")

        assert (full.status, full.outstanding_minor) == ("REPAID", 0)
        assert full.repaid_at == now + timedelta(days=1)
        assert guarantee_of(policy).amount_minor == COVERAGE
        assert policy.limit_remaining_minor == COVERAGE
        assert owed_on_ledger(policy) == 0
        assert Event.objects.filter(type="insurance.recovery_repayment_received").count() == 2
        assert Event.objects.filter(type="insurance.recovery_repaid").count() == 2
        kinds = LedgerTransaction.objects.filter(kind="RECOVERY_REPAYMENT")
        assert sorted(t.payment_ref for t in kinds) == ["R-1", "R-2"]
        assert ledger_check_run(record=False).ok

    def test_refusals_name_the_field_and_write_nothing(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        recovery = advance(policy, now, 30_000).advance.recovery
        repay(recovery, now, 10_000, ref="R-1")

        with pytest.raises(InvalidInput) as over:
            repay(recovery, now, 20_001, ref="R-2")
        with pytest.raises(CurrencyMismatch) as currency:
            repay(recovery, now, 100, ref="R-3", currency="USD")
        with pytest.raises(DuplicateReference) as duplicate:
            repay(recovery, now, 100, ref="R-1")
        with pytest.raises(InvalidInput) as zero:
            repay(recovery, now, 0, ref="R-4")

        assert "amount_minor" in over.value.fields
        assert "currency" in currency.value.fields
        assert "payment_ref" in duplicate.value.fields
        assert "amount_minor" in zero.value.fields
        assert RecoveryRepayment.objects.count() == 1
        assert Recovery.objects.get().outstanding_minor == 20_000
        repay(recovery, now, 20_000, ref="R-5")
        with pytest.raises(InvalidTransition):
            repay(recovery, now, 1, ref="R-6")
        assert ledger_check_run(record=False).ok


@pytest.mark.postgres(reason="row locks under concurrent threads")
@pytest.mark.django_db(transaction=True)
class TestRepaymentsRacing:
    def test_concurrent_repayments_never_over_repay(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        recovery = advance(policy, now, 100_000).advance.recovery
        outcomes: list[str] = []
        barrier = threading.Barrier(8)

        def pay(i: int) -> None:
            barrier.wait()
            try:
                repay(recovery, now, 20_000, ref=f"RACE-{i}")
                outcomes.append("ok")
            except (InvalidInput, InvalidTransition) as refused:
                outcomes.append(refused.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=pay, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert outcomes.count("ok") == 5
        recovery.refresh_from_db()
        assert (recovery.status, recovery.outstanding_minor) == ("REPAID", 0)
        assert sum(r.amount_minor for r in RecoveryRepayment.objects.all()) == 100_000
        assert owed_on_ledger(policy) == 0
        assert guarantee_of(policy).amount_minor == COVERAGE
        assert ledger_check_run(record=False).ok


def run_scan(now):
    return {
        recovery_id: services.recovery_process(recovery_id=recovery_id, now=now)
        for recovery_id in services.recoveries_due_scan(now=now)
    }


@pytest.mark.django_db(transaction=True)
class TestRemindersAndOverdue:
    """Transactional: recovery_process opens a durable transaction, as a worker's task does."""

    def test_reminders_go_once_each_3_and_1_days_before(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        recovery = advance(policy, now, 30_000).advance.recovery  # due 2026-11-17

        early = run_scan(now + timedelta(days=10))  # 11-12: 5 days left
        three = run_scan(now + timedelta(days=12))  # 11-14: 3 days left
        three_again = run_scan(now + timedelta(days=12, hours=2))
        one = run_scan(now + timedelta(days=14))  # 11-16
        one_again = run_scan(now + timedelta(days=14, hours=3))

        assert early == {}
        assert three == {recovery.pk: "reminder_3d"}
        assert three_again == {}
        assert one == {recovery.pk: "reminder_1d"}
        assert one_again == {}
        reminders = Notification.objects.filter(kind="insurance_recovery_reminder")
        assert reminders.count() == 2
        assert all("2026-11-17 23:59 (UTC+8)" in n.body for n in reminders)

    def test_overdue_supervises_once_and_full_repayment_lifts_at_once(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        recovery = advance(policy, now, 30_000).advance.recovery
        overdue_at = recovery.due_at  # 2026-11-18 00:00 Shanghai

        before = run_scan(overdue_at - timedelta(seconds=1))
        first = run_scan(overdue_at)
        second = run_scan(overdue_at + timedelta(hours=1))

        assert recovery.pk not in before or before[recovery.pk] != "overdue"
        assert first == {recovery.pk: "overdue"}
        assert second == {}
        recovery.refresh_from_db()
        assert recovery.status == "OVERDUE"
        assert overdue_recoveries_count(policy.shop) == 1  # eligibility's "no overdue recovery"
        restriction = ShopRestriction.objects.get(shop=policy.shop, lifted_at__isnull=True)
        assert (restriction.kind, restriction.source) == ("SUPERVISED", "INSURANCE")
        assert restriction.since == overdue_at
        assert "¥ 300.00" in restriction.lifts_when and "2026-11-17" in restriction.lifts_when
        policy.shop.refresh_from_db()
        assert policy.shop.status == "FROZEN"
        assert Event.objects.filter(type="insurance.recovery_overdue").count() == 2
        changed = Event.objects.filter(type="shop.status_changed", data__status="FROZEN")
        assert changed.count() == 1
        assert Notification.objects.filter(kind="insurance_recovery_overdue").count() == 1

        repay(recovery, overdue_at + timedelta(days=1), 10_000, ref="R-1")
        assert ShopRestriction.objects.filter(lifted_at__isnull=True).count() == 1
        repay(recovery, overdue_at + timedelta(days=2), 20_000, ref="R-2")

        policy.shop.refresh_from_db()
        assert policy.shop.status == "ACTIVE"
        assert not ShopRestriction.objects.filter(lifted_at__isnull=True).exists()
        assert Event.objects.filter(type="shop.status_changed", data__status="ACTIVE").exists()
        assert ledger_check_run(record=False).ok

    @pytest.mark.postgres(reason="row locks under concurrent threads")
    def test_two_workers_at_once_act_once(self, api, insurer_api, now):
        policy = make_active_policy(api, insurer_api, now)
        recovery = advance(policy, now, 30_000).advance.recovery
        later = recovery.due_at + timedelta(minutes=5)
        results: list[str] = []
        barrier = threading.Barrier(2)

        def work() -> None:
            barrier.wait()
            try:
                results.append(services.recovery_process(recovery_id=recovery.pk, now=later))
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert sorted(results) == ["nothing", "overdue"]
        assert ShopRestriction.objects.filter(source="INSURANCE").count() == 1
        assert Event.objects.filter(type="insurance.recovery_overdue").count() == 2
        assert Notification.objects.filter(kind="insurance_recovery_overdue").count() == 1


@pytest.mark.django_db
class TestRecoveryTasks:
    def test_the_scan_task_sends_one_task_per_due_recovery(
        self, api, insurer_api, now, monkeypatch
    ):
        from insurance import tasks

        policy = make_active_policy(api, insurer_api, now)
        due = advance(policy, now, 30_000, claim="C-1").advance.recovery
        sent: list[int] = []
        monkeypatch.setattr(tasks.timezone, "now", lambda: due.due_at)
        monkeypatch.setattr(
            tasks.process_recovery, "delay", lambda *, recovery_id: sent.append(recovery_id)
        )

        assert tasks.scan_recoveries() == 1
        assert sent == [due.pk]

    def test_the_schedule_is_installed(self):
        from django_celery_beat.models import PeriodicTask

        assert PeriodicTask.objects.filter(task="insurance.tasks.scan_recoveries").exists()

"""Renewal reminders 30, 7 and 1 days before a policy's end, and expiry from 00:00 Shanghai the
day after (insurance.services.renewals): each exactly once, by the scan and by two workers."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from deposits import services as deposit_services
from deposits.models import Guarantee
from insurance import services
from insurance.models import Policy
from partners.models import Event
from shops.models import Notification
from tests.insurance.advance_helpers import make_active_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
ENDS_ON = date(2026, 12, 31)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def before_end(days: int, hour: int = 12) -> datetime:
    return at(ENDS_ON - timedelta(days=days), hour)


def ending_policy(api, insurer_api, now, *, cash_minor: int = 0) -> Policy:
    policy = make_active_policy(api, insurer_api, now, cash_minor=cash_minor)
    Policy.objects.filter(pk=policy.pk).update(ends_on=ENDS_ON)
    policy.refresh_from_db()
    return policy


def run_scan(now):
    return {
        policy_id: services.policy_term_process(policy_id=policy_id, now=now)
        for policy_id in services.policy_terms_due_scan(now=now)
    }


def guarantee_of(policy):
    return Guarantee.objects.get(source_ref=f"insurance_policy:{policy.public_id}")


@pytest.mark.django_db(transaction=True)
class TestRenewalReminders:
    def test_30_7_and_1_days_before_each_once(self, api, insurer_api, now):
        policy = ending_policy(api, insurer_api, now)

        assert run_scan(before_end(31)) == {}
        assert run_scan(before_end(30)) == {policy.pk: "reminder_30d"}
        assert run_scan(before_end(30, hour=18)) == {}
        assert run_scan(before_end(8)) == {}
        assert run_scan(before_end(7)) == {policy.pk: "reminder_7d"}
        assert run_scan(before_end(7, hour=20)) == {}
        assert run_scan(before_end(1, hour=0)) == {policy.pk: "reminder_1d"}
        assert run_scan(at(ENDS_ON, 23)) == {}

        notices = Notification.objects.filter(kind="insurance_renewal_reminder")
        assert notices.count() == 3
        # Insured only (no cash): without the policy the deposit needs all 50,000.00 in cash,
        # from 00:00 Shanghai the day after the end.
        for notice in notices:
            assert "2027-01-01 00:00 (UTC+8)" in notice.body
            assert "¥ 50,000.00" in notice.body
        events = Event.objects.filter(type="policy.expiring")
        assert events.count() == 6  # the shop's partner and the insurer, three reminders each
        assert sorted({e.data["reminder_days"] for e in events}) == [1, 7, 30]
        assert all(e.data["cash_required_minor"] == 5_000_000 for e in events)
        assert {e.data["cash_required_from"] for e in events} == {"2026-12-31T16:00:00Z"}
        policy.refresh_from_db()
        assert policy.status == "ACTIVE"
        assert policy.reminded_30d_at and policy.reminded_7d_at and policy.reminded_1d_at

    def test_a_late_first_scan_sends_only_the_nearest_reminder(self, api, insurer_api, now):
        policy = ending_policy(api, insurer_api, now, cash_minor=5_000_000)

        assert run_scan(before_end(5)) == {policy.pk: "reminder_7d"}
        assert run_scan(before_end(4)) == {}
        assert run_scan(before_end(1)) == {policy.pk: "reminder_1d"}

        keys = sorted(
            Notification.objects.filter(kind="insurance_renewal_reminder").values_list(
                "dedupe_key", flat=True
            )
        )
        ref = f"insurance_policy:{policy.public_id}"
        assert keys == [f"{ref}:renewal_1d", f"{ref}:renewal_7d"]
        # Enough cash already: the reminder says so rather than asking for a top-up.
        notice = Notification.objects.get(dedupe_key=f"{ref}:renewal_7d")
        assert "already covers" in notice.body or "已足够" in notice.body

    def test_in_chinese_for_a_chinese_merchant(self, api, insurer_api, now):
        policy = ending_policy(api, insurer_api, now)
        merchant = policy.shop.merchant
        merchant.language = "zh-hans"
        merchant.save(update_fields=["language"])

        assert run_scan(before_end(7)) == {policy.pk: "reminder_7d"}

        notice = Notification.objects.get(kind="insurance_renewal_reminder")
        assert "续保提醒" in notice.title
        assert "2027-01-01 00:00 (UTC+8)" in notice.body and "¥ 50,000.00" in notice.body


@pytest.mark.django_db(transaction=True)
class TestExpiry:
    def test_from_midnight_after_the_end_expired_once_and_the_guarantee_withdrawn(
        self, api, insurer_api, now
    ):
        policy = ending_policy(api, insurer_api, now)
        midnight = at(ENDS_ON + timedelta(days=1), 0)

        before = run_scan(midnight - timedelta(seconds=1))
        first = run_scan(midnight)
        second = run_scan(midnight + timedelta(hours=1))

        assert before.get(policy.pk) != "expired"
        assert first == {policy.pk: "expired"}
        assert second == {}
        policy.refresh_from_db()
        assert (policy.status, policy.expired_at) == ("EXPIRED", midnight)
        guarantee = guarantee_of(policy)
        assert guarantee.status == "WITHDRAWN" and not guarantee.in_coverage
        assert Event.objects.filter(type="policy.expired", data__status="EXPIRED").count() == 2
        notice = Notification.objects.get(kind="insurance_policy_expired")
        assert "¥ 50,000.00" in notice.body
        # A renewal reminder never goes after the end.
        assert run_scan(midnight + timedelta(days=1)) == {}

    def test_a_guarantee_the_deposits_sweeper_already_expired_is_fine(self, api, insurer_api, now):
        policy = ending_policy(api, insurer_api, now, cash_minor=5_000_000)
        midnight = at(ENDS_ON + timedelta(days=1), 0)
        Guarantee.objects.filter(pk=guarantee_of(policy).pk).update(valid_to=midnight)
        deposit_services.guarantees_expire_due(now=midnight)
        assert guarantee_of(policy).status == "EXPIRED"

        assert services.policy_term_process(policy_id=policy.pk, now=midnight) == "expired"
        assert services.policy_term_process(policy_id=policy.pk, now=midnight) == "nothing"

        assert guarantee_of(policy).status == "EXPIRED"
        policy.refresh_from_db()
        assert policy.status == "EXPIRED"
        assert Notification.objects.filter(kind="insurance_policy_expired").count() == 1

    def test_a_surrendered_policy_is_left_alone(self, api, insurer_api, now):
        policy = ending_policy(api, insurer_api, now)
        Policy.objects.filter(pk=policy.pk).update(status="SURRENDERED")

        assert run_scan(at(ENDS_ON + timedelta(days=1), 1)) == {}
        assert services.policy_term_process(policy_id=policy.pk, now=before_end(1)) == "nothing"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="row locks under concurrent threads")
class TestTwoWorkers:
    @pytest.mark.parametrize(
        ("moment", "outcome"),
        [(before_end(7), "reminder_7d"), (at(ENDS_ON + timedelta(days=1), 0, 5), "expired")],
    )
    def test_two_workers_at_once_act_once(self, api, insurer_api, now, moment, outcome):
        policy = ending_policy(api, insurer_api, now)
        results: list[str] = []
        barrier = threading.Barrier(2)

        def work() -> None:
            barrier.wait()
            try:
                results.append(services.policy_term_process(policy_id=policy.pk, now=moment))
            finally:
                connection.close()

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert sorted(results) == sorted([outcome, "nothing"])
        assert (
            Notification.objects.filter(shop=policy.shop, kind__startswith="insurance_").count()
            == 1
        )
        event = "policy.expired" if outcome == "expired" else "policy.expiring"
        assert Event.objects.filter(type=event).count() == 2


@pytest.mark.django_db
class TestTermTasks:
    def test_the_scan_task_sends_one_task_per_due_policy(self, api, insurer_api, now, monkeypatch):
        from insurance import tasks

        policy = ending_policy(api, insurer_api, now)
        sent: list[int] = []
        monkeypatch.setattr(tasks.timezone, "now", lambda: before_end(30))
        monkeypatch.setattr(
            tasks.process_policy_term, "delay", lambda *, policy_id: sent.append(policy_id)
        )

        assert tasks.scan_policy_terms() == 1
        assert sent == [policy.pk]

    def test_the_schedules_are_installed(self):
        from django_celery_beat.models import PeriodicTask

        tasks = set(PeriodicTask.objects.values_list("task", flat=True))
        assert {
            "insurance.tasks.scan_policy_terms",
            "insurance.tasks.expire_unpaid_applications",
        } <= tasks


@pytest.mark.django_db(transaction=True)
def test_at_expiry_a_shop_short_of_cash_enters_the_shortfall_ladder(api, insurer_api, now):
    from deposits.models import ShortfallCase

    policy = ending_policy(api, insurer_api, now, cash_minor=1_000_000)
    policy.shop.refresh_from_db()
    status_before = policy.shop.status
    assert not ShortfallCase.objects.filter(shop=policy.shop).exists()

    run_scan(at(ENDS_ON + timedelta(days=1), 0, 5))

    assert status_before == "ACTIVE"
    assert ShortfallCase.objects.filter(shop=policy.shop).count() == 1
    notice = Notification.objects.get(kind="insurance_policy_expired")
    assert "¥ 40,000.00" in notice.body  # 50,000.00 needed in cash, 10,000.00 there

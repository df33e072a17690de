"""What ops and operators use: `manage.py enforce_shortfalls`, the admin screens and actions, and
the Celery tasks (called directly, as a worker would)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from deposits import tasks
from deposits.models import Guarantee, ShortfallCase, ShortfallLadderStep, ShortfallReview
from shops.models import Notification, ShopRestriction
from tests.deposits.test_shortfall import SHORT, evaluate, live_short_shop, state
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False
    settings.LANGUAGE_CODE = "en"


class TestEnforceShortfallsCommand:
    def test_one_pass_opens_enforces_mails_and_prints_a_summary_last(self):
        opened = timezone.now() - timedelta(days=4)
        shop, account = live_short_shop(opened)
        out = StringIO()

        call_command("enforce_shortfalls", stdout=out)

        last = out.getvalue().strip().splitlines()[-1]
        assert last.startswith("enforce_shortfalls: 1 shops evaluated, 1 cases opened")
        assert "1 e-mails sent" in last and "0 errors" in last
        case = ShortfallCase.objects.get(shop=shop)
        assert case.step == 1  # opened now by the scan: only the notice is due
        assert len(mail.outbox) == 1

    def test_a_second_pass_does_nothing(self):
        shop, account = live_short_shop(timezone.now() - timedelta(minutes=1))
        call_command("enforce_shortfalls", stdout=StringIO())
        before = state(shop)
        out = StringIO()

        call_command("enforce_shortfalls", stdout=out)

        assert "0 shops evaluated, 0 cases opened" in out.getvalue().splitlines()[-1]
        assert state(shop) == before

    def test_no_email_leaves_the_mails_to_the_task(self):
        live_short_shop(timezone.now() - timedelta(minutes=1))

        call_command("enforce_shortfalls", "--no-email", stdout=StringIO())

        assert mail.outbox == []
        assert Notification.objects.get().email_status == "PENDING"


class TestTasks:
    def test_the_shop_task_is_idempotent(self, now):
        shop, account = live_short_shop(timezone.now() - timedelta(days=4))
        evaluate(shop, timezone.now() - timedelta(days=4))

        first = tasks.enforce_shortfall(shop_id=shop.pk)
        before = state(shop)
        second = tasks.enforce_shortfall(shop_id=shop.pk)

        assert first["steps"] == ["restrict-marketing"]
        assert second["steps"] == [] and state(shop) == before

    def test_the_scan_fans_out_one_task_per_shop(self, monkeypatch):
        shops = [live_short_shop(timezone.now() - timedelta(minutes=1))[0] for _ in range(3)]
        sent: list[dict] = []
        monkeypatch.setattr(
            tasks.enforce_shortfall, "apply_async", lambda kwargs: sent.append(kwargs)
        )

        result = tasks.scan_shortfalls()

        assert result == {"opened": 3, "candidates": 3}
        assert sent == [{"shop_id": s.pk} for s in sorted(shops, key=lambda s: s.pk)]

    def test_tasks_ack_late_and_retry_operational_errors(self):
        from django.db import OperationalError

        for task in (
            tasks.scan_shortfalls,
            tasks.enforce_shortfall,
            tasks.expire_due_guarantees,
        ):
            assert task.acks_late is True
            assert OperationalError in task.autoretry_for
            assert task.retry_backoff

    def test_the_schedules_are_in_django_celery_beat(self):
        from django_celery_beat.models import PeriodicTask

        scan = PeriodicTask.objects.get(task="deposits.tasks.scan_shortfalls")
        assert (scan.interval.every, scan.interval.period) == (300, "seconds")
        assert PeriodicTask.objects.filter(task="deposits.tasks.expire_due_guarantees").exists()
        # (The e-mail sweeper's schedule moved with its task: tests/shops/test_tasks.py.)

    def test_the_default_ladder_is_data(self):
        rows = list(
            ShortfallLadderStep.objects.values_list("code", "delay", "action", "restriction_kind")
        )
        assert rows == [
            ("notify", timedelta(0), "NOTIFY", ""),
            ("restrict-marketing", timedelta(hours=72), "RESTRICT", "MARKETING"),
            ("hide-and-stop-orders", timedelta(days=15), "RESTRICT", "HIDDEN"),
            ("ops-review", timedelta(days=30), "OPS_REVIEW", ""),
        ]


@pytest.fixture
def ops_client(client):
    client.force_login(make_user(staff=True))
    return client


class TestAdmin:
    def test_case_list_and_page_show_the_steps_and_the_plan(self, ops_client, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)
        evaluate(shop, now + timedelta(hours=72))
        case = ShortfallCase.objects.get(shop=shop)

        listing = ops_client.get(reverse("admin:deposits_shortfallcase_changelist"))
        page = ops_client.get(reverse("admin:deposits_shortfallcase_change", args=[case.pk]))

        assert listing.status_code == page.status_code == 200
        html = page.content.decode()
        assert "restrict-marketing" in html and "hide-and-stop-orders" in html
        assert "Steps applied" in html
        # the plan's 15-day step, 2026-11-17 06:00 UTC, in the page's time zone (UTC+8)
        chinese = ops_client.get(
            reverse("admin:deposits_shortfallcase_change", args=[case.pk]),
            headers={"Accept-Language": "zh-hans"},
        ).content.decode()
        assert "2026年11月17日 14:00 — hide-and-stop-orders" in chinese
        assert f"Shortfall #{case.pk} — {shop.name}" in html

    def test_resolve_by_hand_needs_a_reason_then_lifts_the_cases_restrictions(
        self, ops_client, now
    ):
        shop, account = live_short_shop(now)
        evaluate(shop, now)
        evaluate(shop, now + timedelta(hours=72))
        case = ShortfallCase.objects.get(shop=shop)
        url = reverse("admin:deposits_shortfallcase_changelist")
        payload = {"action": "resolve_by_hand", "_selected_action": [case.pk]}

        ops_client.post(url, payload)
        assert ShortfallCase.objects.get(pk=case.pk).status == "OPEN"
        ops_client.post(url, {**payload, "reason": "Paid at the counter"})

        case.refresh_from_db()
        assert (case.status, case.resolution) == ("RESOLVED", "MANUAL")
        assert not ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True).exists()

    def test_the_review_queue_is_decided_with_a_reason(self, ops_client, now):
        shop, account = live_short_shop(now)
        for moment in (now, now + timedelta(days=30)):
            evaluate(shop, moment)
        review = ShortfallReview.objects.get(shop=shop)
        url = reverse("admin:deposits_shortfallreview_changelist")

        listing = ops_client.get(url)
        ops_client.post(
            url,
            {"action": "keep_enforcing", "_selected_action": [review.pk], "reason": "Promised"},
        )

        assert listing.status_code == 200 and shop.name in listing.content.decode()
        review.refresh_from_db()
        assert review.status == "CONTINUE" and review.decision_note == "Promised"

    def test_ops_register_and_withdraw_a_bank_guarantee(self, ops_client, now):
        shop, account = make_shop(now=now)
        add = reverse("admin:deposits_guarantee_add")
        start = timezone.localtime(timezone.now() - timedelta(days=1))

        response = ops_client.post(
            add,
            {
                "account": account.pk,
                "source_kind": "BANK_GUARANTEE",
                "source_ref": "bank:ICBC-1",
                "amount_minor": SHORT,
                "currency": "CNY",
                "valid_from_0": start.strftime("%Y-%m-%d"),
                "valid_from_1": start.strftime("%H:%M:%S"),
                "note": "Letter of guarantee",
            },
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        guarantee = Guarantee.objects.get(source_ref="bank:ICBC-1")
        account.refresh_from_db()
        assert account.guaranteed_minor == SHORT and guarantee.created_by is not None
        ops_client.post(
            reverse("admin:deposits_guarantee_changelist"),
            {"action": "withdraw", "_selected_action": [guarantee.pk], "reason": "Expired letter"},
        )
        account.refresh_from_db()
        assert account.guaranteed_minor == 0

    def test_the_ladder_notifications_and_steps_screens_open(self, ops_client, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)

        for name in (
            "deposits_shortfallladderstep",
            "deposits_shortfallstep",
            "shops_notification",
            "deposits_guarantee",
        ):
            response = ops_client.get(reverse(f"admin:{name}_changelist"))
            assert response.status_code == 200, name
        step = ShortfallLadderStep.objects.get(code="restrict-marketing")
        assert (
            ops_client.get(
                reverse("admin:deposits_shortfallladderstep_change", args=[step.pk])
            ).status_code
            == 200
        )

    def test_a_restrict_step_without_a_restriction_is_a_form_error(self, ops_client):
        response = ops_client.post(
            reverse("admin:deposits_shortfallladderstep_add"),
            {
                "code": "block-listings",
                "position": 5,
                "delay": "5 00:00:00",
                "action": "RESTRICT",
                "restriction_kind": "",
                "reminder_lead": "1 00:00:00",
                "is_active": "on",
                "note": "",
            },
        )

        assert response.status_code == 200
        assert not ShortfallLadderStep.objects.filter(code="block-listings").exists()

    def test_ops_add_a_ladder_step_that_new_cases_follow(self, ops_client, now):
        response = ops_client.post(
            reverse("admin:deposits_shortfallladderstep_add"),
            {
                "code": "block-listings",
                "position": 5,
                "delay": "5 00:00:00",
                "action": "RESTRICT",
                "restriction_kind": "NEW_LISTINGS",
                "reminder_lead": "1 00:00:00",
                "is_active": "on",
                "note": "Taobao: blocked after 5 days",
            },
        )
        assert response.status_code == 302
        shop, account = live_short_shop(now)
        evaluate(shop, now)
        evaluate(shop, now + timedelta(hours=72))

        assert evaluate(shop, now + timedelta(days=5)).steps == ["block-listings"]
        assert ShopRestriction.objects.get(shop=shop, kind="NEW_LISTINGS").lifted_at is None

    def test_the_ladder_list_cannot_switch_steps_off_in_bulk(self, ops_client):
        step = ShortfallLadderStep.objects.get(code="restrict-marketing")
        others = ShortfallLadderStep.objects.exclude(pk=step.pk).count()

        ops_client.post(
            reverse("admin:deposits_shortfallladderstep_changelist"),
            {
                "_save": "Save",
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-MIN_NUM_FORMS": "0",
                "form-MAX_NUM_FORMS": "1000",
                "form-0-id": str(step.pk),
                # is_active left out: an unticked box
            },
        )

        step.refresh_from_db()
        assert step.is_active is True
        assert ShortfallLadderStep.objects.filter(is_active=True).count() == others + 1

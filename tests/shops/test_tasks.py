"""The notice e-mail tasks (shops.tasks), called directly as a worker would, and their schedule."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import OperationalError
from django.utils import timezone

from shops import services, tasks
from shops.models import Notification

pytestmark = pytest.mark.django_db


def make_notice(key: str = "notice-1") -> Notification:
    merchant = services.merchant_get_or_create(email="owner@shop.example", name="Shop Co")
    notice, created = services.notification_create(
        merchant_id=merchant.pk,
        dedupe_key=key,
        kind="SHORTFALL",
        language="en",
        title="Your deposit is short",
        body="Top up to keep selling.",
        now=timezone.now(),
    )
    assert created
    return notice


class TestSendNotificationEmail:
    def test_sends_once(self):
        notice = make_notice()

        assert tasks.send_notification_email(notification_id=notice.pk) is True
        assert tasks.send_notification_email(notification_id=notice.pk) is False
        assert tasks.send_notification_email(notification_id=10**9) is False  # unknown id
        assert len(mail.outbox) == 1

    def test_is_enqueued_by_name_after_commit(self, sent_tasks, django_capture_on_commit_callbacks):
        notice = make_notice()

        with django_capture_on_commit_callbacks(execute=True):
            services.notification_email_enqueue_on_commit(notice.pk)
            assert sent_tasks == []

        assert sent_tasks == [(tasks.send_notification_email.name, {"notification_id": notice.pk})]


class TestDeliverNotificationEmails:
    def test_fans_out_due_notices(self, monkeypatch):
        notice = make_notice()
        sent: list[dict] = []
        monkeypatch.setattr(
            tasks.send_notification_email, "apply_async", lambda kwargs: sent.append(kwargs)
        )

        assert tasks.deliver_notification_emails() == 1
        assert sent == [{"notification_id": notice.pk}]

    def test_is_scheduled_in_django_celery_beat_under_its_new_path(self):
        from django_celery_beat.models import PeriodicTask

        sweeper = PeriodicTask.objects.get(name="Deliver notification e-mails")

        assert sweeper.task == "shops.tasks.deliver_notification_emails"
        assert (sweeper.interval.every, sweeper.interval.period) == (60, "seconds")
        assert not PeriodicTask.objects.filter(task__startswith="deposits.tasks.deliver_").exists()


def test_tasks_ack_late_and_retry_operational_errors():
    for task in (tasks.send_notification_email, tasks.deliver_notification_emails):
        assert task.acks_late is True
        assert OperationalError in task.autoretry_for
        assert task.retry_backoff


class TestManualFreezeNotice:
    def test_the_freeze_e_mail_is_enqueued_when_the_freeze_commits(
        self, now, sent_tasks, django_capture_on_commit_callbacks
    ):
        from shops.models import Notification
        from tests.factories import make_shop, make_user

        shop, _ = make_shop(now=now)

        with django_capture_on_commit_callbacks(execute=True):
            services.shop_freeze(
                shop=shop, reason="Counterfeit investigation", actor=make_user(staff=True), now=now
            )

        notice = Notification.objects.get(kind="MANUAL_FREEZE")
        assert sent_tasks == [(tasks.send_notification_email.name, {"notification_id": notice.pk})]

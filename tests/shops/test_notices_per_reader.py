"""Notices as each reader sees them: their own read state, their own language, and amounts only
for those who may see the deposit.

Persona: a merchant whose shop's deposit went short (the ladder wrote its notices in Chinese,
the merchant's language), its owner, a finance colleague with the deposit permission and a
clerk without it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shops import services as shop_services
from shops.models import Merchant, Notification, NotificationRead
from tests.deposits.test_shortfall import evaluate, live_short_shop
from tests.factories import make_member, make_shop, make_user
from tests.pages import page_html

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mail_tasks(settings):
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False


@pytest.fixture
def short_shop():  # type: ignore[no-untyped-def]
    opened = timezone.now() - timedelta(hours=73)
    shop, account = live_short_shop(opened)
    Merchant.objects.filter(pk=shop.merchant_id).update(language="zh-hans")
    shop.merchant.refresh_from_db()
    evaluate(shop, opened)
    evaluate(shop, opened + timedelta(hours=72))
    return shop


def reader(user, language: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return client


def notices_page(client: Client) -> str:
    return page_html(client.get(reverse("dashboard:notices")))


class TestReadStatePerUser:
    def test_marking_all_read_leaves_a_colleagues_notices_unread(self, short_shop):
        owner = make_member(short_shop, role="OWNER")
        finance = make_member(short_shop, role="FINANCE")
        total = Notification.objects.filter(merchant=short_shop.merchant).count()

        reader(finance, "en").post(reverse("dashboard:notices"))

        assert total == 2
        assert NotificationRead.objects.filter(user=finance).count() == total
        assert not NotificationRead.objects.filter(user=owner).exists()
        owner_page = notices_page(reader(owner, "en"))
        assert owner_page.count('class="unread"') == total
        assert f'<span class="nav-count" title="Unread">{total}</span>' in owner_page
        finance_page = notices_page(reader(finance, "en"))
        assert 'class="unread"' not in finance_page and "nav-count" not in finance_page

    def test_a_second_mark_read_writes_nothing_more(self, short_shop):
        owner = make_member(short_shop, role="OWNER")
        now = timezone.now()

        first = shop_services.notifications_mark_read(
            user_id=owner.pk, merchant_id=short_shop.merchant_id, now=now
        )
        second = shop_services.notifications_mark_read(
            user_id=owner.pk, merchant_id=short_shop.merchant_id, now=now
        )

        assert (first, second) == (2, 0)
        assert NotificationRead.objects.filter(user=owner).count() == 2

    def test_a_user_of_another_merchant_marks_nothing_of_this_one(self, short_shop, now):
        other_shop, _ = make_shop(now=now)
        outsider = make_member(other_shop)

        reader(outsider, "en").post(reverse("dashboard:notices"))

        assert not NotificationRead.objects.filter(user=outsider).exists()


class TestWhatANoticeShows:
    def test_staff_without_the_deposit_permission_read_no_amounts(self, short_shop):
        clerk = make_member(short_shop, role="VIEWER")
        owner = make_member(short_shop, role="OWNER")

        clerk_page = notices_page(reader(clerk, "en"))
        owner_page = notices_page(reader(owner, "en"))

        assert "¥" not in clerk_page
        assert "Deposit short by [amount hidden]: " + short_shop.name in clerk_page
        assert "Deposit short by ¥ 1,000.00: " + short_shop.name in owner_page

    def test_a_notice_written_for_a_chinese_merchant_reads_in_english_on_the_english_page(
        self, short_shop
    ):
        owner = make_member(short_shop, role="OWNER")
        notice = Notification.objects.filter(kind="shortfall.notify").get()

        english = notices_page(reader(owner, "en"))
        chinese = notices_page(reader(owner, "zh-hans"))

        assert notice.language == "zh-hans" and "保证金不足" in notice.title  # the e-mail's
        assert "Deposit short by ¥ 1,000.00: " + short_shop.name in english
        assert "保证金不足" not in english
        assert "保证金不足 ¥ 1,000.00：" + short_shop.name in chinese

    def test_a_manual_freeze_notice_is_written_in_both_languages(self, now):
        shop, _ = make_shop(now=now)
        ops = make_user(staff=True)

        shop_services.shop_freeze(shop=shop, reason="假货调查", actor=ops, now=now)

        notice = Notification.objects.get(kind="MANUAL_FREEZE")
        assert notice.text_for("en")[0] == f"Your shop {shop.name} has been frozen"
        assert notice.text_for("zh-hans")[0] == f"您的店铺 {shop.name} 已被冻结"
        assert notice.title == notice.text_for(shop.merchant.language)[0]

    def test_a_notice_given_in_one_language_is_shown_in_that_one_to_everyone(self, now):
        shop, _ = make_shop(now=now)
        notice, _ = shop_services.notification_create(
            merchant_id=shop.merchant_id,
            dedupe_key="one-language",
            kind="test",
            language="zh-hans",
            title="标题 ¥ 5.00",
            body="正文",
            now=now,
        )

        assert notice.text_for("en") == ("标题 ¥ 5.00", "正文")
        assert notice.texts == {"zh-hans": ["标题 ¥ 5.00", "正文"]}


@pytest.mark.django_db(transaction=True)
class TestExistingNotices:
    def test_the_migration_keeps_read_state_for_every_member_and_the_text_readable(self):
        executor = MigrationExecutor(connection)
        before = [("shops", "0004_shop_type_english_names")]
        after = [("shops", "0005_notices_per_reader")]
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        try:
            merchant = old.get_model("shops", "Merchant").objects.create(
                name="Old", contact_email="old@example.com", language="zh-hans"
            )
            user_model = old.get_model("auth", "User")
            member = old.get_model("shops", "MerchantUser")
            owner = user_model.objects.create(username="old-owner")
            clerk = user_model.objects.create(username="old-clerk")
            member.objects.create(user=owner, merchant=merchant, role="OWNER")
            member.objects.create(user=clerk, merchant=merchant, role="STAFF")
            notice = old.get_model("shops", "Notification")
            read_at = timezone.now()
            seen = notice.objects.create(
                merchant=merchant,
                dedupe_key="old-read",
                kind="x",
                language="zh-hans",
                title="旧通知",
                body="正文",
                created_at=read_at,
                read_at=read_at,
            )
            unseen = notice.objects.create(
                merchant=merchant,
                dedupe_key="old-unread",
                kind="x",
                language="zh-hans",
                title="新通知",
                body="正文",
                created_at=read_at,
            )
        finally:
            executor = MigrationExecutor(connection)
            executor.loader.build_graph()
            executor.migrate(after)

        reads = set(NotificationRead.objects.values_list("notification_id", "user_id"))
        assert reads == {(seen.pk, owner.pk), (seen.pk, clerk.pk)}
        assert Notification.objects.get(pk=unseen.pk).text_for("en") == ("新通知", "正文")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

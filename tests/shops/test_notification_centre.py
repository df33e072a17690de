"""The notification centre: filters (kind, unread, dates), pages, marking read; and the e-mail
preferences per group of notices, urgent kinds always e-mailed.

Persona: a merchant with an owner, a finance colleague and a viewer, whose shop has notices of
every group: a shortfall reminder (switchable), a shortfall restriction (urgent), an insurance
renewal reminder, a claim notice and a payout notice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shops import services
from shops.models import Notification, NotificationPreference, NotificationRead
from tests.factories import make_member, make_shop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_mail_tasks(settings):
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False


@pytest.fixture
def shop(now):  # type: ignore[no-untyped-def]
    shop, _ = make_shop(now=now, merchant_email="company@yunjin.example")
    return shop


def notice(  # type: ignore[no-untyped-def]
    shop, kind: str, *, key: str | None = None, days_ago: int = 0, title: str = "", at=None
):
    created, _ = services.notification_create(
        merchant_id=shop.merchant_id,
        shop_id=shop.pk,
        dedupe_key=key or f"{kind}:{days_ago}:{title}",
        kind=kind,
        language="en",
        texts={
            "en": (title or f"About {kind}", "The deposit is short by ¥ 1,000.00."),
            "zh-hans": (title or f"关于 {kind}", "保证金缺口 ¥ 1,000.00。"),
        },
        now=(at or timezone.now()) - timedelta(days=days_ago),
    )
    return created


def reader(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def send(notification: Notification) -> list:  # type: ignore[type-arg]
    mail.outbox.clear()
    services.notification_email_send(notification_id=notification.pk, now=timezone.now())
    return list(mail.outbox)


def choose(user, **groups: bool) -> None:  # type: ignore[no-untyped-def]
    wanted = [code for code, on in groups.items() if on]
    response = reader(user).post(reverse("notices:preferences"), {"email": wanted})
    assert response.status_code == 302


class TestEmailPreferences:
    def test_switching_a_group_off_stops_its_emails_but_not_its_urgent_kinds(self, shop):
        owner = make_member(shop, role="OWNER")
        finance = make_member(shop, role="FINANCE")
        choose(finance, shortfall=False, claims=True, insurance=True, payouts=True)

        reminder = send(notice(shop, "shortfall.reminder"))
        restriction = send(notice(shop, "shortfall.restrict"))

        assert sorted(m.to[0] for m in reminder) == sorted(["company@yunjin.example", owner.email])
        assert sorted(m.to[0] for m in restriction) == sorted(
            ["company@yunjin.example", owner.email, finance.email]
        )

    def test_when_every_owner_switches_a_group_off_the_company_address_is_spared_too(self, shop):
        owner = make_member(shop, role="OWNER")
        choose(owner, shortfall=True, claims=False, insurance=True, payouts=True)

        claim_notice = notice(shop, "claim.answer_due")
        sent = send(claim_notice)
        deadline = send(notice(shop, "claim.deadline_passed"))

        assert sent == []
        assert Notification.objects.get(pk=claim_notice.pk).email_status == "NONE"
        assert {m.to[0] for m in deadline} == {"company@yunjin.example", owner.email}

    def test_each_member_reads_the_email_in_their_language_and_a_viewer_without_amounts(self, shop):
        viewer = make_member(shop, role="VIEWER")
        viewer.merchant_membership.language = "zh-hans"
        viewer.merchant_membership.save()

        sent = {m.to[0]: m for m in send(notice(shop, "shortfall.notify"))}

        to_viewer = sent[viewer.email]
        assert to_viewer.extra_headers["Content-Language"] == "zh-hans"
        assert "¥" not in to_viewer.body and "[金额不可见]" in to_viewer.body
        assert "¥ 1,000.00" in sent["company@yunjin.example"].body
        html = to_viewer.alternatives[0][0]
        assert "¥" not in html and "关于 shortfall.notify" in html

    def test_the_preferences_page_shows_urgent_kinds_locked_with_the_reason(self, shop):
        owner = make_member(shop, role="OWNER")
        choose(owner, shortfall=True, claims=True, insurance=False, payouts=True)

        page = reader(owner).get(reverse("notices:preferences")).content.decode()

        assert 'name="email" value="insurance">' in page  # unticked: no "checked"
        assert 'name="email" value="payouts" checked>' in page
        assert page.count("checked disabled") == 3  # shortfall, claims, insurance urgent kinds
        assert "The shop may stop selling: you must hear of it whatever you choose." in page
        assert "A claim left unanswered past its deadline is decided without you." in page
        assert NotificationPreference.objects.get(user=owner, group="insurance").email is False

    def test_an_unknown_group_is_not_stored(self, shop):
        owner = make_member(shop, role="OWNER")

        reader(owner).post(reverse("notices:preferences"), {"email": ["shortfall", "lottery"]})

        assert set(NotificationPreference.objects.values_list("group", flat=True)) == {
            "shortfall",
            "claims",
            "insurance",
            "payouts",
        }


class TestFilters:
    @pytest.fixture
    def notices(self, shop, now):  # type: ignore[no-untyped-def]
        # Dated from the fixed clock, and the date filters below count from the same one: "today"
        # read again from the real clock would be tomorrow if Shanghai midnight fell in between.
        return {
            "old_shortfall": notice(
                shop, "shortfall.notify", days_ago=20, title="Old shortfall", at=now
            ),
            "restriction": notice(
                shop, "shortfall.restrict", days_ago=2, title="Restricted", at=now
            ),
            "renewal": notice(
                shop, "insurance_renewal_reminder", days_ago=1, title="Renew", at=now
            ),
            "payout": notice(shop, "withdrawal.paid", title="Paid out", at=now),
        }

    def titles(self, client: Client, **query: str) -> list[str]:
        response = client.get(reverse("dashboard:notices"), query)
        assert response.status_code == 200
        rows = response.context["items"]
        return [row.title for row in rows]

    def test_by_kind(self, shop, notices):
        client = reader(make_member(shop))

        assert self.titles(client, group="shortfall") == ["Restricted", "Old shortfall"]
        assert self.titles(client, group="insurance") == ["Renew"]
        assert self.titles(client, group="payouts") == ["Paid out"]
        assert self.titles(client, group="nonsense") == [
            "Paid out",
            "Renew",
            "Restricted",
            "Old shortfall",
        ]

    def test_by_date_range(self, shop, notices, now):
        client = reader(make_member(shop))
        today = timezone.localdate(now)

        since = (today - timedelta(days=3)).isoformat()
        until = (today - timedelta(days=1)).isoformat()

        assert self.titles(client, date_from=since, date_to=until) == ["Renew", "Restricted"]
        assert self.titles(client, date_to="not-a-date", group="payouts") == ["Paid out"]

    @pytest.mark.parametrize(
        ("language", "message"),
        [
            ("en", "“From date” must be on or before “To date”."),
            ("zh-hans", "“起始日期”不能晚于“截止日期”。"),
        ],
    )
    def test_a_reversed_range_is_an_error_naming_both_fields(
        self, shop, notices, now, language, message
    ):
        client = reader(make_member(shop), language=language)
        today = timezone.localdate(now)
        since = (today - timedelta(days=1)).isoformat()
        until = (today - timedelta(days=3)).isoformat()

        response = client.get(reverse("dashboard:notices"), {"date_from": since, "date_to": until})

        assert response.status_code == 400
        page = response.content.decode()
        assert '<div class="form-error" role="alert" id="notice-filter-error">' in page
        assert message in page
        assert response.context["items"] == []
        # The dates stay as typed, marked as the ones to correct.
        assert f'name="date_from" value="{since}" aria-invalid="true"' in page
        assert f'name="date_to" value="{until}" aria-invalid="true"' in page

    def test_a_one_day_range_is_not_reversed(self, shop, notices, now):
        client = reader(make_member(shop))
        day = (timezone.localdate(now) - timedelta(days=1)).isoformat()

        assert self.titles(client, date_from=day, date_to=day) == ["Renew"]

    def test_unread_only_follows_this_readers_state(self, shop, notices):
        user = make_member(shop)
        client = reader(user)
        client.post(
            reverse("dashboard:notices"),
            {"notice": [notices["renewal"].pk, notices["payout"].pk], "query": "unread=1"},
        )

        assert self.titles(client, unread="1") == ["Restricted", "Old shortfall"]
        colleague = reader(make_member(shop, role="VIEWER"))
        assert len(self.titles(colleague, unread="1")) == 4

    def test_marking_selected_read_returns_to_the_same_filters(self, shop, notices):
        user = make_member(shop)

        response = reader(user).post(
            reverse("dashboard:notices"),
            {"notice": [notices["restriction"].pk], "query": "group=shortfall&evil=1"},
        )

        assert response.status_code == 302
        assert response["Location"] == reverse("dashboard:notices") + "?group=shortfall"
        assert list(
            NotificationRead.objects.filter(user=user).values_list("notification", flat=True)
        ) == [notices["restriction"].pk]

    def test_pages_of_25_newest_first(self, shop):
        for n in range(30):
            notice(shop, "shortfall.reminder", key=f"r{n}", title=f"Reminder {n:02d}")
        client = reader(make_member(shop))

        first = client.get(reverse("dashboard:notices"))
        second = client.get(reverse("dashboard:notices"), {"page": 2})

        assert len(first.context["items"]) == 25
        assert len(second.context["items"]) == 5
        assert "Page 1 of 2" in first.content.decode()
        assert 'href="?page=2"' in first.content.decode()

    def test_no_match_says_so(self, shop, notices):
        page = reader(make_member(shop)).get(reverse("dashboard:notices"), {"group": "claims"})

        assert "No notice matches these filters." in page.content.decode()

"""The ops overview as the admin's home: the figures count what the lists behind them list, each
figure opens its filtered list, each user sees only the sections whose lists they may open, the
page's cost does not grow with the data, and the charts' daily totals come from the snapshot."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from claims import services as claim_services
from config import dashboard
from deposits import services as deposit_services
from deposits.models import Account, BaseRequirementRule, DailyDepositSnapshot, ShortfallCase
from partners.services import partner_get_or_create
from shops.models import ShopStatus
from tests.claims.ops_helpers import in_review, ops
from tests.factories import fund, make_shop, make_user
from tests.insurance.advance_helpers import make_active_policy
from tests.partners.api_client import make_api

ADMIN_HOME = "/admin/"


@pytest.fixture
def clock(monkeypatch):
    """Today: the lists a figure opens filter by the real clock (the shortfall ages, the queue's
    deadlines), so the page is given the same one."""
    now = timezone.now().replace(microsecond=0)
    monkeypatch.setattr(dashboard, "clock", lambda: now)
    return now


@pytest.fixture
def picc(db):
    """PICC, the insurer of the default products (as tests/insurance/conftest.py makes it)."""
    from insurance.models import InsuranceProduct
    from partners.models import Partner

    issued = make_api("PICC")
    Partner.objects.filter(pk=issued.partner.pk).update(kind=Partner.Kind.INSURER)
    InsuranceProduct.objects.update(insurer=issued.partner)
    return issued


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


def _figures(response) -> dict[str, dashboard.Figure]:
    """Every figure on the page by its label (sections with several rows: "row / label")."""
    with translation.override("en"):
        return _figures_en(response.context)


def _figures_en(ctx) -> dict[str, dashboard.Figure]:  # type: ignore[no-untyped-def]
    figures: dict[str, dashboard.Figure] = {}
    for row in ctx["money_rows"]:
        for f in row["figures"]:
            figures[f"{row['currency']} / {f.label}"] = f
    for row in ctx["insurer_rows"]:
        for f in row["figures"]:
            figures[f"{row['insurer']} {row['currency']} / {f.label}"] = f
    for name in (
        "shop_figures",
        "shortfall_figures",
        "claims_by_due",
        "claims_by_status",
        "waiting_figures",
        "outbox_figures",
    ):
        for f in ctx[name]:
            figures[f"{name} / {f.label}"] = f
    return figures


def _staff(*perms: str, username: str | None = None):  # type: ignore[no-untyped-def]
    user = make_user(username)
    user.is_staff = True
    user.save()
    for label in perms:
        app, codename = label.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return user


def _live_shop(now, amount_minor=5_000_000, **kw):  # type: ignore[no-untyped-def]
    shop, account = make_shop(now=now, **kw)
    fund(account, amount_minor, now=now)
    shop.refresh_from_db()
    return shop, account


def _short(account: Account, amount_minor: int, *, now) -> None:  # type: ignore[no-untyped-def]
    deposit_services.deposit_deduct(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency=account.currency,
        reason="consumer compensation",
        reference=f"claim-{account.pk}",
        idempotency_key=f"short-{account.pk}",
        now=now,
    )


@pytest.mark.django_db
class TestFigures:
    def test_money_held_is_summed_per_currency_and_each_figure_opens_its_list(
        self, client, admin_user, clock
    ):
        _live_shop(clock - timedelta(days=3), 5_000_000)
        _live_shop(clock - timedelta(days=2), 6_000_000)
        BaseRequirementRule.objects.create(
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            currency="HKD",
            amount_minor=4_000_000,
            effective_from=clock - timedelta(days=10),
        )
        _live_shop(clock - timedelta(days=1), 4_000_000, currency="HKD")
        deposit_services.daily_snapshot_take(now=clock)
        client.force_login(admin_user)

        response = client.get(ADMIN_HOME)

        assert response.status_code == 200
        figures = _figures(response)
        assert figures["CNY / Cash held"].value == "¥ 110,000.00"
        assert figures["HKD / Cash held"].value == "HK$ 40,000.00"
        assert figures["CNY / Merchants' debt"].value == "¥ 0.00"
        listed = client.get(figures["CNY / Cash held"].href)
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == 2

    def test_shops_are_counted_by_state_with_closing_ones_apart(self, client, admin_user, clock):
        _live_shop(clock)
        _live_shop(clock)
        make_shop(now=clock)  # onboarding: nothing paid in
        deposit_services.daily_snapshot_take(now=clock)
        client.force_login(admin_user)

        figures = _figures(client.get(ADMIN_HOME))

        assert figures["shop_figures / Live"].value == "2"
        assert figures["shop_figures / Onboarding"].value == "1"
        assert figures["shop_figures / Frozen"].value == "0"
        live = client.get(figures["shop_figures / Live"].href)
        assert {s.status for s in live.context["cl"].result_list} == {ShopStatus.ACTIVE}
        assert live.context["cl"].result_count == 2

    def test_open_shortfalls_are_counted_by_age(self, client, admin_user, clock):
        _, old = _live_shop(clock - timedelta(days=60))
        _short(old, 1_000_000, now=clock - timedelta(days=45))
        deposit_services.shortfall_scan(now=clock - timedelta(days=45), dispatch=lambda ids: None)
        _, new = _live_shop(clock - timedelta(days=3))
        _short(new, 500_000, now=clock - timedelta(days=2))
        deposit_services.shortfall_scan(now=clock - timedelta(days=2), dispatch=lambda ids: None)
        assert ShortfallCase.objects.filter(status="OPEN").count() == 2
        client.force_login(admin_user)

        response = client.get(ADMIN_HOME)

        figures = _figures(response)
        assert figures["shortfall_figures / Less than 7 days"].value == "1"
        assert figures["shortfall_figures / 30 to 90 days"].value == "1"
        assert figures["shortfall_figures / 7 to 30 days"].value == "0"
        assert response.context["overview"].shortfalls.amount_by_currency == {"CNY": 1_500_000}
        listed = client.get(figures["shortfall_figures / 30 to 90 days"].href)
        assert [case.shop_id for case in listed.context["cl"].result_list] == [old.shop_id]

    def test_claims_overdue_come_first_and_open_the_queue_filtered(
        self, client, admin_user, clock, partner
    ):
        shop, _ = _live_shop(clock - timedelta(days=30), partner_id=partner.pk)
        late = in_review(partner, shop, at=clock - timedelta(days=20), consumer="a")
        in_review(partner, shop, at=clock, consumer="b")
        client.force_login(admin_user)

        response = client.get(ADMIN_HOME)

        by_due = response.context["claims_by_due"]
        assert by_due[0] == _figures(response)["claims_by_due / Overdue"]
        assert by_due[0].value == "1" and by_due[0].alert
        assert _figures(response)["claims_by_status / In review"].value == "2"
        queue = client.get(by_due[0].href)
        assert [c.pk for c in queue.context["cl"].result_list] == [late.pk]

    def test_requests_waiting_for_me_are_another_persons_not_mine(self, client, clock, partner):
        shop, _ = _live_shop(clock - timedelta(days=30), partner_id=partner.pk)
        claim = in_review(partner, shop, at=clock, reason="COUNTERFEIT", paid=300_000)
        alice, bob = ops("alice"), ops("bob")
        # The figure links to the four-eyes list, which approvers read (the supervisor role).
        bob.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="approvals", codename="view_foureyesrequest"
            )
        )
        claim_services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Brand letter.", maker=alice, now=clock
        )

        client.force_login(bob)
        bobs = _figures(client.get(ADMIN_HOME))["waiting_figures / Four-eyes requests"]
        client.force_login(alice)
        alices = _figures(client.get(ADMIN_HOME))["waiting_figures / Four-eyes requests"]

        assert (bobs.value, alices.value) == ("1", "0")
        client.force_login(bob)
        listed = client.get(bobs.href)
        assert listed.status_code == 200, (listed.status_code, listed.get("Location"))
        assert listed.context["cl"].result_count == 1

    def test_every_figure_opens_a_list_that_accepts_its_filters(
        self, client, admin_user, clock, picc
    ):
        make_active_policy(make_api("Tmall"), picc, clock)
        deposit_services.daily_snapshot_take(now=clock)
        client.force_login(admin_user)

        figures = _figures(client.get(ADMIN_HOME))

        assert figures["PICC CNY / Limits in force"].value == "¥ 50,000.00"
        for label, figure in figures.items():
            listed = client.get(figure.href)
            # An unknown filter makes the admin redirect to "?e=1" instead of listing.
            assert listed.status_code == 200, label
            assert "cl" in listed.context, label
        policies = client.get(figures["PICC CNY / Limits in force"].href)
        assert policies.context["cl"].result_count == 1

    def test_totals_say_when_they_were_taken_and_when_the_task_is_late(
        self, client, admin_user, clock
    ):
        _live_shop(clock)
        deposit_services.daily_snapshot_take(now=clock - timedelta(minutes=20))
        client.force_login(admin_user)

        response = client.get(ADMIN_HOME, HTTP_ACCEPT_LANGUAGE="en")

        assert response.context["overview"].totals_late
        note = response.content.decode().split('id="ov-totals-as-of">')[1].split("</p>")[0]
        assert "taken every 5 minutes" in note
        assert "The snapshot task is late" in note
        deposit_services.daily_snapshot_take(now=clock)
        assert not client.get(ADMIN_HOME).context["overview"].totals_late


@pytest.mark.django_db
class TestWhoSeesWhat:
    def test_without_the_accounts_permission_no_money_figure_is_shown_or_read(self, client, clock):
        _live_shop(clock)
        client.force_login(_staff("claims.view_claim"))

        with CaptureQueriesContext(connection) as queries:
            response = client.get(ADMIN_HOME)

        assert response.status_code == 200
        assert response.context["money_rows"] == []
        assert 'id="ov-money"' not in response.content.decode()
        assert 'id="ov-claims"' in response.content.decode()
        assert not any("deposits_account" in q["sql"] for q in queries.captured_queries)

    def test_a_user_who_may_approve_nothing_sees_no_request_waiting(self, client, clock):
        client.force_login(_staff("deposits.view_account"))

        response = client.get(ADMIN_HOME)

        waiting = response.context["overview"].waiting
        assert waiting.total == 0

    def test_a_merchant_user_cannot_open_it(self, client, clock):
        client.force_login(make_user())

        response = client.get(ADMIN_HOME)

        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


@pytest.mark.django_db
class TestPage:
    def test_the_cost_does_not_grow_with_the_data(
        self, client, admin_user, clock, partner, django_assert_max_num_queries
    ):
        for days in range(6):
            _, account = _live_shop(clock - timedelta(days=days + 40), partner_id=partner.pk)
            _short(account, 100_000, now=clock - timedelta(days=days + 1))
        deposit_services.shortfall_scan(now=clock, dispatch=lambda ids: None)
        deposit_services.daily_snapshots_backfill(now=clock)
        deposit_services.daily_snapshot_take(now=clock)
        client.force_login(admin_user)

        # Session, user and two-factor device (3), then the sections: money and shops 1
        # (today's totals), shortfalls 1, claims 1, insurers 2, waiting 2, outbox 2, history 1.
        with django_assert_max_num_queries(13):
            response = client.get(ADMIN_HOME)

        assert response.status_code == 200

    def test_the_charts_data_are_json_and_no_script_is_inline(self, client, admin_user, clock):
        _, account = _live_shop(clock - timedelta(days=10), 5_000_000)
        fund(account, 1_000_000, now=clock - timedelta(days=5))
        deposit_services.daily_snapshots_backfill(now=clock)
        deposit_services.daily_snapshot_take(now=clock)
        client.force_login(admin_user)

        html = client.get(ADMIN_HOME).content.decode()

        assert 'id="overview-chart-data" type="application/json"' in html
        assert "js/overview_charts.js" in html
        inline = [
            tag
            for tag in re.findall(r"<script\b[^>]*>", html)
            if "src=" not in tag and "application/json" not in tag
        ]
        assert inline == []
        assert ' style="' not in html.split('id="ops-overview"')[1]

    def test_it_reads_in_chinese(self, client, admin_user, clock):
        _live_shop(clock)
        client.force_login(admin_user)

        html = client.get(ADMIN_HOME, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

        assert "概览" in html
        assert "持有资金" in html
        assert "按状态统计的店铺" in html


@pytest.mark.django_db
class TestDailySnapshot:
    def test_today_is_taken_from_the_book_and_rewritten_each_run(self, clock):
        _, account = _live_shop(clock, 5_000_000)
        deposit_services.daily_snapshot_take(now=clock)
        fund(account, 1_000_000, now=clock)
        # Later the same Shanghai day: an hour on, unless that crosses midnight (the real clock
        # made this fail between 23:00 and 24:00 Shanghai time).
        end_of_day = timezone.localtime(clock).replace(hour=23, minute=59, second=59)
        later = min(clock + timedelta(hours=1), end_of_day)

        deposit_services.daily_snapshot_take(now=later)

        row = DailyDepositSnapshot.objects.get()
        assert (row.day, row.currency) == (timezone.localdate(clock), "CNY")
        assert row.posted_minor == 6_000_000 and not row.derived

    def test_earlier_days_are_derived_from_the_ledger_once(self, clock):
        _, account = _live_shop(clock - timedelta(days=3), 5_000_000)
        fund(account, 1_000_000, now=clock - timedelta(days=1))
        today = timezone.localdate(clock)

        derived = deposit_services.daily_snapshots_backfill(now=clock)

        by_day = {r.day: r.posted_minor for r in DailyDepositSnapshot.objects.all()}
        assert derived == 90
        assert by_day[today - timedelta(days=1)] == 6_000_000
        assert by_day[today - timedelta(days=2)] == 5_000_000
        assert by_day[today - timedelta(days=4)] == 0
        assert deposit_services.daily_snapshots_backfill(now=clock) == 0

"""Coverage over time: each day's requirement, cash, holds, guarantee and debt rebuilt from the
ledger, the holds, the guarantees and the requirement's recorded history; and the chart page.

Moments are 02:00 UTC (10:00 in Shanghai), so each event falls on the calendar day it names.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from deposits import services, views_statement
from deposits.coverage_history import coverage_history
from deposits.models import RequirementChange
from shops.models import MerchantUser
from tests.factories import make_member, make_shop


def _at(day: int) -> datetime:
    return datetime(2026, 11, day, 2, 0, tzinfo=UTC)


def _key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def history():  # type: ignore[no-untyped-def]
    """Opened Nov 1; paid in full Nov 2; a hold of 8,000.00 on Nov 3, 5,000.00 of it captured
    Nov 5; a guarantee of 20,000.00 from Nov 4 to Nov 7; the requirement raised by 30,000.00 on
    Nov 6; a deduction of 60,000.00 beyond the deposit on Nov 8."""
    shop, account = make_shop(now=_at(1))
    required = account.required_minor
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=required,
        currency="CNY",
        payment_ref=_key(),
        idempotency_key=_key(),
        now=_at(2),
    )
    hold = services.hold_place(
        account_id=account.pk,
        amount_minor=800_000,
        currency="CNY",
        reason="消费者赔付申请",
        reference=f"claim:{uuid.uuid4()}",
        expires_at=_at(20),
        idempotency_key=_key(),
        now=_at(3),
    )
    services.guarantee_register(
        account_id=account.pk,
        amount_minor=2_000_000,
        currency="CNY",
        valid_from=_at(4),
        valid_to=_at(7),
        source_kind="OTHER",
        source_ref=f"test:{_key()}",
        now=_at(4),
    )
    services.hold_capture(hold_id=hold.pk, idempotency_key=_key(), now=_at(5), amount_minor=500_000)
    ops = get_user_model().objects.create_user(username=f"ops-{_key()[:8]}", is_staff=True)
    services.override_set(
        shop=shop, amount_minor=required + 3_000_000, reason="大促", actor=ops, now=_at(6)
    )
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=6_000_000,
        currency="CNY",
        reason="虚假发货赔付",
        reference="ORDER-1",
        idempotency_key=_key(),
        now=_at(8),
        allow_debt=True,
    )
    return shop, account, required


@pytest.mark.django_db
class TestSeries:
    def test_each_day_shows_what_was_required_and_what_stood_behind_it(self, history):
        _, account, required = history
        result = coverage_history(account, days=10, now=_at(9))
        by_day = {p.day: p for p in result.points}
        assert [p.day for p in result.points][0] == date(2026, 10, 31)
        assert by_day[date(2026, 10, 31)].required_minor is None  # no deposit yet
        day = by_day[date(2026, 11, 2)]
        assert (day.required_minor, day.posted_minor, day.held_minor) == (required, required, 0)
        day = by_day[date(2026, 11, 4)]
        assert (day.held_minor, day.guaranteed_minor) == (800_000, 2_000_000)
        day = by_day[date(2026, 11, 5)]
        assert (day.posted_minor, day.held_minor) == (required - 500_000, 0)
        day = by_day[date(2026, 11, 6)]
        assert day.required_minor == required + 3_000_000
        assert day.shortfall_minor == 3_000_000 + 500_000 - 2_000_000
        day = by_day[date(2026, 11, 7)]
        assert day.guaranteed_minor == 0  # valid to Nov 7, 02:00
        day = by_day[date(2026, 11, 8)]
        left = required - 500_000
        assert (day.posted_minor, day.debt_minor) == (0, 6_000_000 - left)

    def test_the_events_that_moved_it_are_listed_once_each(self, history):
        _, account, required = history
        result = coverage_history(account, days=10, now=_at(9))
        events = [(e.day.day, e.family, e.count, e.amount_minor) for e in result.events]
        assert events == [
            (1, "requirement", 1, required),
            (2, "top_up", 1, required),
            (4, "guarantee_start", 1, 2_000_000),
            (5, "deduction", 1, -500_000),
            (6, "requirement", 1, required + 3_000_000),
            (7, "guarantee_end", 1, 2_000_000),
            # One deduction, though it wrote two entries (the deposit and the debt).
            (8, "deduction", 1, -6_000_000),
        ]


@pytest.mark.django_db
class TestRequirementHistory:
    def test_a_recompute_that_changes_the_amount_records_it(self, history):
        _, account, required = history
        rows = list(
            RequirementChange.objects.filter(account=account).values_list(
                "previous_minor", "required_minor", "deciding"
            )
        )
        assert rows == [(0, required, "base"), (required, required + 3_000_000, "override")]

    def test_a_recompute_that_changes_nothing_records_nothing(self, history):
        shop, account, _ = history
        services.requirements_recompute(now=_at(9), shop_ids=[shop.pk])
        assert RequirementChange.objects.filter(account=account).count() == 2


@pytest.mark.django_db
class TestChartPage:
    def test_the_owner_sees_the_chart_its_table_and_the_events_in_words(
        self, client, history, django_assert_max_num_queries, monkeypatch
    ):
        shop, _, _ = history
        # The page's "today" is the day after the fixture's last event.
        monkeypatch.setattr(views_statement, "timezone", SimpleNamespace(now=lambda: _at(9)))
        client.force_login(make_member(shop, role=MerchantUser.Role.OWNER))
        client.cookies["django_language"] = "en"
        url = reverse("dashboard:coverage", args=[shop.public_id])
        with django_assert_max_num_queries(12):
            response = client.get(url, {"days": "365"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "<svg" in body and "<script" not in body and "style=" not in body
        assert "Deductions: 1, ¥ 60,000.00" in body
        assert "Guarantee of ¥ 20,000.00 starts" in body
        assert response.context["days"] == 365
        assert len(response.context["history"].points) == 365
        assert response.context["history"].points[-1].day == date(2026, 11, 9)

    def test_a_period_other_than_30_90_or_365_days_shows_90(self, client, history):
        shop, _, _ = history
        client.force_login(make_member(shop, role=MerchantUser.Role.OWNER))
        url = reverse("dashboard:coverage", args=[shop.public_id])
        assert client.get(url, {"days": "5000"}).context["days"] == 90

    def test_it_reads_the_same_in_chinese(self, client, history):
        shop, _, _ = history
        client.force_login(make_member(shop, role=MerchantUser.Role.OWNER))
        body = client.get(reverse("dashboard:coverage", args=[shop.public_id])).content.decode()
        assert "覆盖情况走势" in body and "担保" in body

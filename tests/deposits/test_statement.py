"""The merchant's statement: filters, totals to the fen, the running balance, the downloads and
the monthly PDF; who may read it.

The ledger is written through the services with explicit moments, so each entry falls on a known
China Standard Time day (the statement's calendar): 2026-11-30 16:30 UTC is 1 December in
Shanghai and belongs to December's statement.
"""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from deposits import services, views_statement
from deposits.models import Entry
from shops.models import MerchantUser
from tests.factories import make_member, make_shop

SHOP_OPENED = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
CLAIM = uuid.UUID("5d6a3c2e-7f00-4c1b-9a10-3b2f0c4d5e6f")

_seq = iter(range(1, 10_000))


def _top_up(account, amount_minor: int, at: datetime) -> None:  # type: ignore[no-untyped-def]
    n = next(_seq)
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency="CNY",
        payment_ref=f"ST-PAY-{uuid.uuid4()}",
        idempotency_key=f"st-top-up-{uuid.uuid4()}-{n}",
        now=at,
    )


def _deduct(account, amount_minor: int, at: datetime, reference: str, debt: bool = False) -> None:  # type: ignore[no-untyped-def]
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency="CNY",
        reason="消费者赔付",
        reference=reference,
        idempotency_key=f"st-deduct-{uuid.uuid4()}",
        now=at,
        allow_debt=debt,
    )


@pytest.fixture
def ledger(client):  # type: ignore[no-untyped-def]
    """An owner signed in, and their shop with six entries over October to December:
    Oct 5 top-up 50,000.00 · Oct 20 deduction 1,234.56 for a claim · Nov 1 top-up 300.00 ·
    Nov 10 deduction 99.99 (ORDER-77) · Dec 1 (Shanghai) top-up 0.01 · Dec 3 deduction of
    60,000.00 that takes the whole deposit and leaves a debt."""
    shop, account = make_shop(now=SHOP_OPENED, merchant_email="owner@statement.example")
    _top_up(account, 5_000_000, datetime(2026, 10, 5, 2, 0, tzinfo=UTC))
    _deduct(account, 123_456, datetime(2026, 10, 20, 2, 0, tzinfo=UTC), f"claim:{CLAIM}")
    _top_up(account, 30_000, datetime(2026, 10, 31, 16, 0, tzinfo=UTC))  # Nov 1, 00:00 Shanghai
    _deduct(account, 9_999, datetime(2026, 11, 10, 2, 0, tzinfo=UTC), "ORDER-77")
    _top_up(account, 1, datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # Dec 1, 00:30 Shanghai
    _deduct(account, 6_000_000, datetime(2026, 12, 3, 2, 0, tzinfo=UTC), "ORDER-88", debt=True)
    owner = make_member(shop, role=MerchantUser.Role.OWNER)
    client.force_login(owner)
    return shop, account


def _url(shop, name: str = "statement") -> str:  # type: ignore[no-untyped-def]
    return reverse(f"dashboard:{name}", args=[shop.public_id])


def _page(client, shop, **params):  # type: ignore[no-untyped-def]
    response = client.get(_url(shop), {"date_from": "", "date_to": "", **params})
    assert response.status_code == 200, response.content[:500]
    return response.context["page"]


BALANCE_AFTER_OCT = 5_000_000 - 123_456


@pytest.mark.django_db
class TestFilters:
    def test_a_month_lists_exactly_its_entries_with_totals_to_the_fen(self, client, ledger):
        shop, _ = ledger
        page = _page(client, shop, date_from="2026-11-01", date_to="2026-11-30")
        assert [(e.kind, e.amount_minor) for e in page.rows] == [
            ("TOP_UP", 30_000),
            ("DEDUCTION", -9_999),
        ]
        totals = page.totals
        assert totals.opening_minor == BALANCE_AFTER_OCT
        assert (totals.credits_minor, totals.debits_minor) == (30_000, 9_999)
        assert totals.closing_minor == BALANCE_AFTER_OCT + 30_000 - 9_999
        assert totals.row_count == 2

    def test_days_are_china_standard_time_days(self, client, ledger):
        shop, _ = ledger
        page = _page(client, shop, date_from="2026-12-01", date_to="2026-12-01")
        # 2026-11-30 16:30 UTC is 1 December, 00:30 in Shanghai.
        assert [(e.kind, e.amount_minor) for e in page.rows] == [("TOP_UP", 1)]

    def test_a_kind_lists_only_that_kind_and_sums_only_those_rows(self, client, ledger):
        shop, _ = ledger
        page = _page(client, shop, kind="DEDUCTION")
        # The last deduction is two entries: the whole deposit, and the rest as a debt.
        posted_left = BALANCE_AFTER_OCT + 30_000 - 9_999 + 1
        assert [(e.bucket, e.amount_minor) for e in page.rows] == [
            ("POSTED", -123_456),
            ("POSTED", -9_999),
            ("POSTED", -posted_left),
            ("DEBT", -(6_000_000 - posted_left)),
        ]
        assert page.totals.credits_minor == 0
        assert page.totals.debits_minor == 123_456 + 9_999 + 6_000_000
        # The balances are the whole deposit's: −(debt) at the end.
        assert page.totals.opening_minor == 0
        assert page.totals.closing_minor == -(6_000_000 - posted_left)

    def test_a_claim_lists_the_entries_posted_for_it(self, client, ledger):
        shop, _ = ledger
        page = _page(client, shop, claim=str(CLAIM))
        assert [(e.kind, e.amount_minor, e.reference) for e in page.rows] == [
            ("DEDUCTION", -123_456, f"claim:{CLAIM}")
        ]
        assert page.totals.debits_minor == 123_456

    def test_a_reference_matches_part_of_it_whatever_the_case(self, client, ledger):
        shop, _ = ledger
        page = _page(client, shop, reference="order-7")
        assert [e.reference for e in page.rows] == ["ORDER-77"]

    def test_a_withdrawal_is_found_by_part_of_its_payout_reference(self, client):
        shop, account = make_shop(now=SHOP_OPENED, merchant_email="owner@payout.example")
        _top_up(account, account.required_minor + 100_000, datetime(2026, 10, 5, 2, 0, tzinfo=UTC))
        withdrawal = services.deposit_withdraw(
            account_id=account.pk,
            amount_minor=40_000,
            currency="CNY",
            idempotency_key=f"st-withdraw-{uuid.uuid4()}",
            now=datetime(2026, 10, 6, 2, 0, tzinfo=UTC),
        ).transaction.withdrawal
        client.force_login(make_member(shop, role=MerchantUser.Role.OWNER))

        page = _page(client, shop, reference=withdrawal.reference[-5:].lower())
        nothing = _page(client, shop, reference="WD-1999")

        assert [(e.kind, e.amount_minor) for e in page.rows] == [("WITHDRAWAL", -40_000)]
        assert page.totals.debits_minor == 40_000
        assert nothing.rows == [] and nothing.totals.row_count == 0

    def test_without_filters_the_page_shows_this_month_so_far(self, client, ledger):
        shop, _ = ledger
        response = client.get(_url(shop))
        assert response.status_code == 200
        form = response.context["form"]
        assert form.cleaned_data["date_from"].day == 1

    def test_an_end_before_the_start_is_refused_with_the_field_named(self, client, ledger):
        shop, _ = ledger
        client.cookies["django_language"] = "en"
        response = client.get(_url(shop), {"date_from": "2026-11-30", "date_to": "2026-11-01"})
        assert response.status_code == 400
        assert "End date: The end date is before the start date." in response.content.decode()


@pytest.mark.django_db
class TestRunningBalance:
    def test_each_row_shows_the_balance_after_it_across_pages(self, client, ledger, monkeypatch):
        shop, _ = ledger
        monkeypatch.setattr(views_statement, "ROWS_PER_PAGE", 2)
        balances = []
        for number in (1, 2, 3, 4):
            page = _page(client, shop, page=str(number))
            balances += [(e.amount_minor, e.running_minor) for e in page.rows]
        assert page.num_pages == 4
        expected, running = [], 0
        for entry in Entry.objects.filter(account__shop=shop).order_by("occurred_at", "id"):
            running += entry.amount_minor
            expected.append((entry.amount_minor, running))
        assert balances == expected
        assert len(expected) == 7

    def test_an_entry_posted_late_for_an_earlier_moment_keeps_every_figure_consistent(
        self, client, ledger
    ):
        shop, account = ledger
        # Posted after December's entries, for 5 November (a backdated posting).
        _top_up(account, 777, datetime(2026, 11, 5, 2, 0, tzinfo=UTC))
        page = _page(client, shop, date_from="2026-11-01", date_to="2026-11-30")
        assert [e.amount_minor for e in page.rows] == [30_000, 777, -9_999]
        totals = page.totals
        assert totals.opening_minor == BALANCE_AFTER_OCT
        assert totals.closing_minor == BALANCE_AFTER_OCT + 30_000 + 777 - 9_999
        assert [e.running_minor for e in page.rows] == [
            BALANCE_AFTER_OCT + 30_000,
            BALANCE_AFTER_OCT + 30_777,
            BALANCE_AFTER_OCT + 30_777 - 9_999,
        ]

    def test_a_filtered_row_shows_the_whole_deposits_balance(self, client, ledger):
        shop, _ = ledger
        page = _page(client, shop, reference="ORDER-77")
        assert [e.running_minor for e in page.rows] == [BALANCE_AFTER_OCT + 30_000 - 9_999]

    def test_the_page_stays_within_its_query_budget(
        self, client, ledger, django_assert_max_num_queries
    ):
        shop, _ = ledger
        with django_assert_max_num_queries(12):
            response = client.get(
                _url(shop), {"date_from": "2026-10-01", "date_to": "2026-12-31", "kind": "TOP_UP"}
            )
        assert response.status_code == 200


def _csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.django_db
class TestDownloads:
    def test_csv_holds_exactly_the_filtered_rows_with_their_balances(self, client, ledger):
        shop, _ = ledger
        params = {"date_from": "2026-10-01", "date_to": "2026-12-31", "kind": "DEDUCTION"}
        response = client.get(_url(shop, "statement_csv"), params)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        rows = _csv_rows(response)
        page = _page(client, shop, **params)
        assert [(r[6], r[7], r[8]) for r in rows[1:]] == [
            (
                f"{e.amount_minor / 100:.2f}",
                f"{e.running_minor / 100:.2f}",
                str(e.pk),
            )
            for e in page.rows
        ]
        assert rows[1][4] == f"claim:{CLAIM}"

    def test_the_pages_download_link_for_all_time_downloads_all_time(self, client, ledger):
        shop, _ = ledger
        page = client.get(_url(shop), {"date_from": "", "date_to": ""})
        link = re.search(r'href="([^"]*/statement/csv/[^"]*)"', page.content.decode()).group(1)

        rows = _csv_rows(client.get(html.unescape(link)))

        listed = page.context["page"].totals.row_count
        assert listed == 7  # October to December, the debt's entry included
        assert len(rows) == 1 + listed  # the header and every entry, not this month's

    def test_xlsx_holds_the_same_rows(self, client, ledger):
        from openpyxl import load_workbook

        shop, _ = ledger
        params = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
        response = client.get(_url(shop, "statement_xlsx"), params)
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.iter_rows(values_only=True))
        # Amounts are numbers Excel can sum, shown with 2 decimals; times are real date-times.
        assert [(r[6], r[7]) for r in rows[1:]] == [
            (300, (BALANCE_AFTER_OCT + 30_000) / 100),
            (-99.99, (BALANCE_AFTER_OCT + 30_000 - 9_999) / 100),
        ]
        for row in sheet.iter_rows(min_row=2):
            when, amount, balance = row[0], row[6], row[7]
            assert when.is_date and isinstance(when.value, datetime)
            assert when.value.strftime("%Y-%m") == "2026-11"
            assert amount.data_type == balance.data_type == "n"
            assert amount.number_format == balance.number_format == "#,##0.00"

    def test_the_csv_keeps_amounts_and_times_as_plain_text(self, client, ledger):
        shop, _ = ledger
        params = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
        rows = _csv_rows(client.get(_url(shop, "statement_csv"), params))
        assert [(r[6], r[7]) for r in rows[1:]] == [
            ("300.00", f"{(BALANCE_AFTER_OCT + 30_000) / 100:.2f}"),
            ("-99.99", f"{(BALANCE_AFTER_OCT + 30_000 - 9_999) / 100:.2f}"),
        ]
        assert all(re.fullmatch(r"2026-11-\d\d \d\d:\d\d:\d\d", r[0]) for r in rows[1:])

    @pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
    @pytest.mark.parametrize(
        ("language", "title"), [("en", "Deposit statement"), ("zh-hans", "保证金对账单")]
    )
    def test_the_monthly_pdf_states_the_months_totals(self, client, ledger, language, title):
        shop, _ = ledger
        client.cookies["django_language"] = language
        response = client.get(_url(shop, "statement_pdf"), {"month": "2026-11"})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"],
            input=response.content,
            capture_output=True,
            check=True,
        ).stdout.decode()
        assert title in text
        opening = BALANCE_AFTER_OCT
        closing = opening + 30_000 - 9_999
        for amount in (f"{opening / 100:,.2f}", "300.00", "99.99", f"{closing / 100:,.2f}"):
            assert f"¥ {amount}" in text
        assert "ORDER-77" in text
        assert "ORDER-88" not in text  # December's

    def test_a_month_that_is_not_a_month_is_refused(self, client, ledger):
        shop, _ = ledger
        response = client.get(_url(shop, "statement_pdf"), {"month": "2026-13"})
        assert response.status_code == 400


@pytest.mark.django_db
class TestWhoMayRead:
    @pytest.mark.parametrize(
        "name", ["statement", "statement_csv", "statement_xlsx", "statement_pdf", "coverage"]
    )
    def test_staff_without_the_deposit_permission_see_no_amounts(self, client, ledger, name):
        shop, _ = ledger
        client.force_login(make_member(shop, role=MerchantUser.Role.VIEWER))
        response = client.get(_url(shop, name), {"month": "2026-11"})
        assert response.status_code == 403
        body = response.content.decode()
        assert "¥" not in body and "50,000" not in body
        assert "finance role" in body or "“财务”角色" in body

    @pytest.mark.parametrize(
        "name", ["statement", "statement_csv", "statement_xlsx", "statement_pdf", "coverage"]
    )
    def test_another_merchants_shop_is_not_found(self, client, ledger, name):
        shop, _ = ledger
        other, _ = make_shop(now=SHOP_OPENED, merchant_email="other@statement.example")
        client.force_login(make_member(other, role=MerchantUser.Role.OWNER))
        response = client.get(_url(shop, name), {"month": "2026-11"})
        assert response.status_code == 404

    def test_staff_with_the_permission_read_it(self, client, ledger):
        shop, _ = ledger
        client.force_login(make_member(shop, role=MerchantUser.Role.FINANCE))
        assert _page(client, shop, kind="TOP_UP").totals.credits_minor == 5_030_001

    def test_the_shop_page_links_the_statement_and_the_chart_only_for_those_who_may_read_them(
        self, client, ledger
    ):
        shop, _ = ledger
        page = client.get(reverse("dashboard:shop_detail", args=[shop.public_id])).content.decode()
        assert _url(shop) in page and _url(shop, "coverage") in page
        client.force_login(make_member(shop, role=MerchantUser.Role.VIEWER))
        page = client.get(reverse("dashboard:shop_detail", args=[shop.public_id])).content.decode()
        assert _url(shop) not in page and _url(shop, "coverage") not in page

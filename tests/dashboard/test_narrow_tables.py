"""At 390 px the money columns are read without scrolling sideways: the home's shops table and
the shop page's holds and ledger become one card per row (table.cards), each cell under its
heading (data-label), by a rule of static/css/app.css for narrow screens. The browser suite
measures the layout; here the page and the stylesheet are checked to carry what it relies on."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from deposits import services
from tests.factories import fund, make_member, make_shop

pytestmark = pytest.mark.django_db

YUAN = 100


def _table(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</table>", start)]


def _labels(table: str) -> set[str]:
    return set(re.findall(r'<td[^>]*data-label="([^"]+)"', table))


def test_the_home_and_shop_tables_are_cards_with_a_heading_on_each_money_cell(client, now):
    shop, account = make_shop(now=now)
    fund(account, 50_000 * YUAN, now=now)
    services.hold_place(
        account_id=account.pk,
        amount_minor=2_000 * YUAN,
        currency="CNY",
        reason="假一赔四投诉审核中",
        reference="CLAIM-8812",
        expires_at=now + timedelta(days=12),
        idempotency_key="hold-cards",
        now=now,
    )
    client.force_login(make_member(shop))

    home = client.get(reverse("dashboard:home")).content.decode()
    page = client.get(reverse("dashboard:shop_detail", args=[shop.public_id])).content.decode()

    shops = _table(home, '<table class="data shops cards">')
    assert {"应缴", "可用现金", "缺口"} <= _labels(shops)
    holds = _table(page, '<table class="data cards"><thead><tr><th>原因')
    assert {"金额", "最迟解冻时间"} <= _labels(holds)
    ledger = _table(page, '<table class="data cards"><thead><tr><th>时间')
    assert {"金额", "变动后余额"} <= _labels(ledger)


def test_the_stylesheet_turns_card_tables_into_cards_on_narrow_screens():
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()

    narrow = [
        block
        for width, block in re.findall(
            r"@media \(max-width: (\d+)px\) \{(.*?)\n\}", css, flags=re.S
        )
        if int(width) >= 390 and "table.data.cards" in block
    ]

    assert narrow, "a rule for narrow screens styles table.data.cards"
    rules = narrow[0]
    assert re.search(r"table\.data\.cards thead \{ display: none; \}", rules)
    assert re.search(
        r"table\.data\.cards td\[data-label\]::before \{ content: attr\(data-label\)", rules
    )
    assert "display: flex" in rules and "min-width: 0" in rules


def test_the_coverage_chart_opens_at_today_on_narrow_screens():
    # A 560 px chart in a 324 px box: the box starts at its right end (right-to-left scroll
    # box), the chart keeps its left-to-right text.
    css = (settings.BASE_DIR / "static" / "css" / "reports.css").read_text()

    narrow = "".join(
        block
        for width, block in re.findall(r"@media \(max-width: (\d+)px\) \{(.*?)\n\}", css, re.S)
        if int(width) >= 390
    )

    assert "svg.chart { min-width: 560px; }" in narrow
    assert re.search(r"\.chart-scroll \{ direction: rtl; \}", narrow)
    assert re.search(r"\.chart-scroll > svg\.chart \{ direction: ltr; \}", narrow)

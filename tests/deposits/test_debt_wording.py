"""A shop whose deduction went beyond its deposit owes the rest to the platform: the dashboard
says what is owed, to whom, why, and what the next top-up does, not just "short by".

Persona: a live flagship shop with its 50,000.00 deposit, hit by a 52,000.00 claim deduction
(假一赔四, CLAIM-9001): 50,000.00 came out of the deposit, the platform paid the other 2,000.00.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deposits import services
from deposits.selectors import debt_origin
from tests.factories import fund, make_member, make_shop
from tests.pages import page_html

pytestmark = pytest.mark.django_db

YUAN = 100


@pytest.fixture(autouse=True)
def _quiet(settings):
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False
    settings.DEPOSIT_SANDBOX_PAYMENTS = True


@pytest.fixture
def indebted_shop():  # type: ignore[no-untyped-def]
    now = timezone.now()
    shop, account = make_shop(now=now - timedelta(days=30))
    fund(account, 50_000 * YUAN, now=now - timedelta(days=30))
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=52_000 * YUAN,
        currency="CNY",
        reason="假一赔四",
        reference="CLAIM-9001",
        allow_debt=True,
        idempotency_key="debt-wording-1",
        now=now - timedelta(hours=1),
    )
    services.shortfall_evaluate(shop_id=shop.pk, now=now - timedelta(hours=1))
    account.refresh_from_db()
    assert (account.debt_minor, account.shortfall_minor) == (2_000 * YUAN, 52_000 * YUAN)
    return shop, account


def page(user, url: str, language: str = "en") -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(user)
    return page_html(client.get(url)).replace("&#x27;", "'")


def shop_url(shop) -> str:  # type: ignore[no-untyped-def]
    return reverse("dashboard:shop_detail", args=[shop.public_id])


def test_the_debt_is_traced_to_the_deduction_that_made_it(indebted_shop):
    shop, account = indebted_shop

    origin = debt_origin(account)

    assert origin is not None
    assert (origin.deduction_minor, origin.from_deposit_minor, origin.into_debt_minor) == (
        52_000 * YUAN,
        50_000 * YUAN,
        2_000 * YUAN,
    )
    assert (origin.owed_minor, origin.refill_minor) == (2_000 * YUAN, 50_000 * YUAN)
    assert (origin.reason, origin.reference) == ("假一赔四", "CLAIM-9001")


def test_the_owner_reads_what_is_owed_to_whom_why_and_what_happens_next(indebted_shop):
    shop, _ = indebted_shop

    html = page(make_member(shop), shop_url(shop))

    assert (
        "Your shop owes ¥ 2,000.00 to the platform, and its deposit is ¥ 50,000.00 below the "
        "requirement: ¥ 52,000.00 to pay in all."
    ) in html
    assert (
        "a deduction of ¥ 52,000.00 was larger than the cash in the deposit: ¥ 50,000.00 was "
        "taken from the deposit, and the platform paid the other ¥ 2,000.00 to the consumer on "
        "your behalf. You owe that ¥ 2,000.00 to the platform."
    ) in html
    assert "CLAIM-9001" in html
    assert (
        "your next top-up pays the debt first: the first ¥ 2,000.00 of it goes to the platform"
        in html
    )
    assert "Your deposit is short by" not in html


def test_in_chinese_too(indebted_shop):
    shop, _ = indebted_shop

    html = page(make_member(shop), shop_url(shop), language="zh-hans")

    assert (
        "您的店铺欠平台 ¥ 2,000.00，保证金比应缴金额少 ¥ 50,000.00：共需缴纳 ¥ 52,000.00。" in html
    )
    assert "平台代您向消费者支付了其余的 ¥ 2,000.00" in html


def test_staff_without_the_deposit_permission_learn_there_is_a_debt_but_no_amounts(indebted_shop):
    shop, _ = indebted_shop

    html = page(make_member(shop, role="VIEWER"), shop_url(shop))

    assert (
        "This shop owes money to the platform and its deposit is short of what is required." in html
    )
    assert "¥" not in html.split('id="shortfall"')[1].split("</section>")[0]


def test_the_home_page_names_the_debt_beside_the_shortfall(indebted_shop):
    shop, _ = indebted_shop

    html = page(make_member(shop), reverse("dashboard:home"))

    assert "owes ¥ 2,000.00 to the platform; ¥ 52,000.00 to pay in all" in html
    assert "of which ¥ 2,000.00 owed to the platform" in html


def test_once_the_debt_is_paid_the_page_no_longer_speaks_of_it(indebted_shop):
    shop, account = indebted_shop
    fund(account, 2_000 * YUAN, now=timezone.now())

    html = page(make_member(shop), shop_url(shop))

    assert account.debt_minor == 0
    assert "owes" not in html and "Your deposit is short by ¥ 50,000.00." in html

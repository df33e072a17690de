"""Withdrawing surplus from the merchant dashboard.

Persona: the owner of a live flagship shop (registered trademark, apparel: ¥ 50,000.00 required)
who paid in ¥ 62,000.00, so ¥ 12,000.00 is surplus. Balances are arranged through services
(shop_register, deposit_top_up, hold_place, shop_exit_confirm), never by writing columns. Pages
render in the default language (简体中文) unless a test sets the English language cookie.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from deposits import services
from deposits.models import Account, LedgerTransaction
from shops import services as shop_services
from shops.models import Shop
from tests.factories import fund, make_member, make_shop, make_user
from tests.pages import page_html

pytestmark = pytest.mark.django_db

YUAN = 100
REQUIRED = 50_000 * YUAN
SURPLUS = 12_000 * YUAN


@pytest.fixture
def rich_shop(now) -> tuple[Shop, Account]:
    shop, account = make_shop(now=now - timedelta(days=30))
    assert account.required_minor == REQUIRED
    fund(account, REQUIRED + SURPLUS, now=now - timedelta(days=30))
    shop.refresh_from_db()
    assert shop.status == "ACTIVE"
    return shop, account


def client_for(user, *, english: bool = False) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    if english:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def owner(shop: Shop, *, english: bool = False) -> Client:
    return client_for(make_member(shop, role="OWNER"), english=english)


def shop_url(shop: Shop) -> str:
    return reverse("dashboard:shop_detail", args=[shop.public_id])


def withdraw_url(shop: Shop) -> str:
    return reverse("dashboard:withdraw", args=[shop.public_id])


def hidden_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', html)[1]


def balances(account: Account) -> tuple[int, int, int]:
    account.refresh_from_db()
    return account.posted_minor, account.held_minor, account.debt_minor


def withdrawals() -> list[LedgerTransaction]:
    return list(LedgerTransaction.objects.filter(kind="WITHDRAWAL", status="POSTED"))


class TestWithdrawButton:
    def test_the_owner_of_a_shop_with_surplus_sees_the_button(self, rich_shop):
        shop, _ = rich_shop

        html = page_html(owner(shop).get(shop_url(shop)))

        assert withdraw_url(shop) in html
        assert "申请提现" in html
        assert "¥ 12,000.00" in html

    def test_without_surplus_the_page_says_the_deposit_must_stay_at_the_requirement(self, now):
        shop, account = make_shop(now=now)
        fund(account, REQUIRED, now=now)

        html = page_html(owner(shop, english=True).get(shop_url(shop)))

        assert withdraw_url(shop) not in html
        assert "The deposit must stay at ¥ 50,000.00" in html

    def test_a_hold_for_an_open_claim_is_named_as_the_reason(self, now):
        shop, account = make_shop(now=now)
        fund(account, REQUIRED + 2_000 * YUAN, now=now)
        services.hold_place(
            account_id=account.pk,
            amount_minor=2_000 * YUAN,
            currency="CNY",
            reason="假一赔四投诉审核中",
            reference="CLAIM-8812",
            expires_at=now + timedelta(days=12),
            idempotency_key="hold-8812",
            now=now,
        )

        html = page_html(owner(shop).get(shop_url(shop)))

        assert withdraw_url(shop) not in html
        assert "未决理赔冻结了 ¥ 2,000.00" in html

    def test_staff_without_the_deposit_permission_see_no_button(self, rich_shop):
        shop, _ = rich_shop
        client = client_for(make_member(shop, role="VIEWER"))

        html = page_html(client.get(shop_url(shop)))

        assert withdraw_url(shop) not in html

    def test_staff_with_the_deposit_permission_see_the_button(self, rich_shop):
        shop, _ = rich_shop
        client = client_for(make_member(shop, role="FINANCE"))

        assert withdraw_url(shop) in page_html(client.get(shop_url(shop)))


class TestWithdrawPage:
    def test_the_default_amount_is_the_whole_surplus_and_the_payout_is_explained(self, rich_shop):
        shop, _ = rich_shop

        response = owner(shop).get(withdraw_url(shop))

        html = page_html(response)
        assert response.status_code == 200
        assert 'name="amount"' in html and 'value="12000.00"' in html
        assert hidden_key(html)
        assert "绑定的收款账户" in html and "应付提现款" in html

    def test_a_withdrawal_debits_the_deposit_and_redirects_to_the_shop_page(self, rich_shop):
        shop, account = rich_shop
        client = owner(shop)
        key = hidden_key(client.get(withdraw_url(shop)).content.decode())

        response = client.post(withdraw_url(shop), {"amount": "5,000.00", "idempotency_key": key})

        assert response.status_code == 302 and response["Location"] == shop_url(shop)
        assert balances(account) == (REQUIRED + SURPLUS - 5_000 * YUAN, 0, 0)
        (tx,) = withdrawals()
        assert (tx.amount_minor, tx.idempotency_key) == (5_000 * YUAN, f"dashboard-withdraw:{key}")
        page = page_html(client.get(response["Location"]))
        assert "已申请提现 ¥ 5,000.00" in page

    def test_a_double_submit_withdraws_once(self, rich_shop):
        shop, account = rich_shop
        client = owner(shop)
        key = hidden_key(client.get(withdraw_url(shop)).content.decode())

        first = client.post(withdraw_url(shop), {"amount": "12000.00", "idempotency_key": key})
        second = client.post(withdraw_url(shop), {"amount": "12000.00", "idempotency_key": key})

        assert first.status_code == second.status_code == 302
        assert len(withdrawals()) == 1
        assert balances(account) == (REQUIRED, 0, 0)
        assert "这笔 ¥ 12,000.00 的提现已经申请过了" in page_html(client.get(shop_url(shop)))

    def test_each_showing_of_the_form_carries_a_new_key(self, rich_shop):
        shop, _ = rich_shop
        client = owner(shop)

        first = hidden_key(client.get(withdraw_url(shop)).content.decode())
        second = hidden_key(client.get(withdraw_url(shop)).content.decode())

        assert first != second

    @pytest.mark.parametrize(
        "english, message",
        [
            (False, "提现后保证金将低于应缴的 ¥ 50,000.00。目前最多可提现 ¥ 12,000.00。"),
            (
                True,
                "This would leave the deposit below the required ¥ 50,000.00. At most "
                "¥ 12,000.00 can be withdrawn now.",
            ),
        ],
    )
    def test_too_much_is_refused_with_the_shortfall_message_and_changes_nothing(
        self, rich_shop, english, message
    ):
        shop, account = rich_shop
        client = owner(shop, english=english)
        key = hidden_key(client.get(withdraw_url(shop)).content.decode())

        response = client.post(withdraw_url(shop), {"amount": "12000.01", "idempotency_key": key})

        html = page_html(response)
        assert response.status_code == 409
        assert message in html
        assert 'aria-invalid="true"' in html
        assert hidden_key(html) != key  # a refused key stays refused: the retry gets a new one
        assert balances(account) == (REQUIRED + SURPLUS, 0, 0)
        assert withdrawals() == []

    def test_more_than_is_available_is_refused_in_plain_words(self, rich_shop):
        shop, account = rich_shop
        client = owner(shop, english=True)
        key = hidden_key(client.get(withdraw_url(shop)).content.decode())

        response = client.post(withdraw_url(shop), {"amount": "70000", "idempotency_key": key})

        assert response.status_code == 409
        assert "Only ¥ 62,000.00 is available." in page_html(response)
        assert balances(account) == (REQUIRED + SURPLUS, 0, 0)

    @pytest.mark.parametrize(
        "english, amount, message",
        [
            (False, "abc", "金额：请输入数字，例如 1000.00。"),
            (False, "10.001", "金额：CNY 最多 2 位小数。"),
            (False, "0", "金额：请输入大于零的金额。"),
            (True, "abc", "Amount: Enter a number such as 1000.00."),
            (True, "-5", "Amount: Enter an amount above zero."),
        ],
    )
    def test_a_malformed_amount_is_an_error_naming_the_field(
        self, rich_shop, english, amount, message
    ):
        shop, account = rich_shop
        client = owner(shop, english=english)
        key = hidden_key(client.get(withdraw_url(shop)).content.decode())

        response = client.post(withdraw_url(shop), {"amount": amount, "idempotency_key": key})

        html = page_html(response)
        assert response.status_code == 400
        assert message in html
        assert f'value="{amount}"' in html  # what was typed stays in the field
        assert balances(account) == (REQUIRED + SURPLUS, 0, 0)

    def test_a_post_without_the_forms_key_withdraws_nothing(self, rich_shop):
        shop, account = rich_shop

        response = owner(shop).post(withdraw_url(shop), {"amount": "100"})

        assert response.status_code == 400
        assert "页面已过期" in page_html(response)
        assert withdrawals() == []


class TestWithdrawRefusals:
    def test_staff_without_the_deposit_permission_get_403_with_an_explanation(self, rich_shop):
        shop, account = rich_shop
        client = client_for(make_member(shop, role="VIEWER"))

        page = client.get(withdraw_url(shop))
        post = client.post(withdraw_url(shop), {"amount": "100", "idempotency_key": "a" * 32})

        assert page.status_code == post.status_code == 403
        assert "“财务”角色" in page_html(page)
        assert balances(account) == (REQUIRED + SURPLUS, 0, 0)

    def test_another_merchants_shop_is_not_found(self, rich_shop, now):
        shop, account = rich_shop
        other, _ = make_shop(now=now)
        client = owner(other)

        page = client.get(withdraw_url(shop))
        post = client.post(withdraw_url(shop), {"amount": "100", "idempotency_key": "a" * 32})

        assert page.status_code == post.status_code == 404
        assert balances(account) == (REQUIRED + SURPLUS, 0, 0)

    def test_anonymous_visitors_are_sent_to_the_login_page(self, rich_shop):
        shop, _ = rich_shop

        response = Client().get(withdraw_url(shop))

        assert response.status_code == 302 and "/login" in response["Location"]

    def test_a_closed_shop_cannot_withdraw_and_says_why(self, rich_shop, now):
        shop, account = rich_shop
        services.shop_exit_confirm(shop=shop, now=now)
        client = owner(shop, english=True)

        detail = page_html(client.get(shop_url(shop)))
        page = client.get(withdraw_url(shop))
        post = client.post(withdraw_url(shop), {"amount": "100", "idempotency_key": "a" * 32})

        explanation = "This shop has exited, so nothing can be withdrawn"
        assert withdraw_url(shop) not in detail and explanation in detail
        assert page.status_code == 200 and explanation in page_html(page)
        assert 'name="amount"' not in page_html(page)
        assert post.status_code == 409 and explanation in page_html(post)
        assert balances(account) == (REQUIRED + SURPLUS, 0, 0)
        assert withdrawals() == []

    def test_a_closed_shop_whose_deposit_was_refunded_says_so_everywhere(self, rich_shop, now):
        shop, account = rich_shop
        services.shop_exit_confirm(shop=shop, now=now)
        shop.refresh_from_db()
        later = services.refund_available_at(shop.closed_at) + timedelta(hours=1)
        services.deposit_refund_on_exit(account_id=account.pk, idempotency_key="r", now=later)
        client = owner(shop, english=True)

        detail = page_html(client.get(shop_url(shop)))
        page = page_html(client.get(withdraw_url(shop)))

        assert "Its deposit has been refunded." in detail
        assert "its deposit has been refunded" in page
        assert "exit period" not in detail and "exit period" not in page


def figure(pattern: str, html: str) -> str:
    found = re.search(pattern, html)
    assert found, pattern
    return found[1].strip()


def shop_page_withdrawable(html: str) -> str:
    return figure(r'Withdrawable surplus</div><div class="value">([^<]+)</div>', html)


def withdraw_page_withdrawable(html: str) -> str:
    return figure(r"Withdrawable surplus</dt><dd[^>]*>([^<]+)</dd>", html)


def freeze(shop: Shop, now) -> None:  # type: ignore[no-untyped-def]
    shop_services.shop_freeze(
        shop=shop, reason="售假调查 (case 2211)", actor=make_user(staff=True), now=now
    )


def close(shop: Shop, now) -> None:  # type: ignore[no-untyped-def]
    services.shop_exit_confirm(shop=shop, now=now)


def hold_everything_above_the_requirement(shop: Shop, now) -> None:  # type: ignore[no-untyped-def]
    services.hold_place(
        account_id=shop.deposit_account.pk,
        amount_minor=SURPLUS,
        currency="CNY",
        reason="假一赔四投诉审核中",
        reference="CLAIM-1",
        expires_at=now + timedelta(days=10),
        idempotency_key="hold-all",
        now=now,
    )


class TestWithdrawableFigureAndBlockerAgree:
    """The figure and the sentence come from one decision: never "¥ 12,000.00 withdrawable"
    beside "nothing can be withdrawn"."""

    @pytest.mark.parametrize(
        "arrange, blocker",
        [
            (freeze, "frozen this shop: nothing can be withdrawn"),
            (close, "This shop has exited, so nothing can be withdrawn"),
            (hold_everything_above_the_requirement, "open claims hold ¥ 12,000.00"),
        ],
    )
    def test_a_blocked_shop_with_surplus_shows_nothing_withdrawable(
        self, rich_shop, now, arrange, blocker
    ):
        shop, _ = rich_shop
        arrange(shop, now)
        client = owner(shop, english=True)

        detail = page_html(client.get(shop_url(shop)))
        page = page_html(client.get(withdraw_url(shop)))

        assert blocker in detail and blocker in page
        assert shop_page_withdrawable(detail) == "¥ 0.00"
        assert withdraw_page_withdrawable(page) == "¥ 0.00"
        assert withdraw_url(shop) not in detail

    def test_an_unblocked_shop_shows_its_surplus_and_no_blocker(self, rich_shop):
        shop, _ = rich_shop
        client = owner(shop, english=True)

        detail = page_html(client.get(shop_url(shop)))
        page = page_html(client.get(withdraw_url(shop)))

        assert shop_page_withdrawable(detail) == withdraw_page_withdrawable(page) == "¥ 12,000.00"
        assert "nothing can be withdrawn" not in detail + page


class TestNoticesLink:
    def test_the_top_navigation_links_to_the_notices(self, rich_shop):
        shop, _ = rich_shop

        html = page_html(owner(shop).get(shop_url(shop)))

        assert f'href="{reverse("dashboard:notices")}"' in html and "通知" in html

"""What a merchant and an ops person actually see, in a real browser.

Each walk saves full-page screenshots to var/screenshots/ so that people can look at the pages.
Data is arranged through services; the database is really committed (transaction=True) because
the live server reads it from another thread (reference data: see conftest.reference_data).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from deposits import services
from deposits.models import Account
from shops import services as shop_services
from shops.models import MerchantUser, Notification
from tests.e2e.conftest import pass_two_factor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

YUAN = 100
OWNER = ("yunjin", "yunjin-Passw0rd-2026")
OPS = ("ops", "ops-Passw0rd-2026")
COMPANY = "杭州云锦服饰有限公司"


def _register(name: str, ref: str, shop_type: str, trademark: str, categories, now):  # type: ignore[no-untyped-def]
    shop, account = services.shop_register(
        merchant_email="owner@yunjin.example",
        merchant_name=COMPANY,
        name=name,
        shop_type=shop_type,
        trademark_status=trademark,
        category_codes=categories,
        external_ref=ref,
        now=now,
    )
    return shop, account


def _top_up(account, amount_minor: int, n: str, now) -> None:  # type: ignore[no-untyped-def]
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency="CNY",
        payment_ref=f"PAY-{n}",
        idempotency_key=f"e2e-top-up-{n}",
        now=now,
    )


@pytest.fixture
def yunjin():  # type: ignore[no-untyped-def]
    """A merchant with an active, a restricted and an onboarding shop; its owner; an ops user."""
    now = timezone.now()
    User = get_user_model()
    owner = User.objects.create_user(OWNER[0], "owner@yunjin.example", OWNER[1])
    ops = User.objects.create_user(OPS[0], "ops@platform.example", OPS[1])
    ops.is_staff = ops.is_superuser = True
    ops.save()

    flagship, account = _register(
        "云锦服饰旗舰店", "yj-flagship", "FLAGSHIP", "REGISTERED", ["apparel"], now
    )
    _top_up(account, 50_000 * YUAN, "yj-flagship-1", now - timedelta(days=60))
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=150 * YUAN,
        currency="CNY",
        reason="延迟发货赔付",
        reference="ORDER-20261101-0042",
        idempotency_key="e2e-deduct-1",
        now=now - timedelta(days=20),
    )
    _top_up(account, 3_150 * YUAN, "yj-flagship-2", now - timedelta(days=19))
    services.hold_place(
        account_id=account.pk,
        amount_minor=2_000 * YUAN,
        currency="CNY",
        reason="假一赔四投诉审核中",
        reference="CLAIM-8812",
        expires_at=now + timedelta(days=12),
        idempotency_key="e2e-hold-1",
        now=now - timedelta(days=2),
    )

    # Short by 12,000.00 for a little over 72 hours: the shortfall ladder has restricted marketing.
    opened = now - timedelta(hours=73)
    home, home_account = _register(
        "云锦家居专营店", "yj-home", "FRANCHISE", "REGISTERED", ["home_furnishing"], now
    )
    _top_up(home_account, 100_000 * YUAN, "yj-home-1", now - timedelta(days=60))
    services.deposit_deduct(
        account_id=home_account.pk,
        amount_minor=12_000 * YUAN,
        currency="CNY",
        reason="虚假发货赔付",
        reference="ORDER-20261110-7781",
        idempotency_key="e2e-deduct-2",
        now=opened - timedelta(minutes=5),
    )
    services.shortfall_evaluate(shop_id=home.pk, now=opened)
    services.shortfall_evaluate(shop_id=home.pk, now=opened + timedelta(hours=72))
    home.refresh_from_db()
    assert home.status == "RESTRICTED"

    kids, kids_account = _register(
        "云锦童装专卖店", "yj-kids", "SPECIALTY", "APPLIED", ["apparel", "shoes_bags"], now
    )
    _top_up(kids_account, 30_000 * YUAN, "yj-kids-1", now - timedelta(days=3))

    MerchantUser.objects.create(user=owner, merchant=flagship.merchant, role="OWNER")
    return {"flagship": flagship, "home": home, "kids": kids, "owner": owner, "ops": ops}


def _log_in(page, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(".auth-card form button[type=submit]")
    page.wait_for_load_state()


class TestMerchantWalk:
    def test_login_dashboard_language_and_shop_page(
        self, live_server, new_page, screenshot, yunjin
    ):
        base = live_server.url
        page = new_page()

        page.goto(f"{base}/accounts/login/")
        assert page.locator("h2").inner_text() == "商家登录"
        screenshot(page, "01-login-zh")

        _log_in(page, base, OWNER[0], "not-my-password")
        error = page.locator(".form-error")
        assert error.inner_text() == (
            "用户名与密码不匹配，请检查后重试。连续失败 5 次后，账号将被锁定 1 小时。"
        )
        assert page.url.endswith("/accounts/login/")
        screenshot(page, "02-login-wrong-password-zh")

        _log_in(page, base, OWNER[0], OWNER[1])
        assert page.url == f"{base}/"
        assert page.locator("h1").inner_text() == COMPANY
        names = page.locator("a.shop-name").all_inner_texts()
        assert sorted(names) == sorted(["云锦服饰旗舰店", "云锦家居专营店", "云锦童装专卖店"])
        badges = page.locator("table.shops .badge").all_inner_texts()
        assert sorted(badges) == sorted(["正常", "受限", "待开店"])
        assert page.locator("nav.topnav a.current").inner_text() == "我的店铺"
        screenshot(page, "03-dashboard-zh")

        page.click("button.lang[value=en]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("nav.topnav a.current").inner_text() == "My shops"
        assert sorted(page.locator("table.shops .badge").all_inner_texts()) == sorted(
            ["Active", "Restricted", "Onboarding"]
        )
        screenshot(page, "04-dashboard-en")

        page.click("a.shop-name:has-text('云锦服饰旗舰店')")
        page.wait_for_load_state()
        assert page.url == f"{base}/shops/{yunjin['flagship'].public_id}/"
        assert "Why this amount" in page.locator("section.explanation h2").inner_text()
        assert page.locator("section.explanation p.lead").inner_text() == (
            "The standard amount for a Flagship store (旗舰店) with all trademarks registered "
            "(R); none of your categories has a higher amount of its own."
        )
        ledger_rows = page.locator("section.ledger tbody tr")
        assert ledger_rows.count() == 3
        assert "Deduction (扣款)" in ledger_rows.nth(1).inner_text()
        assert "-¥ 150.00" in ledger_rows.nth(1).inner_text()
        assert "CLAIM-8812" in page.content()
        screenshot(page, "05-shop-en")

        page.click("button.lang[value=zh-hans]")
        page.wait_for_load_state()
        assert page.locator("section.explanation h2").inner_text() == "为什么是这个金额"
        screenshot(page, "06-shop-zh")

        # 53,000.00 paid in, 2,000.00 held, 50,000.00 required: 1,000.00 may be withdrawn.
        page.click(".withdraw-panel a.btn")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "申请提现"
        assert page.locator("#id_amount").input_value() == "1000.00"
        screenshot(page, "06a-withdraw-zh")
        page.click("form:has(#id_amount) button.btn[type=submit]")
        page.wait_for_load_state()
        assert page.url == f"{base}/shops/{yunjin['flagship'].public_id}/"
        assert "已申请提现 ¥ 1,000.00" in page.locator(".messages").inner_text()
        assert page.locator(".withdraw-panel").count() == 0
        screenshot(page, "06b-shop-after-withdrawal-zh")

        page.goto(f"{base}/shops/{yunjin['home'].public_id}/")
        assert "您的保证金不足，缺口 ¥ 12,000.00。" in page.locator("#shortfall").inner_text()
        restriction = page.locator("table").first.inner_text()
        assert "限制营销活动" in restriction and "补缴 ¥ 12,000.00" in restriction
        screenshot(page, "07-shop-restricted-zh")

        page.goto(f"{base}/shops/{yunjin['kids'].public_id}/")
        assert "还需缴纳 ¥ 70,000.00" in page.locator(".banner").inner_text()
        screenshot(page, "08-shop-onboarding-zh")

        page.click("form.inline button.link")  # log out
        page.wait_for_load_state()
        assert page.url.endswith("/accounts/login/")

    def test_a_short_shop_is_topped_up_and_its_restriction_lifted(
        self, live_server, new_page, screenshot, yunjin, settings
    ):
        settings.DEPOSIT_SANDBOX_PAYMENTS = True  # the payment provider's stand-in page
        base = live_server.url
        page = new_page()
        _log_in(page, base, OWNER[0], OWNER[1])
        assert "1 家店铺保证金不足。" in page.locator(".shortfall-summary").inner_text()
        page.click(".notices-banner a")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "通知"
        assert "保证金不足 ¥ 12,000.00：云锦家居专营店" in page.locator("table").inner_text()
        screenshot(page, "17-notices-zh")

        page.goto(f"{base}/shops/{yunjin['home'].public_id}/")
        page.click("#shortfall a.btn")
        page.wait_for_load_state()
        assert page.locator("#id_amount").input_value() == "12000.00"
        screenshot(page, "18-top-up-zh")
        page.click("form button.btn[type=submit]")
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "确认付款"
        screenshot(page, "19-top-up-confirm-zh")
        page.click("form button.btn[type=submit]")
        page.wait_for_load_state()

        assert page.url == f"{base}/shops/{yunjin['home'].public_id}/"
        assert "沙箱付款 ¥ 12,000.00 已计入保证金。" in page.locator(".messages").inner_text()
        assert page.locator("h1 .badge").inner_text() == "正常"
        assert page.locator("#shortfall").count() == 0
        assert Account.objects.get(shop=yunjin["home"]).shortfall_minor == 0
        assert Notification.objects.filter(shop=yunjin["home"]).exists()
        screenshot(page, "20-shop-after-top-up-zh")

    def test_ops_open_the_deposit_accounts_in_the_admin(
        self, live_server, new_page, screenshot, yunjin
    ):
        base = live_server.url
        page = new_page()

        page.goto(f"{base}/admin/")
        page.fill("input[name=username]", OPS[0])
        page.fill("input[name=password]", OPS[1])
        page.click("form button[type=submit]")
        page.wait_for_load_state()
        assert "/admin/login/" not in page.url
        pass_two_factor(page, base, OPS[0])
        screenshot(page, "09-admin-index")

        page.goto(f"{base}/admin/deposits/account/")
        body = page.locator("body").inner_text()
        for name in ("云锦服饰旗舰店", "云锦家居专营店", "云锦童装专卖店"):
            assert name in body
        screenshot(page, "10-admin-accounts")

        page.goto(f"{base}/admin/deposits/account/{yunjin['flagship'].deposit_account.pk}/change/")
        assert "延迟发货赔付" in page.locator("body").inner_text()
        screenshot(page, "11-admin-account")


class TestEdgePages:
    def test_what_a_login_without_shops_and_a_locked_account_see(
        self, live_server, new_page, screenshot, yunjin
    ):
        base = live_server.url
        User = get_user_model()
        User.objects.create_user("newcomer", "newcomer@example.com", "newcomer-Passw0rd")
        merchant = shop_services.merchant_get_or_create(email="new@example.com", name="新开的公司")
        staff = User.objects.create_user("clerk", "clerk@yunjin.example", "clerk-Passw0rd-1")
        MerchantUser.objects.create(user=staff, merchant=yunjin["flagship"].merchant)
        empty_owner = User.objects.create_user("fresh", "fresh@example.com", "fresh-Passw0rd-1")
        MerchantUser.objects.create(user=empty_owner, merchant=merchant, role="OWNER")

        page = new_page()
        _log_in(page, base, "newcomer", "newcomer-Passw0rd")
        assert page.locator("h1").inner_text() == "该账号尚未关联商家"
        screenshot(page, "12-no-merchant-zh")

        page = new_page()
        _log_in(page, base, "fresh", "fresh-Passw0rd-1")
        assert "还没有店铺" in page.locator(".empty").inner_text()
        screenshot(page, "13-dashboard-empty-zh")

        page = new_page()
        _log_in(page, base, "clerk", "clerk-Passw0rd-1")
        assert "¥" not in page.locator("main").inner_text()
        assert len(page.locator("table.shops .badge").all_inner_texts()) == 3
        screenshot(page, "14-dashboard-staff-without-permission-zh")

        page = new_page()
        for _ in range(5):
            _log_in(page, base, OWNER[0], "wrong")
        _log_in(page, base, OWNER[0], OWNER[1])
        assert page.locator("h2").inner_text() == "登录失败次数过多"
        assert re.search(r"/accounts/login/$", page.url)
        screenshot(page, "15-locked-out-zh")

        page = new_page(locale="en-US")
        page.goto(f"{base}/accounts/password-reset/")
        assert page.locator("h2").inner_text() == "Reset your password"
        screenshot(page, "16-password-reset-en")

"""The merchant dashboard: the shops list and one shop's page.

Data is arranged through services (shop_register, deposit_top_up, restriction_add, shop_freeze…),
never by writing balance or status columns. Pages render in the default language (简体中文)
unless a test switches; times are shown in Asia/Shanghai.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from deposits import services
from shops import services as shop_services
from shops.models import MerchantUser, RestrictionKind, RestrictionSource, Shop
from tests.factories import fund, make_member, make_shop, make_user
from tests.pages import page_html

YUAN = 100


def _shop_in_status(status: str, *, merchant_email: str, now: datetime) -> Shop:
    """A shop of the given merchant brought into `status` the way production gets there."""
    shop, account = make_shop(now=now, merchant_email=merchant_email)
    if status == "ONBOARDING":
        return shop
    fund(account, account.required_minor, now=now)
    if status == "RESTRICTED":
        shop_services.restriction_add(
            shop=shop,
            kind=RestrictionKind.MARKETING,
            source=RestrictionSource.SHORTFALL,
            source_ref=f"case-{shop.pk}",
            reason="保证金不足 12,000.00 元（虚假发货赔付后）",
            lifts_when="Top up the deposit to the required amount.",
            now=now,
        )
    elif status == "FROZEN":
        shop_services.shop_freeze(
            shop=shop, reason="假货调查（案件 2211）", actor=make_user(staff=True), now=now
        )
    elif status == "CLOSED":
        services.shop_exit_confirm(shop=shop, now=now)
    shop.refresh_from_db()
    assert shop.status == status
    return shop


def _shop_hrefs(content: str) -> set[str]:
    return set(re.findall(r'href="(/shops/[0-9a-f-]{36}/)"', content))


def _detail_url(shop: Shop) -> str:
    return reverse("dashboard:shop_detail", args=[shop.public_id])


@pytest.fixture
def owner_with_shops(client, now):  # type: ignore[no-untyped-def]
    """A merchant owner with one shop in every status, logged in; and another merchant's shop."""
    email = "owner@yunjin.example"
    shops = {
        status: _shop_in_status(status, merchant_email=email, now=now)
        for status in ("ACTIVE", "ONBOARDING", "RESTRICTED", "FROZEN", "CLOSED")
    }
    owner = make_member(shops["ACTIVE"], role=MerchantUser.Role.OWNER)
    other_shop = _shop_in_status("ACTIVE", merchant_email="owner@other.example", now=now)
    client.force_login(owner)
    return shops, other_shop


@pytest.mark.django_db
class TestDashboardHome:
    def test_lists_exactly_the_merchants_own_shops_with_their_status(
        self, client, owner_with_shops
    ):
        shops, other_shop = owner_with_shops

        response = client.get(reverse("dashboard:home"))

        assert response.status_code == 200
        content = page_html(response)
        assert _shop_hrefs(content) == {_detail_url(s) for s in shops.values()}
        assert {row.shop.pk for row in response.context["rows"]} == {s.pk for s in shops.values()}
        for label in ("正常", "待开店", "受限", "已冻结", "已退店"):
            assert f">{label}</span>" in content
        assert "5 家店铺" in content

    def test_never_shows_another_merchants_shop(self, client, owner_with_shops):
        _, other_shop = owner_with_shops

        content = page_html(client.get(reverse("dashboard:home")))

        assert _detail_url(other_shop) not in content
        assert f">{other_shop.name}<" not in content

    def test_the_owner_sees_required_available_and_shortfall(self, client, owner_with_shops):
        shops, _ = owner_with_shops

        content = page_html(client.get(reverse("dashboard:home")))

        assert "¥ 50,000.00" in content  # flagship, registered trademarks: the base amount
        assert "开店前待缴" in content  # the onboarding shop has paid nothing yet
        assert ">应缴</a></th>" in content and ">缺口</a></th>" in content

    def test_the_held_amount_reads_as_apart_from_the_available_cash(self, client, now):
        # Available cash excludes what is held: the Chinese said the held money was part of it.
        shop, account = make_shop(now=now)
        fund(account, 50_000 * YUAN, now=now)
        services.hold_place(
            account_id=account.pk,
            amount_minor=2_000 * YUAN,
            currency="CNY",
            reason="假一赔四投诉审核中",
            reference="CLAIM-8812",
            expires_at=now + timedelta(days=12),
            idempotency_key="hold-home",
            now=now,
        )
        client.force_login(make_member(shop))

        content = page_html(client.get(reverse("dashboard:home")))

        cash = content.split('class="num col-cash"')[1].split("</td>")[0]
        assert "¥ 48,000.00" in cash  # available: 50,000 − 2,000
        assert "其中" not in cash
        assert "另有 ¥ 2,000.00 因理赔冻结，不计入可用现金" in cash

    def test_the_status_filter_keeps_only_that_status(self, client, owner_with_shops):
        shops, _ = owner_with_shops

        response = client.get(reverse("dashboard:home"), {"status": "FROZEN"})

        assert _shop_hrefs(page_html(response)) == {_detail_url(shops["FROZEN"])}

    def test_a_filter_with_no_match_says_so_and_offers_all_shops(self, client, now):
        shop = _shop_in_status("ACTIVE", merchant_email="solo@example.com", now=now)
        client.force_login(make_member(shop))

        content = page_html(client.get(reverse("dashboard:home"), {"status": "FROZEN"}))

        assert _shop_hrefs(content) == set()
        assert "没有处于该状态的店铺。" in content
        assert "查看全部店铺" in content

    def test_a_merchant_without_shops_gets_the_empty_state(self, client):
        merchant = shop_services.merchant_get_or_create(email="new@example.com", name="新商家")
        user = make_user()
        MerchantUser.objects.create(user=user, merchant=merchant, role=MerchantUser.Role.OWNER)
        client.force_login(user)

        response = client.get(reverse("dashboard:home"))

        assert response.status_code == 200
        content = page_html(response)
        assert "还没有店铺" in content
        assert "平台为贵公司登记店铺后，店铺会显示在这里" in content
        assert "按状态筛选" not in content  # no filters to offer when there is nothing

    def test_staff_without_deposit_permission_see_statuses_but_no_amounts(
        self, client, owner_with_shops
    ):
        shops, _ = owner_with_shops
        staff = make_member(shops["ACTIVE"], role=MerchantUser.Role.VIEWER)
        client.force_login(staff)

        response = client.get(reverse("dashboard:home"))

        content = page_html(response)
        assert _shop_hrefs(content) == {_detail_url(s) for s in shops.values()}
        assert ">正常</span>" in content and ">已冻结</span>" in content
        assert "¥" not in content
        assert ">应缴</a></th>" not in content and ">缺口</a></th>" not in content
        assert "请向店铺负责人申请“财务”角色" in content

    def test_staff_with_deposit_permission_see_amounts(self, client, owner_with_shops):
        shops, _ = owner_with_shops
        staff = make_member(shops["ACTIVE"], role=MerchantUser.Role.FINANCE)
        client.force_login(staff)

        content = page_html(client.get(reverse("dashboard:home")))

        assert "¥ 50,000.00" in content

    def test_a_login_with_no_merchant_gets_the_no_merchant_page(self, client):
        client.force_login(make_user())

        response = client.get(reverse("dashboard:home"))

        assert response.status_code == 403
        assert "dashboard/no_merchant.html" in [t.name for t in response.templates]
        assert "该账号尚未关联商家" in page_html(response)

    def test_ops_who_sign_in_at_the_admin_login_land_in_the_admin(self, client):
        ops = make_user("ops-login", staff=True)
        ops.set_password("a long ops password 42")
        ops.save()

        response = client.post(
            reverse("admin:login"),
            {"username": "ops-login", "password": "a long ops password 42"},
            follow=True,
        )

        # Still the admin, not the merchant dashboard: its two-factor enrolment comes first for a
        # staff user without an authenticator (tests/ops/test_two_factor.py).
        assert response.redirect_chain[-1][0] == f"{reverse('staff_2fa_enrol')}?next=%2Fadmin%2F"
        assert response.status_code == 200

    def test_anonymous_visitors_are_sent_to_the_login_page(self, client):
        response = client.get(reverse("dashboard:home"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
class TestShopDetail:
    def test_another_merchants_shop_is_a_404(self, client, owner_with_shops):
        _, other_shop = owner_with_shops

        response = client.get(_detail_url(other_shop))

        assert response.status_code == 404

    def test_a_login_with_no_merchant_gets_a_404(self, client, now):
        shop, _ = make_shop(now=now)
        client.force_login(make_user())

        assert client.get(_detail_url(shop)).status_code == 404

    def test_explains_the_requirement_from_the_standard_table(self, client, now):
        shop, account = make_shop(
            now=now, shop_type="FLAGSHIP", trademark_status="REGISTERED", categories=("apparel",)
        )
        client.force_login(make_member(shop))

        response = client.get(_detail_url(shop))

        content = page_html(response)
        assert "为什么是这个金额" in content
        assert (
            "这是旗舰店、商标均已注册（R 标）的基础标准；您的类目均没有更高的专属标准。" in content
        )
        assert "服饰" in content and "基础标准" in content and "¥ 50,000.00" in content

    def test_explains_a_category_that_sets_a_higher_amount(self, client, now):
        shop, _ = make_shop(
            now=now,
            shop_type="FRANCHISE",
            trademark_status="APPLIED",
            categories=("food", "health_supplements"),
        )
        client.force_login(make_member(shop))

        content = page_html(client.get(_detail_url(shop)))

        assert "“保健食品”类目对专营店有专属保证金标准，且是您所有类目中最高的。" in content
        assert "¥ 300,000.00" in content and "¥ 150,000.00" in content
        assert "按您所有类目中最高的标准缴纳，各类目金额不累加。" in content

    def test_explains_the_requirement_in_english_with_capital_trademark_marks(self, client, now):
        shop, _ = make_shop(now=now, shop_type="SPECIALTY", trademark_status="APPLIED")
        client.force_login(make_member(shop))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

        content = page_html(client.get(_detail_url(shop)))

        assert (
            "The standard amount for a Brand-authorised store (专卖店) with a trademark only "
            "applied for (TM); none of your categories has a higher amount of its own."
        ) in content

    def test_an_onboarding_shop_says_what_is_left_to_pay_before_going_live(self, client, now):
        shop, account = make_shop(now=now)
        fund(account, 30_000 * YUAN, now=now)
        client.force_login(make_member(shop))

        content = page_html(client.get(_detail_url(shop)))

        assert "保证金缴足后店铺即可开店，还需缴纳 ¥ 20,000.00。" in content

    def test_active_restrictions_show_reason_since_and_what_lifts_them(
        self, client, owner_with_shops
    ):
        shops, _ = owner_with_shops

        content = page_html(client.get(_detail_url(shops["RESTRICTED"])))

        assert "当前限制" in content
        assert "限制营销活动" in content
        assert "保证金不足 12,000.00 元（虚假发货赔付后）" in content
        assert "2026-11-02 14:00" in content  # since: 06:00 UTC shown in Asia/Shanghai
        assert "将保证金补足到应缴金额。" in content  # what lifts it, in the merchant's language

    def test_an_ops_freeze_says_ops_lift_it(self, client, owner_with_shops):
        shops, _ = owner_with_shops

        content = page_html(client.get(_detail_url(shops["FROZEN"])))

        assert "该店铺已被冻结：无法售卖，也不能接新订单。" in content
        assert "平台冻结" in content
        assert "假货调查（案件 2211）" in content
        assert "由平台小二审核后解除。" in content

    def test_a_lifted_restriction_moves_to_the_history_with_when_and_why(
        self, client, owner_with_shops, now
    ):
        shops, _ = owner_with_shops
        shop = shops["FROZEN"]
        shop_services.shop_unfreeze(
            shop=shop, reason="调查结束，未发现问题", actor=make_user(staff=True), now=now
        )

        content = page_html(client.get(_detail_url(shop)))

        assert "当前限制" not in content
        assert "已解除的限制" in content
        assert "调查结束，未发现问题" in content

    def test_a_closed_shop_says_when_it_exited_and_when_the_deposit_is_refunded(
        self, client, owner_with_shops
    ):
        shops, _ = owner_with_shops

        content = page_html(client.get(_detail_url(shops["CLOSED"])))

        assert "该店铺已于 2026-11-02 退店。" in content
        refund_on = services.refund_available_at(shops["CLOSED"].closed_at)
        assert f"剩余保证金将于 {refund_on:%Y-%m-%d} 起退还" in content

    def test_the_ledger_shows_entries_newest_first_in_shanghai_time(self, client, now):
        shop, account = make_shop(now=now)
        fund(account, 50_000 * YUAN, now=now)  # 2026-11-02 06:00 UTC
        services.deposit_deduct(
            account_id=account.pk,
            amount_minor=150 * YUAN,
            currency="CNY",
            reason="延迟发货赔付",
            reference="ORDER-0042",
            idempotency_key="deduct-0042",
            now=now + timedelta(hours=1),
        )
        client.force_login(make_member(shop))

        response = client.get(_detail_url(shop))

        content = page_html(response)
        assert "资金明细" in content
        assert content.index("2026-11-02 15:00") < content.index("2026-11-02 14:00")
        assert "延迟发货赔付" in content and "ORDER-0042" in content
        assert "-¥ 150.00" in content and "¥ 49,850.00" in content
        assert "06:00" not in content

    def test_the_ledger_is_paginated_25_entries_a_page(self, client, now):
        shop, account = make_shop(now=now)
        for n in range(30):
            fund(account, 100 * YUAN, now=now + timedelta(minutes=n))
        client.force_login(make_member(shop))

        first = client.get(_detail_url(shop))
        second = client.get(_detail_url(shop), {"page": 2})

        assert len(first.context["entries_page"].object_list) == 25
        assert "第 1 页" in page_html(first)
        assert "较早" in page_html(first)
        assert len(second.context["entries_page"].object_list) == 5
        assert "第 2 页" in page_html(second)
        assert "较早" not in page_html(second)  # no older page: the list ends here
        first_ids = {e.pk for e in first.context["entries_page"]}
        second_ids = {e.pk for e in second.context["entries_page"]}
        assert not first_ids & second_ids

    def test_holds_for_open_claims_show_reason_and_latest_release(self, client, now):
        shop, account = make_shop(now=now)
        fund(account, 50_000 * YUAN, now=now)
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
        client.force_login(make_member(shop))

        content = page_html(client.get(_detail_url(shop)))

        assert "理赔冻结" in content
        assert "假一赔四投诉审核中" in content and "CLAIM-8812" in content
        assert "2026-11-14 14:00" in content  # expires 12 days later, Shanghai time
        assert "¥ 2,000.00" in content

    def test_staff_without_deposit_permission_see_status_but_no_amounts(
        self, client, owner_with_shops
    ):
        shops, _ = owner_with_shops
        client.force_login(make_member(shops["RESTRICTED"], role=MerchantUser.Role.VIEWER))

        response = client.get(_detail_url(shops["RESTRICTED"]))

        content = page_html(response)
        assert response.status_code == 200
        assert "受限" in content and "限制营销活动" in content
        assert "¥" not in content
        assert "资金明细" not in content
        assert response.context["entries_page"] is None


@pytest.mark.django_db
class TestLanguageSwitcher:
    def test_switches_to_english_and_back(self, client, owner_with_shops):
        home = reverse("dashboard:home")
        assert "我的店铺" in page_html(client.get(home))

        to_english = client.post(reverse("set_language"), {"language": "en", "next": home})
        english = page_html(client.get(home))
        client.post(reverse("set_language"), {"language": "zh-hans", "next": home})
        chinese = page_html(client.get(home))

        assert to_english.status_code == 302 and to_english["Location"] == home
        assert '<html lang="en">' in english
        assert "My shops" in english and ">Frozen</span>" in english
        assert "5 shops" in english and "我的店铺" not in english
        assert '<html lang="zh-hans">' in chinese
        assert "我的店铺" in chinese and ">已冻结</span>" in chinese

    def test_the_switcher_is_on_every_page_and_marks_the_current_language(self, client):
        content = page_html(client.get(reverse("login")))

        assert 'action="/i18n/setlang/"' in content
        assert re.search(r'value="zh-hans" class="lang current"', content)
        assert re.search(r'value="en" class="lang"', content)


@pytest.mark.django_db
class TestNoStrayLanguage:
    """Every piece of interface text is translated: no English on a Chinese page, and none of
    our Chinese on an English one (names of shops and categories are data, not interface)."""

    ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
    # PDF names a file format in Chinese interfaces too (月度 PDF, the statement link).
    ALLOWED_ENGLISH = {"English", "CNY", "UTC", "ORDER", "PAY", "CLAIM", "PDF"}

    def _visible_text(self, html: str) -> str:
        html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
        html = re.sub(r"<[^>]+>", " ", html)
        return re.sub(r"\s+", " ", html)

    def test_the_chinese_pages_have_no_english_interface_text(self, client, owner_with_shops):
        shops, _ = owner_with_shops
        pages = [reverse("dashboard:home")] + [_detail_url(s) for s in shops.values()]

        for url in pages:
            text = self._visible_text(client.get(url).content.decode())
            text = re.sub(r"Shop \d+|Merchant \d+|user\d+|PAY-\d+|ext-\d+", " ", text)
            words = set(self.ENGLISH_WORD.findall(text)) - self.ALLOWED_ENGLISH
            assert not words, f"{url}: {sorted(words)}"

    def test_the_english_pages_have_no_chinese_interface_text(self, client, owner_with_shops):
        shops, _ = owner_with_shops
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        # What may stay Chinese on an English page: the switcher's own label, the glossary terms
        # given in brackets, and data (reasons written by ops, memo vocabulary of the ledger).
        # Platform vocabulary glossed in parentheses on English pages (domain.md §1, §5).
        allowed = {
            "中文",
            "保证金",
            "年费",
            "旗舰店",
            "专卖店",
            "专营店",
            "充值",
            "保",
            "保证金履约险",
        }
        data = {"保证金不足", "元", "虚假发货赔付后", "假货调查", "案件", "服饰"}

        for url in [reverse("dashboard:home")] + [_detail_url(s) for s in shops.values()]:
            text = self._visible_text(client.get(url).content.decode())
            words = set(re.findall(r"[\u4e00-\u9fff]+", text)) - allowed - data
            assert not words, f"{url}: {sorted(words)}"

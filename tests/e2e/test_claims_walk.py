"""The merchant's consumer claims in a real browser, in Chinese and in English, on a desktop
(1440 px) and a phone (390 px): the badge in the navigation, the list with what waits first and
its deadlines, the claim page, contesting with a note and settling. Screenshots go to
var/screenshots/ for people to look at."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from claims import services as claims
from claims.models import Claim, ClaimStatus
from deposits import services
from partners.services import partner_get_or_create
from shops.models import MerchantUser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OWNER = ("yunjin", "yunjin-Passw0rd-2026")
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def _file(partner, shop, ref, reason, paid, hours_ago, story, **kw):  # type: ignore[no-untyped-def]
    at = timezone.now() - timedelta(hours=hours_ago)
    claim, _ = claims.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=ref,
        reason=reason,
        order_ref=f"ORDER-{ref}",
        order_paid_minor=paid,
        currency="CNY",
        order_paid_at=at - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref=f"buyer-{ref}",
        description=story,
        now=at,
        **kw,
    )
    return claim


@pytest.fixture
def yunjin():  # type: ignore[no-untyped-def]
    """A live apparel flagship with claims in four steps: an answer due in 8 hours, a fresh
    counterfeit complaint, one in review with the merchant's evidence window open, one
    decided from the deposit."""
    now = timezone.now()
    partner = partner_get_or_create(name="Tmall")
    shop, account = services.shop_register(
        merchant_email="owner@yunjin.example",
        merchant_name="杭州云锦服饰有限公司",
        name="云锦服饰旗舰店",
        shop_type="FLAGSHIP",
        trademark_status="REGISTERED",
        category_codes=["apparel"],
        external_ref="yj-flagship",
        partner_id=partner.pk,
        now=now - timedelta(days=30),
    )
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=5_300_000,
        currency="CNY",
        payment_ref="yj-pay-1",
        idempotency_key="yj-pay-1",
        now=now - timedelta(days=30),
    )
    user = get_user_model().objects.create_user(OWNER[0], "owner@yunjin.example", OWNER[1])
    MerchantUser.objects.create(user=user, merchant=shop.merchant, role="OWNER")
    due = _file(partner, shop, "2207", "LATE_SHIPMENT", 45_900, 40, "付款后 48 小时仍未发货。")
    fresh = _file(
        partner,
        shop,
        "3391",
        "COUNTERFEIT",
        128_000,
        3,
        "吊牌与官网不符，怀疑是仿品。",
        requested_minor=640_000,
    )
    review = _file(partner, shop, "0815", "FALSE_SHIPMENT", 89_900, 48, "物流三天没有揽收记录。")
    claims.claim_escalate(claim=review, now=now - timedelta(hours=28), note="已发货")
    decided = _file(partner, shop, "4410", "LATE_SHIPMENT", 256_000, 240, "第 4 天才发出。")
    decided = claims.claim_escalate(claim=decided, now=now - timedelta(days=8))
    claims.claim_decide(claim=decided, outcome="UPHELD", now=now - timedelta(days=2))
    return {"shop": shop, "due": due, "fresh": fresh, "review": review, "decided": decided}


def _log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", OWNER[0])
    page.fill("#id_password", OWNER[1])
    page.click(".auth-card form button[type=submit]")
    page.wait_for_load_state()


def _english(page) -> None:  # type: ignore[no-untyped-def]
    page.click("button.lang[value=en]")
    page.wait_for_load_state()


def _no_horizontal_scroll(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


class TestClaimsInChinese:
    def test_a_merchant_sees_what_waits_and_contests_a_claim_on_a_desktop(
        self, live_server, new_page, screenshot, yunjin
    ):
        base = live_server.url
        page = new_page()
        page.set_viewport_size(DESKTOP)
        _log_in(page, base)

        assert page.locator(".topnav .claims-count").inner_text() == "3"
        page.click(".topnav a[href='/claims/']")
        rows = page.locator("tr.claim-row")
        assert rows.count() == 4
        assert rows.first.locator(".claim-link").inner_text() == "ORDER-2207"
        assert "还剩" in rows.first.locator(".deadline").inner_text()
        assert "等待您处理" in rows.first.inner_text()
        assert rows.nth(3).locator(".claim-link").inner_text() == "ORDER-4410"
        screenshot(page, "claims-01-list-zh-desktop")

        page.select_option("select[name=reason]", "COUNTERFEIT")
        page.click(".claim-filters button[type=submit]")
        page.wait_for_load_state()
        assert page.locator("tr.claim-row").count() == 1
        page.click(".claim-link")
        page.wait_for_load_state()
        assert "订单 ORDER-3391 的理赔" in page.locator("h1").inner_text()
        assert "¥ 6,400.00" in page.locator(".claim-story").inner_text()
        assert "¥ 6,400.00" in page.locator(".claim-compensation dd").first.inner_text()
        screenshot(page, "claims-02-claim-zh-desktop")

        page.click(".answer.contest summary")
        page.fill(".answer.contest textarea", "吊牌为 2026 新版，附品牌授权书。")
        page.click(".answer.contest button[type=submit]")
        page.wait_for_load_state()
        assert "已提出异议" in page.locator(".messages").inner_text()
        assert "您的举证截止" in page.locator(".claim-deadline").inner_text()
        assert "吊牌为 2026 新版" in page.locator(".claim-timeline").inner_text()
        screenshot(page, "claims-03-contested-zh-desktop")
        claim = Claim.objects.get(pk=yunjin["fresh"].pk)
        assert claim.status == ClaimStatus.IN_REVIEW and claim.hold_public_id

    def test_the_list_and_a_decided_claim_on_a_phone(
        self, live_server, new_page, screenshot, yunjin
    ):
        base = live_server.url
        page = new_page()
        page.set_viewport_size(PHONE)
        _log_in(page, base)

        page.goto(f"{base}/claims/")
        assert page.locator(".topnav .claims-count").is_visible()
        _no_horizontal_scroll(page)
        screenshot(page, "claims-04-list-zh-phone")

        page.goto(f"{base}/claims/{yunjin['decided'].public_id}/")
        assert "裁定赔付" in page.locator(".claim-compensation").inner_text()
        assert "保证金" in page.locator(".funding").inner_text()
        _no_horizontal_scroll(page)
        screenshot(page, "claims-05-decided-zh-phone")


class TestClaimsInEnglish:
    def test_a_merchant_settles_a_claim_on_a_phone(self, live_server, new_page, screenshot, yunjin):
        base = live_server.url
        page = new_page(locale="en-US")
        page.set_viewport_size(PHONE)
        _log_in(page, base)
        page.goto(f"{base}/claims/")
        _english(page)

        first = page.locator("tr.claim-row").first
        assert "Your answer by" in first.inner_text() and "in " in first.inner_text()
        _no_horizontal_scroll(page)
        screenshot(page, "claims-06-list-en-phone")

        first.locator(".claim-link").click()
        page.wait_for_load_state()
        assert "Claim on order ORDER-2207" in page.locator("h1").inner_text()
        page.click(".answer.settle summary")
        _no_horizontal_scroll(page)
        screenshot(page, "claims-07-claim-en-phone")
        page.click(".answer.settle button[type=submit]")
        page.wait_for_load_state()
        assert "Settled: the claim is closed" in page.locator(".messages").inner_text()
        assert "Settled with the consumer directly" in page.locator(".claim-timeline").inner_text()
        screenshot(page, "claims-08-settled-en-phone")
        assert Claim.objects.get(pk=yunjin["due"].pk).status == ClaimStatus.SETTLED
        assert page.locator(".topnav .claims-count").inner_text() == "2"

    def test_the_list_and_the_claim_page_on_a_desktop(
        self, live_server, new_page, screenshot, yunjin
    ):
        base = live_server.url
        page = new_page(locale="en-US")
        page.set_viewport_size(DESKTOP)
        _log_in(page, base)
        page.goto(f"{base}/claims/")
        _english(page)
        assert "Consumer claims" in page.locator("h1").inner_text()
        screenshot(page, "claims-09-list-en-desktop")

        page.goto(f"{base}/claims/{yunjin['review'].public_id}/")
        assert "Your evidence by" in page.locator(".claim-deadline").inner_text()
        assert (
            "Escalated: the platform reviews the claim"
            in page.locator(".claim-timeline").inner_text()
        )
        screenshot(page, "claims-10-review-en-desktop")

        page.goto(f"{base}/shops/{yunjin['shop'].public_id}/")
        assert (
            "3 consumer claims are waiting on your answer"
            in page.locator(".claims-panel").inner_text()
        )
        screenshot(page, "claims-11-shop-panel-en-desktop")

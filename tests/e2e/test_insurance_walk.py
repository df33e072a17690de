"""The merchant's insurance page in a real browser, in Chinese and in English: from the shop page
to the offer, its arithmetic and the comparison with cash, to an application sent to the insurer.
Screenshots go to var/screenshots/ for people to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from deposits import services
from insurance.models import InsuranceApplication
from shops.models import MerchantUser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OWNER = ("lanting", "lanting-Passw0rd-2026")


@pytest.fixture
def lanting():  # type: ignore[no-untyped-def]
    """An apparel flagship, live, with 3,000.00 above its 50,000.00 requirement."""
    now = timezone.now()
    shop, account = services.shop_register(
        merchant_email="owner@lanting.example",
        merchant_name="苏州兰亭服饰有限公司",
        name="兰亭服饰旗舰店",
        shop_type="FLAGSHIP",
        trademark_status="REGISTERED",
        category_codes=["apparel"],
        external_ref="lt-flagship",
        now=now,
    )
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=5_300_000,
        currency="CNY",
        payment_ref="lt-pay-1",
        idempotency_key="lt-pay-1",
        now=now,
    )
    user = get_user_model().objects.create_user(OWNER[0], "owner@lanting.example", OWNER[1])
    MerchantUser.objects.create(user=user, merchant=shop.merchant, role="OWNER")
    return shop


def _log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", OWNER[0])
    page.fill("#id_password", OWNER[1])
    page.click(".auth-card form button[type=submit]")
    page.wait_for_load_state()


class TestInsuranceWalk:
    def test_a_merchant_compares_insurance_with_cash_and_applies(
        self, live_server, new_page, screenshot, lanting
    ):
        base = live_server.url
        page = new_page()
        _log_in(page, base)

        page.goto(f"{base}/shops/{lanting.public_id}/")
        page.click(".insurance-link a")
        offer = page.locator("#offer-perf-bond")
        assert page.locator("h1").inner_text() == "保证金履约险"
        assert "¥ 1,500.00" in offer.inner_text()
        assert "可投保" in offer.locator(".offer-head").inner_text()
        screenshot(page, "insurance-01-offers-zh")

        offer.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "投保申请已提交给保险公司" in page.locator(".messages").inner_text()
        assert "已提交" in page.locator(".insurance-status").inner_text()
        screenshot(page, "insurance-02-applied-zh")
        assert InsuranceApplication.objects.get().status == "SUBMITTED"

    def test_the_page_reads_in_english_on_a_phone(self, live_server, new_page, screenshot, lanting):
        base = live_server.url
        page = new_page(locale="en-US")
        page.set_viewport_size({"width": 390, "height": 844})
        _log_in(page, base)

        page.goto(f"{base}/shops/{lanting.public_id}/insurance/")
        page.click("button.lang[value=en]")
        page.wait_for_load_state()

        offer = page.locator("#offer-perf-bond-half")
        assert "Deposit performance insurance (half cover)" in offer.inner_text()
        assert "¥ 625.00" in offer.inner_text()
        assert "ACT/365" in offer.locator(".computation").inner_text()
        screenshot(page, "insurance-03-offers-en-phone")

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


@pytest.fixture
def lanting_insured(lanting, settings):  # type: ignore[no-untyped-def]
    """Lanting insured by perf-bond (PICC), with an overdue advance of 1,200.00 (the shop is
    supervised) and one of 300.00 due in about 2 days; sandbox payments on."""
    import uuid
    from datetime import timedelta

    from django.db.models import F

    from deposits.models import Account
    from insurance import services as insurance
    from insurance.models import InsuranceProduct, Policy
    from insurance.selectors import market_date
    from partners import services as partners
    from partners.models import Partner

    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    now = timezone.now()
    picc = partners.partner_get_or_create(name="PICC")
    Partner.objects.filter(pk=picc.pk).update(kind=Partner.Kind.INSURER)
    InsuranceProduct.objects.update(insurer=picc)
    quote = insurance.quote_create(shop=lanting, now=now)
    application = insurance.application_submit(shop=lanting, quote=quote, now=now)
    insurance.application_accept(
        application=application,
        insurer_id=picc.pk,
        policy_number=f"PICC-{uuid.uuid4().hex[:10]}",
        now=now,
    )
    policy = Policy.objects.get(application=application)
    Policy.objects.filter(pk=policy.pk).update(
        status="ACTIVE",
        premium_paid_minor=F("premium_minor"),
        starts_on=market_date(now) - timedelta(days=30),  # the marketplace's calendar
        ends_on=market_date(now) + timedelta(days=334),
    )
    services.guarantee_register(
        account_id=Account.objects.get(shop=lanting).pk,
        amount_minor=policy.coverage_minor,
        currency=policy.currency,
        valid_from=now,
        source_kind="INSURANCE_POLICY",
        source_ref=f"insurance_policy:{policy.public_id}",
        now=now,
    )
    for claim, amount, days_ago in (("CLM-2026-0042", 120_000, 20), ("CLM-2026-0057", 30_000, 13)):
        insurance.policy_advance(
            policy_id=policy.pk,
            claim_ref=claim,
            amount_minor=amount,
            currency="CNY",
            idempotency_key=f"e2e-{claim}",
            now=now - timedelta(days=days_ago),
        )
    for recovery_id in insurance.recoveries_due_scan(now=now):
        insurance.recovery_process(recovery_id=recovery_id, now=now)
    return lanting


class TestRecoveriesInTheBrowser:
    def test_a_merchant_repays_an_overdue_advance_from_the_banner(
        self, live_server, new_page, screenshot, lanting_insured
    ):
        base = live_server.url
        page = new_page()
        _log_in(page, base)

        page.goto(f"{base}/shops/{lanting_insured.public_id}/")
        banners = page.locator(".recovery-banner")
        assert banners.count() == 2
        assert "店铺处于监管中，直至向保险公司还清 ¥ 1,200.00" in banners.first.inner_text()
        assert "¥ 300.00" in banners.nth(1).inner_text()
        screenshot(page, "insurance-04-recovery-banners-zh")

        banners.first.locator("a.btn").click()
        page.wait_for_load_state()
        section = page.locator(".recoveries")
        assert "已逾期" in section.inner_text() and "待还款" in section.inner_text()
        screenshot(page, "insurance-05-recoveries-zh")

        page.locator(".recovery-row.OVERDUE button[type=submit]").click()
        page.wait_for_load_state()
        assert "已还清" in page.locator(".messages").inner_text()
        assert "已还清" in page.locator(".recoveries").inner_text()
        assert page.locator(".recovery-banner.overdue").count() == 0
        screenshot(page, "insurance-06-repaid-zh")

    def test_the_recoveries_read_in_english_on_a_phone(
        self, live_server, new_page, screenshot, lanting_insured
    ):
        base = live_server.url
        page = new_page(locale="en-US")
        page.set_viewport_size({"width": 390, "height": 844})
        _log_in(page, base)

        page.goto(f"{base}/shops/{lanting_insured.public_id}/insurance/")
        page.click("button.lang[value=en]")
        page.wait_for_load_state()

        assert (
            "The shop is supervised until ¥ 1,200.00"
            in page.locator(".recovery-banner").first.inner_text()
        )
        section = page.locator(".recoveries").inner_text()
        assert "Overdue" in section and "Open" in section and "left" in section
        page.locator(".recoveries").scroll_into_view_if_needed()
        screenshot(page, "insurance-07-recoveries-en-phone")

"""Renewal in a real browser, in Chinese on a desktop and in English on a phone: the renewal
panel 10 days before the end with the next term's quote, "renew", the insurer's acceptance, the
renewal premium paid in the sandbox, and "renewed until". Screenshots go to var/screenshots/."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from deposits import services
from deposits.models import Account
from insurance import selectors
from insurance import services as insurance
from insurance.models import InsuranceApplication, InsuranceProduct, Policy
from partners import services as partners
from partners.models import Partner
from tests.e2e.test_insurance_walk import _log_in, lanting  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ending_soon(lanting, settings):  # type: ignore[no-untyped-def]  # noqa: F811
    """Lanting insured by perf-bond (PICC) for a term that ends in 10 days; sandbox payments on."""
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    now = timezone.now()
    picc = partners.partner_get_or_create(name="PICC")
    Partner.objects.filter(pk=picc.pk).update(kind=Partner.Kind.INSURER)
    InsuranceProduct.objects.update(insurer=picc)
    quote = insurance.quote_create(shop=lanting, now=now)
    application = insurance.application_submit(shop=lanting, quote=quote, now=now)
    insurance.application_accept(
        application=application, insurer_id=picc.pk, policy_number="PICC-2025-001234", now=now
    )
    policy = Policy.objects.get(application=application)
    today = selectors.market_date(now)
    Policy.objects.filter(pk=policy.pk).update(
        status="ACTIVE",
        premium_paid_minor=F("premium_minor"),
        starts_on=today - timedelta(days=354),
        ends_on=today + timedelta(days=10),
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
    return Policy.objects.get(pk=policy.pk), picc


def _insurer_accepts(picc) -> Policy:  # type: ignore[no-untyped-def]
    application = InsuranceApplication.objects.get(status="SUBMITTED")
    insurance.application_accept(
        application=application,
        insurer_id=picc.pk,
        policy_number=f"PICC-2026-{uuid.uuid4().hex[:6]}",
        now=timezone.now(),
    )
    return Policy.objects.get(application=application)


class TestRenewalInTheBrowser:
    def test_a_merchant_renews_and_pays_in_chinese_on_a_desktop(
        self, live_server, new_page, screenshot, ending_soon
    ):
        policy, picc = ending_soon
        base = live_server.url
        page = new_page()
        page.set_viewport_size({"width": 1440, "height": 900})
        _log_in(page, base)

        page.goto(f"{base}/shops/{policy.shop.public_id}/insurance/")
        panel = page.locator(f"#renewal-{policy.public_id}")
        text = panel.inner_text()
        assert "续保" in text and "还剩 10 天" in text
        assert "续保 — 保费 ¥ 1,500.00" in text
        screenshot(page, "insurance-renewal-01-quote-zh-1440")

        panel.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "续保申请已提交保险公司" in page.locator(".messages").inner_text()
        renewal = _insurer_accepts(picc)
        page.reload()
        panel = page.locator(f"#renewal-{policy.public_id}")
        assert "缴纳续保保费 ¥ 1,500.00（沙箱）" in panel.inner_text()
        screenshot(page, "insurance-renewal-02-pay-zh-1440")

        panel.locator("button[type=submit]").click()
        page.wait_for_load_state()
        renewal.refresh_from_db()
        assert renewal.status == "ACTIVE" and renewal.starts_on == policy.ends_on + timedelta(1)
        panel = page.locator(f"#renewal-{policy.public_id}")
        assert f"已续保至 {renewal.ends_on:%Y-%m-%d}" in panel.inner_text()
        screenshot(page, "insurance-renewal-03-renewed-zh-1440")

    def test_the_renewal_reads_in_english_on_a_phone(
        self, live_server, new_page, screenshot, ending_soon
    ):
        policy, picc = ending_soon
        base = live_server.url
        page = new_page(locale="en-US")
        page.set_viewport_size({"width": 390, "height": 844})
        _log_in(page, base)

        page.goto(f"{base}/shops/{policy.shop.public_id}/insurance/")
        page.click("button.lang[value=en]")
        page.wait_for_load_state()
        panel = page.locator(f"#renewal-{policy.public_id}")
        assert "Renew — premium ¥ 1,500.00" in panel.inner_text()
        assert "10 days left" in panel.inner_text()
        panel.scroll_into_view_if_needed()
        screenshot(page, "insurance-renewal-04-quote-en-390")

        panel.locator("button[type=submit]").click()
        page.wait_for_load_state()
        renewal = _insurer_accepts(picc)
        page.reload()
        page.locator(f"#renewal-{policy.public_id} button[type=submit]").click()
        page.wait_for_load_state()
        renewal.refresh_from_db()
        panel = page.locator(f"#renewal-{policy.public_id}")
        assert f"Renewed until {renewal.ends_on:%Y-%m-%d}" in panel.inner_text()
        screenshot(page, "insurance-renewal-05-renewed-en-390")

        page.set_viewport_size({"width": 1440, "height": 900})
        page.reload()
        screenshot(page, "insurance-renewal-06-renewed-en-1440")

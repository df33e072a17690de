"""The journeys a merchant lives in, end to end in Chromium, on a phone (390 px) and a desktop
(1440 px), in Chinese and English: sign in; top up (sandbox) an onboarding shop until it goes
live; see a shortfall and cure it; answer a claim and appeal its decision; buy insurance and pay
the premium; repay an insurer's advance. Each journey moves real money or state (asserted in the
database as well as on the page) and leaves its last page in docs/screens/.

Time (CI runs the browser tests on two workers, inside a 20-minute budget for everything): each
journey test costs about 28 s on the shared development host under load (world, journey, flush),
so a journey is not walked four times (two languages by two widths). It is walked twice, once in
each language, at the phone width in one and the desktop width in the other (MATRIX), and its
last page is then switched to the other language and saved again: every journey in both
languages, every language at both widths, and docs/screens with each last page in both
languages at both widths. The steps find elements by stable classes, ids and URLs, never by
their words, so they run the same in either language; assertions on words give both
(`_words`). The axe check covers every page in both languages (test_dashboard_accessibility).

Download a statement is below. Invite a colleague is its own walk, because it needs a second
browser for the colleague (tests/e2e/test_team_walk.py: invite, the e-mail, join, at 390 and
1440 px in both languages).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from claims import services as claims
from claims.models import Claim, ClaimStatus
from deposits.models import Account
from insurance.models import InsuranceApplication, Policy, Recovery
from shops.models import Shop
from tests.dashboard_pages import COMPANY, build_world
from tests.e2e.journeys import no_sideways_scroll, open_merchant_page, save_screen, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _words(language: str, zh: str, en: str) -> str:
    return zh if language == "zh-hans" else en


def sign_in_journey(page, base, world, language):  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == language
    sign_in(page, base)
    assert page.url == f"{base}/"
    assert page.locator("h1").inner_text() == COMPANY
    assert page.locator("a.shop-name").count() == 4
    assert _words(language, "我的店铺", "My shops") in page.locator("nav.topnav").inner_text()


def top_up_journey(page, base, world, language):  # type: ignore[no-untyped-def]
    sign_in(page, base)
    page.click(f"a.shop-name:has-text('{world.kids.name}')")
    page.wait_for_load_state()
    page.click(".banner.info a.btn")  # "Top up ¥ 70,000.00": what is still to pay to go live
    page.wait_for_load_state()
    assert page.locator("#id_amount").input_value() == "70000.00"
    page.click("form:has(#id_amount) button[type=submit]")
    page.wait_for_load_state()
    page.click("form:has(input[name=idempotency_key]) button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{base}/shops/{world.kids.public_id}/"
    assert "¥ 70,000.00" in page.locator(".messages").inner_text()
    assert Shop.objects.get(pk=world.kids.pk).status == "ACTIVE"
    assert page.locator("h1 .badge").inner_text() == _words(language, "正常", "Active")


def shortfall_journey(page, base, world, language):  # type: ignore[no-untyped-def]
    sign_in(page, base)
    summary = page.locator(".shortfall-summary")
    assert "¥ 12,000.00" in summary.inner_text()
    summary.locator(f"a:has-text('{world.home.name}')").click()
    page.wait_for_load_state()
    assert "¥ 12,000.00" in page.locator("#shortfall").inner_text()
    page.click("#shortfall a.btn")
    page.wait_for_load_state()
    assert page.locator("#id_amount").input_value() == "12000.00"
    page.click("form:has(#id_amount) button[type=submit]")
    page.wait_for_load_state()
    page.click("form:has(input[name=idempotency_key]) button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#shortfall").count() == 0
    assert page.locator("h1 .badge").inner_text() == _words(language, "正常", "Active")
    assert Account.objects.get(shop=world.home).shortfall_minor == 0


def claim_journey(page, base, world, language):  # type: ignore[no-untyped-def]
    fresh = world.claims["fresh"]
    sign_in(page, base)
    page.click(".topnav a[href='/claims/']")
    page.wait_for_load_state()
    page.click(f".claim-link:has-text('{fresh.order_ref}')")
    page.wait_for_load_state()
    page.click(".answer.contest summary")
    page.fill(
        ".answer.contest textarea",
        _words(
            language,
            "吊牌为 2026 新版，附品牌授权书。",
            "The tag is the 2026 edition; the brand's authorisation is attached.",
        ),
    )
    page.click(".answer.contest button[type=submit]")
    page.wait_for_load_state()
    assert Claim.objects.get(pk=fresh.pk).status == ClaimStatus.IN_REVIEW

    # The platform decides against the merchant; the merchant appeals from the same page.
    claims.claim_decide(claim=Claim.objects.get(pk=fresh.pk), outcome="UPHELD", now=timezone.now())
    page.reload()
    page.fill(
        "#id_appeal_note",
        _words(
            language,
            "授权书编号 BA-2026-118，吊牌与品牌 2026 新版一致。",
            "Authorisation BA-2026-118; the tag matches the brand's 2026 edition.",
        ),
    )
    page.click("#appeal button[type=submit]")
    page.wait_for_load_state()
    assert Claim.objects.get(pk=fresh.pk).status == ClaimStatus.APPEALED
    assert _words(language, "申诉", "ppeal") in page.locator(".messages").inner_text()
    assert "BA-2026-118" in page.locator(".claim-timeline").inner_text()


def insurance_journey(page, base, world, language):  # type: ignore[no-untyped-def]
    from insurance import services as insurance

    sign_in(page, base)
    page.goto(f"{base}/shops/{world.flagship.public_id}/")
    page.click(".insurance-link a")
    page.wait_for_load_state()
    page.locator("#offer-perf-bond button[type=submit]").click()
    page.wait_for_load_state()
    application = InsuranceApplication.objects.get(shop=world.flagship)
    assert application.status == "SUBMITTED"

    # The insurer underwrites and accepts (its API call); the merchant then pays the premium.
    insurance.application_accept(
        application=application,
        insurer_id=world.policy.insurer_id,
        policy_number="PICC-JOURNEY-1",
        now=timezone.now(),
    )
    page.reload()
    page.click("form[action$='/pay/'] button[type=submit]")
    page.wait_for_load_state()
    policy = Policy.objects.get(policy_number="PICC-JOURNEY-1")
    assert policy.status == "ACTIVE" and policy.premium_paid_minor == policy.premium_minor
    assert "PICC-JOURNEY-1" in page.locator("main").inner_text()


def statement_journey(page, base, world, language):  # type: ignore[no-untyped-def]
    sign_in(page, base)
    page.goto(f"{base}/shops/{world.flagship.public_id}/")
    page.click(".report-tabs a[href$='/statement/']")
    page.wait_for_load_state()
    page.click(".statement-filters a[href*='date_from=']")  # all time
    page.wait_for_load_state()
    listed = page.locator("table tbody tr").count()
    assert listed > 0
    with page.expect_download() as download:
        page.click(".downloads a[href*='/statement/csv/']")
    csv_text = open(download.value.path(), encoding="utf-8-sig").read()
    lines = [line for line in csv_text.splitlines() if line.strip()]
    # The header and one line per entry listed: the download is the page's rows.
    assert len(lines) == listed + 1


def recovery_journey(page, base, world, language):  # type: ignore[no-untyped-def]
    sign_in(page, base)
    page.goto(f"{base}/shops/{world.insured.public_id}/")
    page.locator(".recovery-banner").first.locator("a.btn").click()
    page.wait_for_load_state()
    page.locator(".recovery-row.OVERDUE button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".recovery-banner.overdue").count() == 0
    assert not Recovery.objects.filter(shop=world.insured, status="OVERDUE").exists()
    assert _words(language, "已还清", "paid") in page.locator(".messages").inner_text().lower()


JOURNEYS = {
    "sign-in": sign_in_journey,
    "top-up": top_up_journey,
    "shortfall": shortfall_journey,
    "claim-appeal": claim_journey,
    "insurance": insurance_journey,
    "recovery": recovery_journey,
    "statement": statement_journey,
}

# Each journey is walked twice, once in each language, and each language meets both widths:
# the first group in Chinese on the phone and English on the desktop, the second the other way
# round. At its last page each walk also switches to the other language (the site's own
# switch) and saves that page again, so docs/screens has every last page in both languages at
# both widths from 14 walks (the CI budget: see the module docstring).
PHONE_ZH = ("sign-in", "top-up", "claim-appeal", "statement")
PHONE_EN = ("shortfall", "insurance", "recovery")
assert set(PHONE_ZH) | set(PHONE_EN) == set(JOURNEYS) and not set(PHONE_ZH) & set(PHONE_EN)
MATRIX = [
    (name, language, width)
    for name in JOURNEYS
    for language, width in (
        (("zh-hans", 390), ("en", 1440)) if name in PHONE_ZH else (("en", 390), ("zh-hans", 1440))
    )
]
OTHER = {"zh-hans": "en", "en": "zh-hans"}


def switch_language(page, language: str) -> None:  # type: ignore[no-untyped-def]
    """Choose `language` with the page's own language switch (its buttons carry the language
    code, whatever the interface's words), which reloads the same page in it."""
    with page.expect_navigation():
        page.click(f".lang-switch button[value='{language}']")
    page.wait_for_load_state()


@pytest.mark.parametrize(
    ("journey", "language", "width"), MATRIX, ids=[f"{j}-{lang}-{w}" for j, lang, w in MATRIX]
)
def test_a_merchant_journey(live_server, e2e_browser, settings, journey, language, width):
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    world = build_world(now=timezone.now())
    context, page = open_merchant_page(e2e_browser, live_server.url, language=language, width=width)
    try:
        JOURNEYS[journey](page, live_server.url, world, language)
        assert no_sideways_scroll(page), "the journey's last page fits the width"
        assert page.locator("html").get_attribute("lang") == language
        save_screen(page, journey, language, width)

        # The same last page in the other language, for the screenshots (and its fit).
        url, other = page.url, OTHER[language]
        switch_language(page, other)
        assert page.url == url
        assert page.locator("html").get_attribute("lang") == other
        assert no_sideways_scroll(page), f"the last page fits the width in {other}"
        save_screen(page, journey, other, width)
    finally:
        context.close()

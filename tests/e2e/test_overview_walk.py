"""The ops overview in a real browser, in both languages: the admin home shows the figures, the
90-day charts are drawn by the static script (Chart.js as Unfold ships it) without a console
error, a figure opens its filtered list, and a phone-width window does not scroll sideways.
Screenshots go to /tmp/overview-screenshots/ (outside the repository) for people to look at."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from deposits import services as deposit_services
from tests.e2e.conftest import pass_two_factor
from tests.factories import fund, make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OPS = ("ops-zhou", "ops-zhou-Passw0rd-2026")
SHOTS = Path("/tmp/overview-screenshots")


def _book(now) -> None:  # type: ignore[no-untyped-def]
    """Three live shops funded over the last weeks, one onboarding, one short with a case."""
    for days, amount in ((40, 5_000_000), (20, 6_000_000), (5, 5_500_000)):
        _, account = make_shop(now=now - timedelta(days=days))
        fund(account, amount, now=now - timedelta(days=days))
    make_shop(now=now)
    deposit_services.deposit_deduct(
        account_id=account.pk,
        amount_minor=900_000,
        currency="CNY",
        reason="consumer compensation",
        reference="claim-e2e",
        idempotency_key="e2e-short",
        now=now - timedelta(days=2),
    )
    deposit_services.shortfall_scan(now=now - timedelta(days=2), dispatch=lambda ids: None)
    deposit_services.daily_snapshots_backfill(now=now)
    deposit_services.daily_snapshot_take(now=now)


@pytest.mark.parametrize(
    ("locale", "heading", "live"), [("zh-CN", "概览", "经营中"), ("en-US", "Overview", "Live")]
)
def test_ops_read_the_business_on_the_admin_home(live_server, new_page, locale, heading, live):  # type: ignore[no-untyped-def]
    now = timezone.now()
    _book(now)
    get_user_model().objects.create_user(
        OPS[0], "zhou@ops.example", OPS[1], is_staff=True, is_superuser=True
    )
    page = new_page(locale=locale)
    errors: list[str] = []
    # A failed resource is caught as its response (status and URL); Chromium's console line
    # "Failed to load resource" also comes for requests Playwright does not report as a page
    # response (it came for /favicon.ico before site_root/ served it).
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", OPS[0])
    page.fill("input[name=password]", OPS[1])
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    pass_two_factor(page, live_server.url, OPS[0])

    page.goto(f"{live_server.url}/admin/")
    assert page.locator("h1.overview-title").inner_text().strip() == heading
    drawn = page.evaluate(
        "[...document.querySelectorAll('canvas[data-overview-chart]')]"
        ".map(c => Boolean(window.Chart.getChart(c)) && c.width > 0)"
    )
    assert drawn == [True, True]
    assert errors == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"overview-{locale}-1440.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / f"overview-{locale}-390.png"), full_page=True)

    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator("#ov-shops ~ .overview-figures a", has_text=live).click()
    page.wait_for_load_state()
    assert "status__exact=ACTIVE" in page.url
    assert page.locator("#result_list tbody tr").count() == 3

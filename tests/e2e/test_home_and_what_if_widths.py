"""The merchant home with several shops (sortable), a shop page with the shop switcher open, and
the what-if page with a result, at a phone's width (360 and 390 px) and a desktop's (1440 px), in
both languages: the page itself never scrolls sideways (tables scroll inside .table-scroll).

Screenshots go to /tmp/wi-shots/ (outside the repository) for people to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from tests.e2e.test_merchant_walk import OWNER, _log_in, yunjin  # noqa: F401
from tests.e2e.test_phone_widths import CLIPPED_TABLES, OVERFLOW

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/wi-shots")


@pytest.mark.parametrize("width", [360, 390, 1440])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_home_switcher_and_what_if_fit_the_width(
    live_server,
    e2e_browser,
    yunjin,  # noqa: F811
    language,
    width,
):
    base = live_server.url
    flagship = yunjin["flagship"].public_id
    context = e2e_browser.new_context(
        viewport={"width": width, "height": 780},
        locale="zh-CN" if language == "zh-hans" else "en-US",
        timezone_id="Asia/Shanghai",
    )
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])
    page = context.new_page()
    _log_in(page, base, *OWNER)
    SHOTS.mkdir(exist_ok=True)
    wide = {}

    def check(name: str) -> None:
        page.wait_for_load_state()
        excess = page.evaluate(OVERFLOW)
        if excess > 0:
            wide[name] = excess
        if page.evaluate(CLIPPED_TABLES):
            wide[f"{name} (tables cut off)"] = True
        page.screenshot(path=str(SHOTS / f"w{width}-{language}-{name}.png"), full_page=True)

    page.goto(f"{base}/?sort=-shortfall")
    check("home-sorted")
    page.goto(f"{base}/shops/{flagship}/")
    page.click(".shop-switcher summary")
    assert page.locator(".shop-switcher li").count() == 3
    check("shop-switcher-open")
    page.goto(f"{base}/shops/{flagship}/what-if/")
    page.select_option("#id_category", "jewelry")
    page.select_option("#id_brand_trademark", "APPLIED")
    with page.expect_navigation():
        page.click(".what-if-form button[type=submit]")
    assert page.locator(".what-if-required").count() == 1
    check("what-if-result")
    page.goto(f"{base}/shops/{flagship}/what-if/?category=health_supplements&shop_type=FRANCHISE")
    check("what-if-not-insurable")
    context.close()

    assert wide == {}, f"pages wider than {width} px (by px): {wide}"

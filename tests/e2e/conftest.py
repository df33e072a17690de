"""Browser tests: Debian's Chromium driven by Playwright's sync API against pytest-django's
live_server.

`playwright install` cannot download browsers on these machines, so the tests launch
/usr/bin/chromium. Without it they skip with the reason, except under CI=true, where a missing
browser is a failure (a green CI must mean the browser walk ran).

The sync Playwright API runs an event loop in the test's thread, so Django would refuse ORM calls
made from that thread (arranging data, checking results) as "async unsafe". Allowed here only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture(scope="session")
def e2e_browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI=true requires the browser tests to run")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(e2e_browser):  # type: ignore[no-untyped-def]
    """Open a page in a fresh browser context (its own cookies); Chinese browser by default."""
    contexts = []

    def open_page(*, locale: str = "zh-CN"):  # type: ignore[no-untyped-def]
        context = e2e_browser.new_context(
            locale=locale, viewport={"width": 1280, "height": 800}, timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot():  # type: ignore[no-untyped-def]
    """Save a full-page PNG under var/screenshots/ (gitignored) for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

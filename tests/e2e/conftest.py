"""Browser tests: Debian's Chromium driven by Playwright's sync API against pytest-django's
live_server.

`playwright install` cannot download browsers on these machines, so the tests launch
/usr/bin/chromium. Without it they skip with the reason, except under CI=true, where a missing
browser is a failure (a green CI must mean the browser walk ran).

The sync Playwright API runs an event loop in the test's thread, so Django would refuse ORM calls
made from that thread (arranging data, checking results) as "async unsafe". So
DJANGO_ALLOW_ASYNC_UNSAFE is set, but only while an e2e test runs: set at import time it would
stay in the environment for the rest of the session and reach other tests' subprocesses (the
deploy check warns about it). For the same reason Playwright lives for one test, not a session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db.migrations import RunPython
from django.db.migrations.loader import MigrationLoader

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
PROJECT_APPS = ("common", "partners", "shops", "deposits", "insurance", "claims")


@pytest.fixture(autouse=True)
def _allow_orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, "DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _no_sign_in_ceiling(settings) -> None:  # type: ignore[no-untyped-def]
    """Every browser test signs in from 127.0.0.1, dozens of times within minutes and counted in
    the shared Redis: the sign-in limits (settings.RATE_LIMITS, asserted in
    tests/security/test_rate_limits.py) would refuse the suite itself after thirty."""
    settings.RATE_LIMITS = {
        name: (1_000_000, window) for name, (_attempts, window) in settings.RATE_LIMITS.items()
    }


@pytest.fixture(autouse=True)
def reference_data(_allow_orm_beside_playwright, transactional_db) -> None:  # type: ignore[no-untyped-def]
    """Put back the rows the project's data migrations install (categories, default rules, the
    shortfall ladder, schedules).

    The live server reads committed data, so these tests are transactional, and the flush after
    any earlier transactional test has emptied those tables. `serialized_rollback` cannot be
    relied on here: after a flush without it, post_migrate recreates content types under new ids
    and restoring the serialized ones collides. Data migrations name their forward function
    `install` and use get_or_create, so running them again is safe.
    """
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan: list[tuple[str, str]] = []
    for leaf in loader.graph.leaf_nodes():
        plan += [node for node in loader.graph.forwards_plan(leaf) if node not in plan]
    for app_label, name in plan:
        if app_label not in PROJECT_APPS:
            continue
        for operation in loader.graph.nodes[(app_label, name)].operations:
            if isinstance(operation, RunPython) and operation.code.__name__ == "install":
                operation.code(django_apps, None)


@pytest.fixture
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


def pass_two_factor(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """After the admin password: give the user a confirmed authenticator if they have none (as
    if enrolled before) and type its current code on the verification page, as staff do."""
    from django.contrib.auth import get_user_model
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    page.goto(f"{base_url}/admin/2fa/verify/?next=/admin/")
    page.fill("#id_token", f"{totp(device.bin_key, step=device.step, t0=device.t0):06d}")
    page.click("#otp-verify-form button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/2fa/" not in page.url, "the code is accepted"

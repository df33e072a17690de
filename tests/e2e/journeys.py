"""What a merchant's browser session needs in every journey test: a context in a language at a
width, signing in, and the journey's last page saved to docs/screens/ (committed, for people to
look at; the other walks keep theirs in var/screenshots/)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from tests.dashboard_pages import OWNER

SCREENS = Path(settings.BASE_DIR) / "docs" / "screens"
WIDTHS = {390: 844, 1440: 900}  # a phone, a desktop: the height of their first screen
BROWSER_LOCALE = {"zh-hans": "zh-CN", "en": "en-US"}


def open_merchant_page(browser, base: str, *, language: str, width: int):  # type: ignore[no-untyped-def]
    """A fresh context (its own cookies) whose interface language is `language` from the first
    page on, as after the merchant chose it once."""
    context = browser.new_context(
        locale=BROWSER_LOCALE[language],
        viewport={"width": width, "height": WIDTHS[width]},
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}])
    return context, context.new_page()


def sign_in(page, base: str, username: str = OWNER[0], password: str = OWNER[1]) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click(".auth-card form button[type=submit]")
    page.wait_for_load_state()


def save_screen(page, journey: str, language: str, width: int) -> Path:  # type: ignore[no-untyped-def]
    """The first screen of the page as it stands (not the full page: the files are committed,
    so they stay small), named journey-lang-width.png."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{journey}-{language}-{width}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))

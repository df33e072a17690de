"""Accessibility of the merchant dashboard in Chromium: axe-core (axe-playwright-python, which
bundles axe.min.js: nothing is fetched) on every page of tests/dashboard_pages.PAGES in both
languages, with no serious or critical violation; and a keyboard-only journey (Tab, Enter and
Space, nothing else) through a sandbox top-up and a claim answer, with the focus visible at
every stop."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from claims.models import Claim, ClaimStatus
from deposits.models import Account
from tests.dashboard_pages import OWNER, PAGES, build_world
from tests.e2e.journeys import open_merchant_page, save_screen, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}


def _violations(axe: Axe, page) -> list[str]:  # type: ignore[no-untyped-def]
    results = axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_dashboard_page_passes_axe(live_server, e2e_browser, settings, language):
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    world = build_world(now=timezone.now())
    base = live_server.url
    context, page = open_merchant_page(e2e_browser, base, language=language, width=1440)
    axe = Axe()
    found: dict[str, list[str]] = {}
    checked = []
    try:
        for dashboard_page in PAGES:
            if dashboard_page.name == "login":
                page.goto(base + dashboard_page.path(world))
            else:
                if not checked or checked[-1] == "login":
                    sign_in(page, base)
                response = page.goto(base + dashboard_page.path(world))
                assert response is not None and response.status == 200, dashboard_page.name
                if dashboard_page.submit:
                    page.click(dashboard_page.submit)
                    page.wait_for_load_state()
            assert page.locator("html").get_attribute("lang") == language
            problems = _violations(axe, page)
            if problems:
                found[dashboard_page.name] = problems
            checked.append(dashboard_page.name)
    finally:
        context.close()

    assert checked == [p.name for p in PAGES]
    assert found == {}, "serious or critical axe violations:\n" + "\n".join(
        f"{name}: {problem}" for name, problems in found.items() for problem in problems
    )


FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return true;  // the first Tab brings the focus into the page
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return outline || (style.boxShadow && style.boxShadow !== 'none');
}"""


def _tab_to(page, selector: str, *, limit: int = 60) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until the focus is on `selector`, checking at every stop that the focused
    element is drawn with a visible focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_VISIBLE), "focus not visible on " + page.evaluate(
            "document.activeElement && document.activeElement.outerHTML.slice(0, 120)"
        )
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def _press_and_follow(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """Press a key that follows a link or submits a form, and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_a_top_up_and_a_claim_answer_with_the_keyboard_alone(live_server, e2e_browser, settings):
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    world = build_world(now=timezone.now())
    base = live_server.url
    context, page = open_merchant_page(e2e_browser, base, language="zh-hans", width=1440)
    try:
        page.goto(f"{base}/accounts/login/")
        _tab_to(page, "#id_username")
        page.keyboard.type(OWNER[0])
        _tab_to(page, "#id_password")
        page.keyboard.type(OWNER[1])
        _press_and_follow(page, "Enter")
        assert page.url == f"{base}/"

        # Top up the short shop from the home page's summary, confirm with Space.
        _tab_to(page, f".shortfall-summary a[href='/shops/{world.home.public_id}/top-up/']")
        _press_and_follow(page, "Enter")
        _tab_to(page, "#id_amount")
        _tab_to(page, "form:has(#id_amount) button[type=submit]")
        _press_and_follow(page, "Enter")
        _tab_to(page, "form:has(input[name=idempotency_key]) button[type=submit]")
        _press_and_follow(page, "Space")
        assert page.url == f"{base}/shops/{world.home.public_id}/"
        assert Account.objects.get(shop=world.home).shortfall_minor == 0

        # Contest a claim: the navigation, the list, the claim, its <details>, the note.
        _tab_to(page, ".topnav a[href='/claims/']")
        _press_and_follow(page, "Enter")
        _tab_to(page, f".claim-link[href='/claims/{world.claims['fresh'].public_id}/']")
        _press_and_follow(page, "Enter")
        _tab_to(page, ".answer.contest summary")
        page.keyboard.press("Enter")  # opens the form
        _tab_to(page, ".answer.contest textarea")
        page.keyboard.type("吊牌为 2026 新版，附品牌授权书。")
        _tab_to(page, ".answer.contest button[type=submit]")
        _press_and_follow(page, "Space")
        assert Claim.objects.get(pk=world.claims["fresh"].pk).status == ClaimStatus.IN_REVIEW
        assert "已提出异议" in page.locator(".messages").inner_text()
        save_screen(page, "keyboard-claim", "zh-hans", 1440)
    finally:
        context.close()

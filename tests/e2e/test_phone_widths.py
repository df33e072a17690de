"""Every merchant page at a phone's width (360 px) and a desktop's (1440 px), in both languages:
the page itself never scrolls sideways. A wide table scrolls inside its own card, with its first
column kept in view (sticky).

Data: the merchant of test_merchant_walk (an active shop with a ledger, a hold and two
withdrawals, one of them failed, a restricted short shop, an onboarding shop) plus a shop that
owes a debt, an owner and a clerk without the deposit permission.
Screenshots: var/screenshots/w360-*.png and w1440-*.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from deposits import services
from shops.models import MerchantUser
from tests.e2e.test_merchant_walk import OWNER, YUAN, _log_in, _register, _top_up, yunjin  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CLERK = ("clerk", "clerk-Passw0rd-2026")
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# Tables cut off without a way to see the rest: wider than the box that clips them (overflow
# hidden) or, with no such box, than the window. A table in a box that scrolls is fine.
CLIPPED_TABLES = """() => [...document.querySelectorAll('main table')].filter(table => {
  const right = table.getBoundingClientRect().right;
  for (let el = table.parentElement; el && el !== document.body; el = el.parentElement) {
    const overflow = getComputedStyle(el).overflowX;
    if (overflow === 'auto' || overflow === 'scroll') return false;
    const clips = overflow === 'hidden' || overflow === 'clip';
    if (clips) return right > el.getBoundingClientRect().right + 1;
  }
  return right > window.innerWidth + 1;
}).length"""


@pytest.fixture
def with_debt_and_clerk(yunjin):  # type: ignore[no-untyped-def]  # noqa: F811
    """A live shop whose deduction went beyond its deposit (a debt of 2,000.00), and a clerk."""
    now = timezone.now()
    shop, account = _register(
        "云锦鞋包专卖店", "yj-bags", "SPECIALTY", "REGISTERED", ["shoes_bags"], now
    )
    _top_up(account, 50_000 * YUAN, "yj-bags-1", now - timedelta(days=30))
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=52_000 * YUAN,
        currency="CNY",
        reason="假一赔四",
        reference="CLAIM-9001",
        allow_debt=True,
        idempotency_key="e2e-debt-1",
        now=now - timedelta(hours=2),
    )
    services.shortfall_evaluate(shop_id=shop.pk, now=now - timedelta(hours=2))
    # A withdrawal from the flagship whose payout failed, and one still requested.
    flagship = yunjin["flagship"]
    services.payout_account_bind(
        shop_id=flagship.pk, account_tail="6789", bank_name="招商银行", now=now
    )
    for n, amount in enumerate((300 * YUAN, 200 * YUAN)):
        result = services.deposit_withdraw(
            account_id=flagship.deposit_account.pk,
            amount_minor=amount,
            currency="CNY",
            idempotency_key=f"e2e-withdraw-{n}",
            now=now - timedelta(hours=3 - n),
        )
        if n == 0:
            services.withdrawal_payout_failed(
                reference=result.transaction.withdrawal.reference,
                reason="收款账户已冻结",
                now=now - timedelta(hours=1),
            )
    clerk = get_user_model().objects.create_user(CLERK[0], "clerk@yunjin.example", CLERK[1])
    MerchantUser.objects.create(user=clerk, merchant=shop.merchant, role="VIEWER")
    return {**yunjin, "bags": shop}


def _pages(data, *, owner: bool) -> dict[str, str]:  # type: ignore[no-untyped-def]
    shops = {key: data[key].public_id for key in ("flagship", "home", "kids", "bags")}
    pages = {
        "home": "/",
        "home-restricted": "/?status=RESTRICTED",
        "notices": "/notices/",
        **{f"shop-{key}": f"/shops/{sid}/" for key, sid in shops.items()},
        "withdraw": f"/shops/{shops['flagship']}/withdraw/",
        "top-up": f"/shops/{shops['home']}/top-up/",
        "insurance": f"/shops/{shops['flagship']}/insurance/",
        # A clerk without the deposit permission gets these pages' 403 (no amounts).
        "statement": f"/shops/{shops['flagship']}/statement/?date_from=&date_to=",
        "coverage": f"/shops/{shops['flagship']}/coverage/?days=365",
    }
    if not owner:
        pages = {f"clerk-{name}": path for name, path in pages.items()}
    return pages


def _overflows(page, base: str, pages: dict[str, str], screenshot, prefix: str):  # type: ignore[no-untyped-def]
    wide = {}
    for name, path in pages.items():
        response = page.goto(base + path)
        assert response is not None and response.status in (200, 403), (path, response.status)
        page.wait_for_load_state()
        excess = page.evaluate(OVERFLOW)
        if excess > 0:
            wide[name] = excess
        clipped = page.evaluate(CLIPPED_TABLES)
        if clipped:
            wide[f"{name} (tables cut off)"] = clipped
        screenshot(page, f"{prefix}-{name}")
    return wide


@pytest.mark.parametrize("width", [360, 1440])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_merchant_page_scrolls_sideways(
    live_server, e2e_browser, screenshot, with_debt_and_clerk, settings, language, width
):
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    base = live_server.url
    wide = {}
    for who, (username, password) in (("owner", OWNER), ("clerk", CLERK)):
        context = e2e_browser.new_context(
            viewport={"width": width, "height": 780},
            locale="zh-CN" if language == "zh-hans" else "en-US",
            timezone_id="Asia/Shanghai",
        )
        context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}]
        )
        page = context.new_page()
        prefix = f"w{width}-{language}"
        if who == "owner":
            wide.update(_overflows(page, base, {"login": "/accounts/login/"}, screenshot, prefix))
        _log_in(page, base, username, password)
        pages = _pages(with_debt_and_clerk, owner=who == "owner")
        wide.update(_overflows(page, base, pages, screenshot, prefix))
        if who == "owner":
            # The sandbox payment's confirmation page (reached by submitting an amount).
            page.goto(base + pages["top-up"])
            page.click("form button.btn[type=submit]")
            page.wait_for_load_state()
            assert page.locator("input[name=idempotency_key]").count() == 1
            if page.evaluate(OVERFLOW) > 0:
                wide["top-up-confirm"] = page.evaluate(OVERFLOW)
            screenshot(page, f"{prefix}-top-up-confirm")
        context.close()

    assert wide == {}, f"pages wider than {width} px (by px): {wide}"


def test_on_a_phone_each_ledger_row_is_a_card_with_its_amount_and_balance_in_view(
    live_server, e2e_browser, screenshot, with_debt_and_clerk
):
    """At 360 px the shop page's ledger is one card per entry, each value under its column's
    name: the amount and the balance after it are on screen without scrolling sideways (a table
    scrolling inside its card hid them off to the right)."""
    base = live_server.url
    context = e2e_browser.new_context(viewport={"width": 360, "height": 780}, locale="en-US")
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": base}])
    page = context.new_page()
    _log_in(page, base, *OWNER)
    page.goto(f"{base}/shops/{with_debt_and_clerk['flagship'].public_id}/")

    scroller = page.locator("section.ledger .table-scroll")
    scroll_room = scroller.evaluate("el => el.scrollWidth - el.clientWidth")
    cells = page.locator("section.ledger tbody tr").first.locator("td")
    boxes = [cells.nth(i).bounding_box() for i in range(cells.count())]
    labels = [cells.nth(i).get_attribute("data-label") for i in range(cells.count())]
    screenshot(page, "w360-en-ledger-cards")
    context.close()

    assert scroll_room <= 1  # nothing to scroll sideways: the card fits the phone
    assert all(box["x"] >= 0 and box["x"] + box["width"] <= 361 for box in boxes if box)
    assert all(labels), labels  # each value says which column it is

"""The owner invites a colleague in the browser, the colleague joins through the e-mailed link and
lands signed in; the team page, the notification centre (filtered) and the e-mail preferences
fit a phone (390 px) and a desktop (1440 px) in both languages without the page scrolling
sideways.

Screenshots go to the system's temporary directory (dd-team-screens/), not the repository."""

from __future__ import annotations

import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from shops import services, tasks, team
from shops.models import MerchantUser
from tests.e2e.test_merchant_walk import _log_in
from tests.factories import make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OWNER = ("boss@yunjin.example", "Owner-Passw0rd-2026")
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
SHOTS = Path(tempfile.gettempdir()) / "dd-team-screens"


@pytest.fixture
def merchant_with_notices():  # type: ignore[no-untyped-def]
    now = timezone.now()
    shop, _ = make_shop(now=now, merchant_email=OWNER[0])
    owner = get_user_model().objects.create_user(OWNER[0], OWNER[0], OWNER[1])
    MerchantUser.objects.create(user=owner, merchant=shop.merchant, role="OWNER")
    kinds = [
        "shortfall.notify",
        "shortfall.restrict",
        "insurance_renewal_reminder",
        "withdrawal.paid",
    ]
    for n, kind in enumerate(kinds * 8):
        services.notification_create(
            merchant_id=shop.merchant_id,
            shop_id=shop.pk,
            dedupe_key=f"e2e-{n}",
            kind=kind,
            language="zh-hans",
            texts={
                "en": (f"Notice {n}: {kind}", "The deposit of 云锦旗舰店 is short by ¥ 12,000.00."),
                "zh-hans": (f"通知 {n}：{kind}", "云锦旗舰店保证金缺口 ¥ 12,000.00。"),
            },
            now=now - timedelta(hours=n),
            email=False,
        )
    return shop


def _context(browser, base: str, width: int, language: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        locale="zh-CN" if language == "zh-hans" else "en-US",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context


def _look(page, name: str, wide: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state()
    excess = page.evaluate(OVERFLOW)
    if excess > 0:
        wide[name] = excess
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("width", [390, 1440])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_invite_join_and_the_notification_centre_fit_the_screen(
    live_server, e2e_browser, merchant_with_notices, sent_tasks, language, width
):
    base = live_server.url
    prefix = f"w{width}-{language}"
    wide: dict[str, int] = {}
    owner_context = _context(e2e_browser, base, width, language)
    page = owner_context.new_page()
    _log_in(page, base, *OWNER)

    page.goto(f"{base}/team/")
    page.fill("#id_email", "li.na@yunjin.example")
    page.select_option("#id_role", "FINANCE")
    page.select_option("#id_language", language)
    page.click(".invite-form button[type=submit]")
    page.wait_for_load_state()
    assert "li.na@yunjin.example" in page.inner_text(".messages")
    _look(page, f"{prefix}-team", wide)

    (kwargs,) = [kw for name, kw in sent_tasks if name == team.SEND_INVITATION_EMAIL_TASK]
    tasks.send_invitation_email(**kwargs)
    link = re.search(r"/team/join/[^/\s]+/", mail.outbox[-1].body).group(0)  # type: ignore[union-attr]

    colleague = _context(e2e_browser, base, width, language).new_page()
    colleague.goto(base + link)
    _look(colleague, f"{prefix}-join", wide)
    colleague.fill("#id_password", "Lantern-harbour-42")
    colleague.fill("#id_password_again", "Lantern-harbour-42")
    colleague.click(".auth-card form button[type=submit]")
    colleague.wait_for_load_state()
    assert colleague.url.rstrip("/") == base, colleague.url
    assert MerchantUser.objects.get(user__username="li.na@yunjin.example").role == "FINANCE"
    colleague.goto(base + link)
    _look(colleague, f"{prefix}-join-used", wide)
    colleague.goto(f"{base}/team/")
    _look(colleague, f"{prefix}-team-forbidden", wide)

    page.goto(f"{base}/team/")
    _look(page, f"{prefix}-team-after", wide)
    page.goto(f"{base}/notices/")
    _look(page, f"{prefix}-notices", wide)
    page.goto(f"{base}/notices/?group=shortfall&unread=1")
    assert page.locator("table.notices tbody tr").count() == 16
    _look(page, f"{prefix}-notices-filtered", wide)
    page.goto(f"{base}/notices/preferences/")
    _look(page, f"{prefix}-preferences", wide)

    assert wide == {}, f"pages wider than the {width} px window: {wide}"
    owner_context.close()

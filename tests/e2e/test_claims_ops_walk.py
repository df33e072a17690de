"""Ops work claims in the admin, in a real browser at 1440 px, in Chinese and in English: the
queue with an overdue claim marked, the claim page with the calculator, a decision that waits for
a second person, and the second person approving it. Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from claims import services
from claims.models import ClaimStatus
from partners.services import partner_get_or_create
from tests.claims.ops_helpers import funded_shop, in_review
from tests.e2e.conftest import pass_two_factor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ALICE = ("alice-ops", "alice-Passw0rd-2026")
BOB = ("bob-ops", "bob-Passw0rd-2026")


@pytest.fixture
def queue():  # type: ignore[no-untyped-def]
    now = timezone.now()
    partner = partner_get_or_create(name="Tmall")
    shop = funded_shop(partner, now, amount_minor=8_000_000)
    overdue = in_review(partner, shop, at=now - timedelta(days=9), external_ref="TM-20261101-0007")
    earlier = in_review(
        partner,
        shop,
        at=now - timedelta(hours=5),
        external_ref="TM-20261205-0031",
        consumer="buyer-88",
    )
    services.claim_decide(claim=earlier, outcome="UPHELD", now=now - timedelta(hours=4))
    capped = in_review(
        partner,
        shop,
        at=now - timedelta(hours=3),
        external_ref="TM-20261206-0102",
        consumer="buyer-88",
        paid=1_500_000,
        paid_at=earlier.order_paid_at + timedelta(hours=3),
    )
    counterfeit = in_review(
        partner,
        shop,
        at=now - timedelta(days=2),
        external_ref="TM-20261204-0044",
        reason="COUNTERFEIT",
        paid=300_000,
    )
    User = get_user_model()
    for username, password in (ALICE, BOB):
        user = User.objects.create_user(username, f"{username}@platform.example", password)
        user.is_staff = user.is_superuser = True
        user.save()
    return {"overdue": overdue, "capped": capped, "counterfeit": counterfeit}


def _open(e2e_browser, live_server, who, *, locale):  # type: ignore[no-untyped-def]
    context = e2e_browser.new_context(
        locale=locale, viewport={"width": 1440, "height": 900}, timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/login/" not in page.url
    pass_two_factor(page, live_server.url, who[0])
    return context, page


class TestClaimsOpsWalk:
    def test_ops_decide_from_the_queue_with_a_second_person_in_chinese(
        self, live_server, e2e_browser, screenshot, queue
    ):
        base = live_server.url
        context, page = _open(e2e_browser, live_server, ALICE, locale="zh-CN")

        page.goto(f"{base}/admin/claims/queuedclaim/")
        rows = page.locator("#result_list tbody tr")
        assert "TM-20261101-0007" in rows.nth(0).inner_text()
        assert "超期" in rows.nth(0).inner_text()
        screenshot(page, "claims-ops-01-queue-zh")

        page.goto(f"{base}/admin/claims/claim/{queue['capped'].pk}/change/")
        calculator = page.locator("#claim-calculator").inner_text()
        assert "TM-20261205-0031" in calculator and "24 小时累计上限" in calculator
        screenshot(page, "claims-ops-02-claim-capped-zh")

        page.goto(f"{base}/admin/claims/claim/{queue['counterfeit'].pk}/change/")
        page.select_option("#claim-decide select[name=outcome]", "UPHELD")
        page.fill("#claim-decide textarea[name=note]", "品牌方鉴定函确认为假货。")
        page.click("#decide-claim")
        page.wait_for_load_state()
        assert page.locator("#claim-four-eyes").count() == 1
        screenshot(page, "claims-ops-03-waiting-zh")
        context.close()

        context, page = _open(e2e_browser, live_server, BOB, locale="zh-CN")
        page.goto(f"{base}/admin/claims/claim/{queue['counterfeit'].pk}/change/")
        page.fill("#claim-four-eyes textarea[name=note]", "已核对鉴定函。")
        page.click("#approve-decision")
        page.wait_for_load_state()
        assert page.locator("#claim-funding, #claim-money").first.is_visible()
        queue["counterfeit"].refresh_from_db()
        assert queue["counterfeit"].status == ClaimStatus.DECIDED
        screenshot(page, "claims-ops-04-approved-zh")
        context.close()

    def test_the_queue_and_claim_page_read_in_english(
        self, live_server, e2e_browser, screenshot, queue
    ):
        base = live_server.url
        context, page = _open(e2e_browser, live_server, ALICE, locale="en-US")

        page.goto(f"{base}/admin/claims/queuedclaim/")
        assert "overdue since" in page.locator("#result_list").inner_text()
        screenshot(page, "claims-ops-05-queue-en")

        page.goto(f"{base}/admin/claims/claim/{queue['capped'].pk}/change/")
        body = page.locator("#claim-ops").inner_text()
        assert "the 24-hour cap takes off" in body
        assert "Calculator" in body
        assert not re.search(r"[\u4e00-\u9fff]", body), "Chinese on the English page"
        screenshot(page, "claims-ops-06-claim-capped-en")
        context.close()

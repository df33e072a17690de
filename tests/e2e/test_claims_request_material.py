"""Ops ask a side of an escalated claim for more material from the claim's admin page, in both
languages. Screenshots go to var/screenshots/ for people to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from claims import services
from claims.models import Claim
from partners.services import partner_get_or_create
from tests.e2e.conftest import pass_two_factor
from tests.factories import fund, make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OPS = ("ops-claims", "pw-ops-123456!")
FILED = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


@pytest.fixture
def escalated() -> Claim:
    partner = partner_get_or_create(name="Tmall")
    shop, account = make_shop(now=FILED - timedelta(days=30), partner_id=partner.pk)
    fund(account, 5_000_000, now=FILED - timedelta(days=30))
    claim, _ = services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref="TM-CLAIM-1",
        reason="FALSE_SHIPMENT",
        order_ref="TB-1",
        order_paid_minor=100_000,
        currency="CNY",
        order_paid_at=FILED - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref="buyer-1",
        description="The tracking number does not exist.",
        now=FILED,
    )
    get_user_model().objects.create_superuser(OPS[0], "ops@example.com", OPS[1])
    return services.claim_escalate(claim=claim, now=FILED)


def _log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/admin/")
    page.fill("input[name=username]", OPS[0])
    page.fill("input[name=password]", OPS[1])
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    pass_two_factor(page, base, OPS[0])


@pytest.mark.parametrize(
    ("locale", "title", "asked"),
    [("zh-CN", "要求补充材料", "消费者"), ("en-US", "Request more material", "the consumer")],
)
def test_ops_ask_the_consumer_for_more_material(
    live_server, new_page, screenshot, escalated, locale, title, asked
):
    page = new_page(locale=locale)
    _log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/claims/claim/{escalated.pk}/change/")
    page.click(f"text={title}")
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=title).count() == 1
    assert "(Asia/Shanghai)" in page.locator("body").inner_text()
    page.select_option("select[name=party]", "CONSUMER")
    page.fill("textarea[name=note]", "The unboxing video.")
    screenshot(page, f"claims-request-material-{locale}")
    page.click("#request-material button[type=submit]")
    page.wait_for_load_state()

    assert page.url.endswith(f"/admin/claims/claim/{escalated.pk}/change/")
    screenshot(page, f"claims-request-material-done-{locale}")
    escalated.refresh_from_db()
    assert escalated.events.filter(action="material_requested:CONSUMER").count() == 1
    assert asked  # the label the select shows in that language

"""The audit trail in a real browser: ops freeze a shop, someone renames it by SQL, and the
restriction's and the shop's history tabs and the audit list say who did what, from where.
Screenshots go to var/screenshots/ for people to look at."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from shops.models import ShopRestriction
from tests.e2e.conftest import pass_two_factor
from tests.factories import make_shop

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres(reason="the audit trail is written by PostgreSQL triggers"),
]

OPS = ("ops-lin", "ops-lin-Passw0rd-2026")


def _log_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/admin/login/")
    page.fill("input[name=username]", OPS[0])
    page.fill("input[name=password]", OPS[1])
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    assert "/admin/login/" not in page.url
    pass_two_factor(page, base, OPS[0])


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_ops_read_who_changed_a_shop(live_server, new_page, screenshot, locale):  # type: ignore[no-untyped-def]
    shop, _ = make_shop(now=timezone.now())
    get_user_model().objects.create_user(
        OPS[0], "lin@ops.example", OPS[1], is_staff=True, is_superuser=True
    )
    page = new_page(locale=locale)
    _log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/shops/shop/")
    page.check(f"input[name=_selected_action][value='{shop.pk}']")
    page.select_option("select[name=action]", "freeze")
    page.fill("input[name=reason]", "Fraud check")
    page.click("button[type=submit][name=index]")
    page.wait_for_load_state()
    restriction = ShopRestriction.objects.get(shop=shop)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE shops_shop SET name = 'Renamed by SQL' WHERE id = %s", [shop.pk])

    page.goto(f"{live_server.url}/admin/shops/shoprestriction/{restriction.pk}/history/")
    table = page.locator("[data-testid=audit-history]")
    assert OPS[0] in table.inner_text()
    assert "Fraud check" in table.inner_text()
    screenshot(page, f"audit-restriction-history-{locale}")

    # The change form's own "History" button leads to the trail.
    page.goto(f"{live_server.url}/admin/shops/shop/{shop.pk}/change/")
    page.click(f"a[href$='/admin/shops/shop/{shop.pk}/history/']")
    page.wait_for_load_state()
    assert "Renamed by SQL" in page.locator("[data-testid=audit-history]").inner_text()
    screenshot(page, f"audit-shop-history-{locale}")

    page.goto(f"{live_server.url}/admin/audit/auditevent/?q={shop.pk}&model=audit.ShopEvent")
    assert "Renamed by SQL" in page.content()
    screenshot(page, f"audit-list-{locale}")

"""One four-eyes round trip in a real browser at 1440 px: finance adjusts a deposit by
15,000.00 (above the threshold: nothing posts), the supervisor finds it under "waiting for me",
reads what will be carried out and approves it; the deposit then holds the money. Screenshots go
to var/screenshots/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from deposits.models import Account
from tests.e2e.conftest import pass_two_factor
from tests.factories import make_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

FIONA = ("fiona-finance", "fiona-Passw0rd-2026")
SAM = ("sam-supervisor", "sam-Passw0rd-2026")


@pytest.fixture
def account():  # type: ignore[no-untyped-def]
    from django.utils import timezone

    _, account = make_shop(now=timezone.now())
    User = get_user_model()
    for (username, password), role in ((FIONA, "finance"), (SAM, "supervisor")):
        user = User.objects.create_user(username, f"{username}@platform.example", password)
        user.is_staff = True
        user.save()
        user.groups.add(Group.objects.get(name=role))
    return account


def _open(e2e_browser, live_server, who):  # type: ignore[no-untyped-def]
    context = e2e_browser.new_context(
        locale="en-US", viewport={"width": 1440, "height": 900}, timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    pass_two_factor(page, live_server.url, who[0])
    return context, page


def test_an_adjustment_above_the_threshold_waits_for_the_supervisor(
    live_server, e2e_browser, screenshot, account
):
    base = live_server.url
    context, page = _open(e2e_browser, live_server, FIONA)
    page.goto(f"{base}/admin/deposits/account/")
    page.check(f"input[name=_selected_action][value='{account.pk}']")
    page.select_option("select[name=action]", "adjust")
    page.fill("input[name=amount]", "15000")
    page.fill("input[name=reason]", "Duplicate payment returned by the bank")
    page.click("button[type=submit][name=index]")
    page.wait_for_load_state()
    assert "waiting for a second person" in page.content()
    assert Account.objects.get(pk=account.pk).posted_minor == 0
    screenshot(page, "four-eyes-01-adjust-waits")
    context.close()

    context, page = _open(e2e_browser, live_server, SAM)
    page.goto(f"{base}/admin/approvals/foureyesrequest/?waiting_for_me=yes")
    listing = page.locator("#result_list").inner_text()
    assert "¥ 15,000.00" in listing and "fiona-finance" in listing
    screenshot(page, "four-eyes-02-waiting-for-me")
    page.locator("#result_list tbody tr a").first.click()
    page.wait_for_load_state()
    assert "Duplicate payment returned by the bank" in page.content()
    screenshot(page, "four-eyes-03-request")

    page.goto(f"{base}/admin/approvals/foureyesrequest/?waiting_for_me=yes")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "approve")
    page.click("button[type=submit][name=index]")
    page.wait_for_load_state()
    assert "approved and carried out" in page.content()
    screenshot(page, "four-eyes-04-approved")
    context.close()

    assert Account.objects.get(pk=account.pk).posted_minor == 1_500_000

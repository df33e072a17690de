"""Every kind of page runs under the Content-Security-Policy without the browser refusing
anything it needs: the dashboard (strict), the admin (Unfold's Alpine.js needs eval, never inline
script) and the API docs. A refusal shows in Chromium's console as "Refused to …"."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.e2e.conftest import pass_two_factor
from tests.factories import make_shop, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "csp-Passw0rd-2026"


def _refusals(page) -> list[str]:  # type: ignore[no-untyped-def]
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    return refused


def test_the_dashboard_runs_under_the_strict_policy(live_server, new_page):
    from django.utils import timezone

    from shops.models import MerchantUser

    shop, _account = make_shop(now=timezone.now())
    owner = make_user(username="csp-owner", password=PASSWORD)
    MerchantUser.objects.create(user=owner, merchant=shop.merchant, role="OWNER")
    page = new_page(locale="en-US")
    refused = _refusals(page)

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "csp-owner")
    page.fill("#id_password", PASSWORD)
    page.click(".auth-card form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/shops/{shop.public_id}/")
    page.wait_for_load_state("networkidle")

    assert page.locator("main").count() == 1
    assert refused == []


def test_the_admin_runs_with_alpine_and_no_inline_script(live_server, new_page):
    get_user_model().objects.create_superuser("csp-ops", "ops@example.com", PASSWORD)
    page = new_page(locale="en-US")
    refused = _refusals(page)

    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=username]", "csp-ops")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_load_state()
    pass_two_factor(page, live_server.url, "csp-ops")
    page.goto(f"{live_server.url}/admin/deposits/account/")
    page.wait_for_load_state("networkidle")

    assert page.evaluate("() => typeof window.Alpine") == "object"  # Unfold's UI came alive
    assert refused == []


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_api_docs_render_under_the_policy(live_server, new_page, path):
    page = new_page(locale="en-US")
    refused = _refusals(page)

    page.goto(live_server.url + path)
    page.get_by_text("Deposit Desk partner API").first.wait_for()

    # Redoc's footer logo on cdn.redoc.ly is refused on purpose (img-src 'self'): that one only.
    assert [r for r in refused if "cdn.redoc.ly" not in r] == []

"""Each dashboard page costs at most QUERY_BUDGET queries, whatever the shop's history: the world
has a ledger, holds, claims in every step, a short shop and an insured shop with advances to
repay (the list of pages is tests/dashboard_pages.PAGES: a new page is checked by adding it
there). A page that grows a query per row fails here before it grows slow in production
(bench/dashboard_bench.py measures the time). The session's and the user's reads count too.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from tests.dashboard_pages import PAGES, DashboardPage, build_world

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 12


@pytest.fixture
def world(settings):  # type: ignore[no-untyped-def]
    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    return build_world(now=timezone.now())


@pytest.mark.parametrize("dashboard_page", PAGES, ids=[page.name for page in PAGES])
def test_each_dashboard_page_stays_within_the_query_budget(
    client, world, dashboard_page: DashboardPage, django_assert_max_num_queries
):
    if dashboard_page.name != "login":
        client.force_login(world.owner)
    path = dashboard_page.path(world)
    if dashboard_page.form is not None:
        response = client.post(path, dashboard_page.form)
        assert response.status_code == 302, "the form leads on to the page"
        path = response["Location"]
    client.get(path)  # session and caches warm: the budget is for a page as visited again

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(path)

    assert response.status_code == 200
    assert response.context["user"].is_authenticated == (dashboard_page.name != "login")

"""Reads a page folds into fewer queries (the query budget, test_query_budget.py) answer what the
separate reads answered: the shortfall banner read with the page's cases, the eligibility facts
read once for every offer, the navigation's counts read in one query."""

from __future__ import annotations

import pytest
from django.utils import timezone

from claims import selectors as claims_selectors
from deposits.selectors import shop_with_account_for_merchant
from deposits.services.shortfall import (
    shortfall_banner,
    shortfall_cases_for_page,
    shortfall_latest_deduction,
    shortfall_open_case,
)
from insurance import selectors as insurance_selectors
from shops.selectors import shops_for_user_switcher, unread_notices_count
from tests.dashboard_pages import build_world

pytestmark = pytest.mark.django_db

DEDUCTION_FIELDS = ("amount_minor", "currency", "occurred_at", "reason", "kind", "reference")


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    return build_world(now=timezone.now())


def test_the_short_shops_banner_read_with_the_page_says_what_the_separate_reads_say(world):
    shop = shop_with_account_for_merchant(world.home.merchant, world.home.public_id)
    account = shop.deposit_account
    alone = shortfall_banner(shop=world.home, account=account)

    cases = shortfall_cases_for_page(shop, shop.deposit_account, shop.all_restrictions)
    folded = shortfall_banner(shop=shop, account=account, case=cases.open)

    assert cases.open is not None and cases.open.pk == shortfall_open_case(world.home).pk
    assert [r.pk for r in folded["restricted"]] == [r.pk for r in alone["restricted"]]
    assert folded["restricted"], "the short shop is restricted by its case"
    assert folded["next"] == alone["next"] and folded["later"] == alone["later"]
    separate = shortfall_latest_deduction(shortfall_open_case(world.home))
    read_with_case = folded["latest_deduction"]
    assert separate is not None and read_with_case is not None
    for name in DEDUCTION_FIELDS:
        assert getattr(read_with_case, name) == getattr(separate, name), name


def test_a_shop_without_a_case_has_no_banner_from_the_pages_read(world):
    shop = shop_with_account_for_merchant(world.flagship.merchant, world.flagship.public_id)

    cases = shortfall_cases_for_page(shop, shop.deposit_account, shop.all_restrictions)

    assert cases.open is None and cases.by_ref == {}
    assert shortfall_banner(shop=shop, account=shop.deposit_account, case=cases.open) is None


@pytest.mark.parametrize("name", ["flagship", "home", "kids", "insured"])
def test_every_offer_judged_on_facts_read_once_gets_the_verdict_of_its_own_reads(world, name):
    now = timezone.now()
    bare = getattr(world, name)
    page_shop = insurance_selectors.shop_for_insurance_page(bare.merchant, bare.public_id, now)
    reads = insurance_selectors.eligibility_reads(page_shop, now)

    for product in insurance_selectors.products_in_force(now):
        own = insurance_selectors.quote_preview(shop=bare, product=product, now=now)
        shared = insurance_selectors.quote_preview(
            shop=page_shop, product=product, now=now, reads=reads
        )
        assert shared == own


def test_the_facts_read_once_see_the_short_shops_case_and_the_insured_shops_overdue_advance(world):
    now = timezone.now()

    def reads(shop):  # type: ignore[no-untyped-def]
        page_shop = insurance_selectors.shop_for_insurance_page(shop.merchant, shop.public_id, now)
        return insurance_selectors.eligibility_reads(page_shop, now)

    assert reads(world.home).open_shortfall_case is True
    assert reads(world.flagship).open_shortfall_case is False
    assert reads(world.insured).overdue_recoveries == 1
    assert reads(world.flagship).overdue_recoveries == 0


def test_the_navigations_one_query_counts_what_the_badges_and_the_panel_counted(world):
    now = timezone.now()
    user_id = world.owner.pk

    navigation = claims_selectors.dashboard_navigation(user_id=user_id, now=now)

    assert navigation.claims_waiting == claims_selectors.claims_waiting_count(
        now=now, user_id=user_id
    )
    assert navigation.claims_waiting > 0
    assert navigation.unread_notices == unread_notices_count(user_id)
    assert [s.pk for s in navigation.shops] == [s.pk for s in shops_for_user_switcher(user_id)]
    for shop in navigation.shops:
        summary = claims_selectors.claims_summary_for_shop(shop.pk, now=now)
        assert (shop.claims_total, shop.claims_waiting) == (summary["total"], summary["waiting"])
    assert navigation.shop(world.flagship.pk).claims_total == 4

"""The merchant's home with several shops: one row per shop (status, requirement, cash,
guarantee, shortfall, open claims, insurance cover), sortable by each column, in a constant
number of queries; amounts only for members who may see them; and the shop switcher on every
shop page, which offers the merchant's own shops only."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from claims import services as claim_services
from insurance.models import InsuranceProduct
from partners.models import Partner
from partners.services import partner_get_or_create
from shops.models import MerchantUser, Shop
from tests.factories import fund, make_member, make_shop
from tests.insurance.advance_helpers import make_active_policy
from tests.partners.api_client import make_api

pytestmark = pytest.mark.django_db
YUAN = 100
_refs = itertools.count(1)


def _file_claim(partner, shop):
    at = timezone.now()
    claim, _ = claim_services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=f"HOME-{next(_refs)}",
        reason="LATE_SHIPMENT",
        order_ref=f"ORD-{next(_refs)}",
        order_paid_minor=100_000,
        currency="CNY",
        order_paid_at=at - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref=f"buyer-{next(_refs)}",
        description="Paid three days ago and still not shipped.",
        now=at,
    )
    return claim


@pytest.fixture
def merchant_shops():
    """One merchant with three shops: an insured apparel flagship (cash 10,000 + policy), a
    franchise with 60,000 cash and two open claims (one more settled), and an onboarding
    flagship that has paid nothing. Plus another merchant's shop."""
    api = make_api("Tmall")
    insurer = make_api("PICC")
    Partner.objects.filter(pk=insurer.partner.pk).update(kind=Partner.Kind.INSURER)
    InsuranceProduct.objects.update(insurer=insurer.partner)
    now = timezone.now()
    policy = make_active_policy(api, insurer, now, cash_minor=10_000 * YUAN)
    insured = policy.shop
    Shop.objects.filter(pk=insured.pk).update(name="Beta Insured")
    email = insured.merchant.contact_email
    partner = api.partner
    claimed, account = make_shop(
        now=now, shop_type="FRANCHISE", merchant_email=email, partner_id=partner.pk
    )
    Shop.objects.filter(pk=claimed.pk).update(name="Alpha Claims")
    fund(account, 60_000 * YUAN, now=now)
    for _ in range(2):
        _file_claim(partner, claimed)
    claim_services.claim_settle(claim=_file_claim(partner, claimed), now=now)
    onboarding, _ = make_shop(now=now, merchant_email=email)
    Shop.objects.filter(pk=onboarding.pk).update(name="Gamma Onboarding")
    other, _ = make_shop(now=now, merchant_email="someone@else.example")
    shops = {s.name: s for s in Shop.objects.filter(merchant=insured.merchant)}
    return shops, other, policy


def _names(response) -> list[str]:
    return [row.shop.name for row in response.context["rows"]]


def _log_in(client, shop, **member):
    client.force_login(make_member(shop, **member))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


class TestMerchantHome:
    def test_one_row_per_shop_with_every_column(self, client, merchant_shops):
        shops, other, policy = merchant_shops
        response = _log_in(client, shops["Alpha Claims"]).get(reverse("dashboard:home"))

        rows = {row.shop.name: row for row in response.context["rows"]}
        assert set(rows) == {"Alpha Claims", "Beta Insured", "Gamma Onboarding"}
        insured, claimed, onboarding = (
            rows["Beta Insured"],
            rows["Alpha Claims"],
            rows["Gamma Onboarding"],
        )
        assert (insured.deposit.required_minor, insured.deposit.available_minor) == (
            50_000 * YUAN,
            10_000 * YUAN,
        )
        assert insured.deposit.guaranteed_minor == 50_000 * YUAN
        assert insured.deposit.shortfall_minor == 0
        assert insured.policy_ends_on == policy.ends_on
        assert claimed.deposit.required_minor == 100_000 * YUAN  # 专营店, R
        assert claimed.deposit.shortfall_minor == 40_000 * YUAN
        assert claimed.open_claims == 2  # the settled one is finished
        assert claimed.policy_ends_on is None
        assert onboarding.deposit.shortfall_minor == 50_000 * YUAN
        text = response.content.decode()
        assert "Insurance until" in text and policy.ends_on.isoformat() in text
        assert other.name not in text

    @pytest.mark.parametrize(
        ("sort", "order"),
        [
            ("name", ["Alpha Claims", "Beta Insured", "Gamma Onboarding"]),
            ("-name", ["Gamma Onboarding", "Beta Insured", "Alpha Claims"]),
            ("-required", ["Alpha Claims", "Beta Insured", "Gamma Onboarding"]),
            ("cash", ["Gamma Onboarding", "Beta Insured", "Alpha Claims"]),
            ("-shortfall", ["Gamma Onboarding", "Alpha Claims", "Beta Insured"]),
            ("-guarantee", ["Beta Insured", "Alpha Claims", "Gamma Onboarding"]),
            ("-claims", ["Alpha Claims", "Beta Insured", "Gamma Onboarding"]),
            # without a policy: last, in either direction
            ("policy", ["Beta Insured", "Alpha Claims", "Gamma Onboarding"]),
            ("-policy", ["Beta Insured", "Alpha Claims", "Gamma Onboarding"]),
            # both unpaid shops are still onboarding (ties by name); the insured one is live
            ("status", ["Alpha Claims", "Gamma Onboarding", "Beta Insured"]),
        ],
    )
    def test_sorts_by_each_column(self, client, merchant_shops, sort, order):
        shops, _, _ = merchant_shops
        response = _log_in(client, shops["Alpha Claims"]).get(
            reverse("dashboard:home"), {"sort": sort}
        )

        assert _names(response) == order

    def test_a_heading_link_sorts_and_a_second_click_reverses(self, client, merchant_shops):
        shops, _, _ = merchant_shops
        client = _log_in(client, shops["Alpha Claims"])

        first = client.get(reverse("dashboard:home")).content.decode()
        assert 'href="?sort=-shortfall"' in first  # amounts: largest first
        again = client.get(reverse("dashboard:home"), {"sort": "-shortfall"}).content.decode()
        assert 'aria-sort="descending"' in again and 'href="?sort=shortfall"' in again

    def test_staff_without_the_deposit_permission_see_no_amounts_and_cannot_sort_by_them(
        self, client, merchant_shops
    ):
        shops, _, _ = merchant_shops
        client = _log_in(client, shops["Alpha Claims"], role=MerchantUser.Role.VIEWER)

        response = client.get(reverse("dashboard:home"), {"sort": "-required"})

        text = response.content.decode()
        assert "¥" not in text
        assert [h["key"] for h in response.context["headers"]] == [
            "name",
            "status",
            "claims",
            "policy",
        ]
        assert _names(response) == ["Alpha Claims", "Beta Insured", "Gamma Onboarding"]

    def test_staff_with_the_deposit_permission_see_the_amounts(self, client, merchant_shops):
        shops, _, _ = merchant_shops
        client = _log_in(client, shops["Alpha Claims"], role=MerchantUser.Role.FINANCE)

        response = client.get(reverse("dashboard:home"), {"sort": "-required"})

        assert "¥ 100,000.00" in response.content.decode()
        assert _names(response)[0] == "Alpha Claims"


@pytest.mark.parametrize("count", [1, 20])
def test_the_home_costs_the_same_queries_for_1_and_20_shops(
    client, django_assert_max_num_queries, count
):
    partner = partner_get_or_create(name="Tmall")
    now = timezone.now()
    first, account = make_shop(now=now, partner_id=partner.pk)
    fund(account, 50_000 * YUAN, now=now)
    for _ in range(count - 1):
        shop, account = make_shop(
            now=now, merchant_email=first.merchant.contact_email, partner_id=partner.pk
        )
        _file_claim(partner, shop)
    client = _log_in(client, first)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("dashboard:home"), {"sort": "-shortfall"})

    assert len(response.context["rows"]) == count


class TestShopSwitcher:
    def _switcher_hrefs(self, html: str) -> list[str]:
        nav = re.search(r'<nav class="shop-switcher".*?</nav>', html, re.S)
        assert nav, "no shop switcher on the page"
        return re.findall(r'href="([^"]+)"', nav.group(0))

    def test_keeps_the_kind_of_page_and_offers_only_the_merchants_shops(
        self, client, merchant_shops
    ):
        shops, other, _ = merchant_shops
        client = _log_in(client, shops["Alpha Claims"])

        html = client.get(
            reverse("dashboard:withdraw", args=[shops["Alpha Claims"].public_id])
        ).content.decode()

        assert sorted(self._switcher_hrefs(html)) == sorted(
            reverse("dashboard:withdraw", args=[s.public_id]) for s in shops.values()
        )
        assert str(other.public_id) not in html

    def test_on_the_what_if_and_insurance_pages_too(self, client, merchant_shops):
        shops, _, _ = merchant_shops
        client = _log_in(client, shops["Alpha Claims"])

        for name in ("insurance:what_if", "insurance:shop_insurance", "dashboard:shop_detail"):
            html = client.get(reverse(name, args=[shops["Beta Insured"].public_id])).content
            assert reverse(name, args=[shops["Gamma Onboarding"].public_id]) in (
                self._switcher_hrefs(html.decode())
            )

    def test_another_merchants_shop_is_not_found_on_any_shop_page(self, client, merchant_shops):
        shops, other, _ = merchant_shops
        client = _log_in(client, shops["Alpha Claims"])

        for name in ("dashboard:shop_detail", "dashboard:withdraw", "insurance:what_if"):
            assert client.get(reverse(name, args=[other.public_id])).status_code == 404

    def test_the_shop_page_stays_within_its_query_budget(
        self, client, merchant_shops, django_assert_max_num_queries
    ):
        shops, _, _ = merchant_shops
        client = _log_in(client, shops["Alpha Claims"])

        with django_assert_max_num_queries(12):
            client.get(reverse("insurance:what_if", args=[shops["Alpha Claims"].public_id]))

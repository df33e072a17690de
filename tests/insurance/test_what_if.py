"""Why the requirement is what it is (the rule rows, in words), and "what if" a shop added a
category or a brand or changed its type: the new requirement, the cash needed today by the
coverage rule, the insurance alternative when eligible, and nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deposits import services
from deposits.models import (
    Account,
    Entry,
    GmvRequirementSchedule,
    LedgerTransaction,
    RuleChange,
    ShopRequirementOverride,
)
from deposits.selectors import requirement_why
from insurance.models import InsuranceApplication, InsuranceQuote
from shops.models import Category, MerchantUser, Shop
from tests.factories import fund, make_shop, make_user
from tests.pages import page_html

pytestmark = pytest.mark.django_db
YUAN = 100


def _log_in(client, shop, *, role="OWNER", language="en"):
    user = make_user()
    MerchantUser.objects.create(user=user, merchant=shop.merchant, role=role)
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def what_if_url(shop) -> str:
    return reverse("insurance:what_if", args=[shop.public_id])


def _row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Account,
            Entry,
            LedgerTransaction,
            RuleChange,
            ShopRequirementOverride,
            InsuranceQuote,
            InsuranceApplication,
            Shop,
        )
    } | {"shop_categories": Shop.categories.through.objects.count()}


class TestWhyRows:
    @pytest.mark.parametrize(
        ("shop_type", "trademark", "categories", "amounts_yuan", "required_yuan"),
        [
            # standard row, then each category, then the highest (which is the requirement)
            ("FLAGSHIP", "REGISTERED", ("apparel",), [50_000, 50_000, 50_000], 50_000),
            ("FRANCHISE", "APPLIED", ("digital_3c",), [150_000, 150_000, 150_000], 150_000),
            (
                "FLAGSHIP",
                "REGISTERED",
                ("services", "apparel"),
                [50_000, 50_000, 10_000, 50_000],  # apparel, then services (by code)
                50_000,
            ),
            (
                "FLAGSHIP",
                "REGISTERED",
                ("apparel", "health_supplements"),
                [50_000, 50_000, 300_000, 300_000],
                300_000,
            ),
        ],
    )
    def test_the_rows_add_up_to_the_computed_requirement(
        self, now, shop_type, trademark, categories, amounts_yuan, required_yuan
    ):
        _, account = make_shop(
            now=now, shop_type=shop_type, trademark_status=trademark, categories=categories
        )

        steps = requirement_why(account.requirement_basis, currency="CNY", language="en")

        assert [s.amount_minor for s in steps] == [y * YUAN for y in amounts_yuan]
        assert steps[-1].amount_minor == account.required_minor == required_yuan * YUAN

    def test_names_the_shop_type_the_trademark_and_the_deciding_category_in_both_languages(
        self, now
    ):
        _, account = make_shop(now=now, categories=("apparel", "health_supplements"))

        en = [
            s.text
            for s in requirement_why(account.requirement_basis, currency="CNY", language="en")
        ]
        zh = [
            s.text
            for s in requirement_why(account.requirement_basis, currency="CNY", language="zh-hans")
        ]

        assert en[0] == (
            "Flagship store (旗舰店) with all trademarks registered (R): ¥ 50,000.00 "
            "(the standard table)."
        )
        assert "“Health supplements” has the highest amount" in en[-1]
        assert "¥ 300,000.00" in en[-1]
        assert "保健食品" in zh[-1] and "¥ 300,000.00" in zh[-1]

    def test_a_sales_tier_and_then_an_override_are_the_last_rows(self, now):
        shop, account = make_shop(now=now)
        GmvRequirementSchedule.objects.create(
            tiers=[{"min_gmv_minor": 1_000_000 * YUAN, "amount_minor": 80_000 * YUAN}],
            effective_from=now - timedelta(days=1),
        )
        services.account_set_recent_gmv(account_id=account.pk, gmv_minor=2_000_000 * YUAN, now=now)
        account.refresh_from_db()
        gmv_steps = requirement_why(account.requirement_basis, currency="CNY", language="en")
        assert gmv_steps[-1].kind == "gmv"
        assert gmv_steps[-1].amount_minor == account.required_minor == 80_000 * YUAN

        services.override_set(
            shop=shop,
            amount_minor=65_432_10,
            reason="Pilot programme",
            actor=make_user(staff=True),
            now=now,
        )
        account.refresh_from_db()
        steps = requirement_why(account.requirement_basis, currency="CNY", language="en")

        assert [s.kind for s in steps] == ["base", "category", "highest", "gmv", "override"]
        assert steps[-1].amount_minor == account.required_minor == 65_432_10
        assert "Pilot programme" in steps[-1].text

    def test_the_shop_page_shows_the_rows(self, client, now):
        shop, _ = make_shop(now=now, categories=("apparel", "jewelry"))
        html = _log_in(client, shop).get(reverse("dashboard:shop_detail", args=[shop.public_id]))

        text = page_html(html)
        assert "Flagship store (旗舰店) with all trademarks registered (R): ¥ 50,000.00" in text
        assert "Category “Jewellery and accessories”" in text
        assert what_if_url(shop) in text


class TestWhatIf:
    def test_adding_a_category_with_its_own_amount_raises_the_cash_needed_today(self, client, now):
        shop, account = make_shop(now=timezone.now(), categories=("apparel",))
        fund(account, 60_000 * YUAN, now=timezone.now())
        client = _log_in(client, shop)
        before = _row_counts()

        response = client.get(what_if_url(shop), {"category": "health_supplements"})

        assert response.status_code == 200
        result = response.context["result"]
        assert result.required_minor == 300_000 * YUAN
        # 300,000 required − 60,000 cash (no guarantee, no hold, no debt)
        assert result.cash_needed_today_minor == 240_000 * YUAN
        # health supplements are not an insurance category: no insured alternative
        assert response.context["insurance"]["preview"].eligible is False
        assert "Health supplements" in " ".join(response.context["insurance"]["reasons"])
        assert _row_counts() == before  # trying writes nothing

    def test_adding_an_eligible_category_offers_insurance_for_the_new_requirement(
        self, client, now
    ):
        shop, account = make_shop(now=timezone.now(), categories=("apparel",))
        fund(account, 50_000 * YUAN, now=timezone.now())
        before = _row_counts()

        response = _log_in(client, shop).get(
            what_if_url(shop), {"category": "jewelry", "brand_trademark": "APPLIED"}
        )

        result = response.context["result"]
        insurance = response.context["insurance"]
        # A brand whose trademark is only applied for makes the flagship a TM shop: 100,000
        assert result.trademark_status == "APPLIED"
        assert result.required_minor == 100_000 * YUAN
        assert result.cash_needed_today_minor == 50_000 * YUAN
        assert insurance["preview"].eligible is True
        assert insurance["preview"].coverage_minor == 100_000 * YUAN
        assert insurance["preview"].premium_minor == 3_000 * YUAN  # 3% a year
        assert insurance["cash_needed_insured_minor"] == 0
        assert "¥ 3,000.00" in page_html(response)
        assert _row_counts() == before

    def test_changing_the_shop_type_counts_holds_and_debt_as_the_coverage_rule_does(
        self, client, now
    ):
        shop, account = make_shop(now=timezone.now(), categories=("apparel",))
        fund(account, 70_000 * YUAN, now=timezone.now())
        services.hold_place(
            account_id=account.pk,
            amount_minor=15_000 * YUAN,
            currency="CNY",
            reason="Claim",
            reference="claim-1",
            idempotency_key="hold-1",
            expires_at=timezone.now() + timedelta(days=10),
            now=timezone.now(),
        )
        before = _row_counts()

        response = _log_in(client, shop, language="zh-hans").get(
            what_if_url(shop), {"shop_type": "FRANCHISE"}
        )

        result = response.context["result"]
        assert result.required_minor == 100_000 * YUAN  # 专营店, R
        # 100,000 − (70,000 posted − 15,000 held) = 45,000
        assert result.cash_needed_today_minor == 45_000 * YUAN
        assert result.cash_needed_today_minor == result.after.shortfall_minor
        assert "专营店" in page_html(response)
        assert _row_counts() == before

    def test_a_category_closed_to_shops_is_refused_naming_the_field(self, client, now):
        Category.objects.create(
            code="fireworks", name_en="Fireworks", name_zh="烟花", is_active=False
        )
        shop, _ = make_shop(now=now)

        response = _log_in(client, shop).get(what_if_url(shop), {"category": "fireworks"})

        assert response.status_code == 400
        assert response.context["result"] is None
        text = page_html(response)
        assert "Category to add: “Fireworks” is not open to shops" in text

    def test_a_category_already_held_and_an_empty_try_are_explained(self, client, now):
        shop, _ = make_shop(now=now, categories=("apparel",))
        client = _log_in(client, shop)

        held = page_html(client.get(what_if_url(shop), {"category": "apparel"}))
        empty = page_html(client.get(what_if_url(shop), {"shop_type": "FLAGSHIP"}))

        assert "Category to add: your shop already sells in “Apparel”." in held
        assert "Choose a category to add, a brand to add or another shop type" in empty

    def test_another_merchants_shop_is_not_found(self, client, now):
        mine, _ = make_shop(now=now)
        theirs, _ = make_shop(now=now)

        response = _log_in(client, mine).get(what_if_url(theirs), {"category": "jewelry"})

        assert response.status_code == 404

    def test_staff_without_the_deposit_permission_see_no_amounts(self, client, now):
        shop, _ = make_shop(now=now)

        response = _log_in(client, shop, role="VIEWER").get(
            what_if_url(shop), {"category": "health_supplements"}
        )

        assert response.status_code == 403
        assert "¥" not in page_html(response)

    def test_the_page_stays_within_its_query_budget(
        self, client, now, django_assert_max_num_queries
    ):
        shop, account = make_shop(now=timezone.now(), categories=("apparel",))
        fund(account, 50_000 * YUAN, now=timezone.now())
        client = _log_in(client, shop)

        with django_assert_max_num_queries(12):
            response = client.get(what_if_url(shop), {"category": "jewelry"})

        assert response.context["insurance"] is not None

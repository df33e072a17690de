"""The deposit requirement: the default table, category overrides, GMV tiers, per-shop overrides,
and rule changes that never rewrite history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.errors import InvalidInput
from deposits import services
from deposits.models import (
    BaseRequirementRule,
    CategoryRequirementRule,
    GmvRequirementSchedule,
    RuleChange,
)
from shops.models import Category
from tests.factories import make_shop, make_user

pytestmark = pytest.mark.django_db

YUAN = 100


@pytest.mark.parametrize(
    ("shop_type", "trademark", "categories", "yuan"),
    [
        ("FLAGSHIP", "REGISTERED", ("apparel",), 50_000),
        ("FLAGSHIP", "APPLIED", ("apparel",), 100_000),
        ("SPECIALTY", "REGISTERED", ("food",), 50_000),
        ("SPECIALTY", "APPLIED", ("food",), 100_000),
        ("FRANCHISE", "REGISTERED", ("digital_3c",), 100_000),
        ("FRANCHISE", "APPLIED", ("digital_3c",), 150_000),
        ("FLAGSHIP", "REGISTERED", ("services",), 10_000),
        ("SPECIALTY", "APPLIED", ("education",), 10_000),
        (
            "FRANCHISE",
            "REGISTERED",
            ("services",),
            100_000,
        ),  # the 10,000 tier is flagship/specialty
        ("FRANCHISE", "APPLIED", ("books_media",), 100_000),
        ("FLAGSHIP", "REGISTERED", ("health_supplements",), 300_000),
        ("FLAGSHIP", "REGISTERED", ("services", "apparel"), 50_000),  # highest, not the sum
        ("FLAGSHIP", "REGISTERED", ("apparel", "medical_services", "food"), 300_000),
    ],
)
def test_default_rules_give_the_domain_amounts(now, shop_type, trademark, categories, yuan):
    _, account = make_shop(
        now=now, shop_type=shop_type, trademark_status=trademark, categories=categories
    )

    assert account.required_minor == yuan * YUAN


class TestRequirementBasis:
    def test_names_the_category_that_sets_the_amount(self, now):
        _, account = make_shop(now=now, categories=("apparel", "health_supplements"))

        basis = account.requirement_basis
        assert basis["deciding"] == "category"
        assert basis["deciding_category"] == "health_supplements"
        assert {line["category"]: line["amount_minor"] for line in basis["categories"]} == {
            "apparel": 5_000_000,
            "health_supplements": 30_000_000,
        }

    def test_says_when_the_base_table_decides(self, now):
        _, account = make_shop(now=now, categories=("apparel",))

        assert account.requirement_basis["deciding"] == "base"


class TestRuleChanges:
    def test_a_newer_base_rule_applies_from_its_date_and_the_old_one_stays(self, now):
        _, account = make_shop(now=now)
        ops = make_user(staff=True)
        BaseRequirementRule.objects.create(
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            amount_minor=80_000 * YUAN,
            effective_from=now + timedelta(days=1),
            created_by=ops,
        )

        before = services.requirements_recompute(now=now)
        account.refresh_from_db()
        assert account.required_minor == 50_000 * YUAN
        services.requirements_recompute(
            now=now + timedelta(days=1), actor=ops, description="Flagship tier raised"
        )

        account.refresh_from_db()
        assert account.required_minor == 80_000 * YUAN
        assert before[1] == 0
        assert (
            BaseRequirementRule.objects.filter(
                shop_type="FLAGSHIP", trademark_status="REGISTERED"
            ).count()
            == 2
        )
        change = RuleChange.objects.get()
        assert (change.actor, change.shops_changed) == (ops, 1)

    def test_a_category_rule_for_one_shop_type_beats_one_for_any_type(self, now):
        apparel = Category.objects.get(code="apparel")
        CategoryRequirementRule.objects.create(
            category=apparel, amount_minor=70_000 * YUAN, effective_from=now - timedelta(days=1)
        )
        CategoryRequirementRule.objects.create(
            category=apparel,
            shop_type="FLAGSHIP",
            amount_minor=60_000 * YUAN,
            effective_from=now - timedelta(days=1),
        )

        _, flagship = make_shop(now=now, shop_type="FLAGSHIP")
        _, franchise = make_shop(now=now, shop_type="FRANCHISE")

        assert flagship.required_minor == 60_000 * YUAN
        assert franchise.required_minor == 70_000 * YUAN

    def test_recompute_touches_only_accounts_whose_requirement_changed(self, now):
        make_shop(now=now, categories=("apparel",))
        make_shop(now=now, categories=("food",))

        recomputed, changed = services.requirements_recompute(now=now)

        assert (recomputed, changed) == (2, 0)


class TestGmvTiers:
    def test_a_shop_whose_sales_reach_a_tier_keeps_at_least_that_tier(self, now):
        GmvRequirementSchedule.objects.create(
            enabled=True,
            effective_from=now - timedelta(days=1),
            tiers=[{"min_gmv_minor": 1_000_000 * YUAN, "amount_minor": 200_000 * YUAN}],
        )
        _, account = make_shop(now=now)

        services.account_set_recent_gmv(account_id=account.pk, gmv_minor=1_500_000 * YUAN, now=now)

        account.refresh_from_db()
        assert account.required_minor == 200_000 * YUAN
        assert account.requirement_basis["deciding"] == "gmv"

    def test_a_disabled_schedule_changes_nothing(self, now):
        GmvRequirementSchedule.objects.create(
            enabled=False,
            effective_from=now - timedelta(days=1),
            tiers=[{"min_gmv_minor": 0, "amount_minor": 900_000 * YUAN}],
        )
        _, account = make_shop(now=now)

        services.account_set_recent_gmv(account_id=account.pk, gmv_minor=5 * YUAN, now=now)

        account.refresh_from_db()
        assert account.required_minor == 50_000 * YUAN


class TestShopOverrides:
    def test_an_override_replaces_the_computed_amount_until_it_expires(self, now):
        shop, account = make_shop(now=now)
        ops = make_user(staff=True)

        services.override_set(
            shop=shop,
            amount_minor=20_000 * YUAN,
            reason="Pilot programme",
            actor=ops,
            now=now,
            expires_at=now + timedelta(days=30),
        )
        account.refresh_from_db()
        assert account.required_minor == 20_000 * YUAN
        assert account.requirement_basis["override_reason"] == "Pilot programme"

        services.requirements_recompute(now=now + timedelta(days=31))
        account.refresh_from_db()
        assert account.required_minor == 50_000 * YUAN

    def test_an_override_needs_a_reason(self, now):
        shop, _ = make_shop(now=now)

        with pytest.raises(InvalidInput) as error:
            services.override_set(
                shop=shop, amount_minor=1, reason=" ", actor=make_user(staff=True), now=now
            )

        assert "reason" in error.value.fields


class TestClosedShops:
    def test_a_confirmed_exit_drops_the_requirement_to_zero(self, now):
        shop, account = make_shop(now=now)

        services.shop_exit_confirm(shop=shop, now=now)

        account.refresh_from_db()
        assert account.required_minor == 0 and account.requirement_basis["deciding"] == "closed"


class TestPeriodicRecompute:
    def test_a_rule_that_came_into_force_applies_without_anyone_acting(self, now):
        from django.utils import timezone

        from deposits.tasks import recompute_requirements

        _, account = make_shop(now=timezone.now())
        BaseRequirementRule.objects.create(
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            amount_minor=60_000 * YUAN,
            effective_from=timezone.now() - timedelta(seconds=1),
        )

        outcome = recompute_requirements()

        account.refresh_from_db()
        assert account.required_minor == 60_000 * YUAN
        assert outcome["changed"] == 1
        assert RuleChange.objects.get().description.startswith("Periodic recompute")

    def test_a_pass_that_changes_nothing_leaves_no_audit_row(self, now):
        from deposits.tasks import recompute_requirements

        make_shop(now=now)

        recompute_requirements()

        assert not RuleChange.objects.exists()


class TestShopRegistrationAcrossPartners:
    def test_a_partner_cannot_add_a_shop_to_another_partners_merchant(self, now):
        """The other partner's registration makes a merchant of its own (merchants are scoped
        by partner); the answer tells it nothing about the first (tests/security)."""
        from partners.models import Partner

        tmall, jd = Partner.objects.create(name="Tmall"), Partner.objects.create(name="JD")
        shop, _ = make_shop(now=now, partner_id=tmall.pk, merchant_email="owner@yunjin.example")

        theirs, _ = make_shop(now=now, partner_id=jd.pk, merchant_email="owner@yunjin.example")

        assert theirs.merchant_id != shop.merchant_id
        assert shop.merchant.shops.count() == 1

    def test_the_same_partner_adds_more_shops_to_its_merchant(self, now):
        from partners.models import Partner

        tmall = Partner.objects.create(name="Tmall")
        first, _ = make_shop(now=now, partner_id=tmall.pk, merchant_email="owner@yunjin.example")

        second, _ = make_shop(now=now, partner_id=tmall.pk, merchant_email="OWNER@yunjin.example")

        assert second.merchant_id == first.merchant_id

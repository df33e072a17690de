"""insurance.services and the command: eligibility end to end, expiry of unpaid acceptances."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from common.errors import QuoteExpired
from insurance import services
from insurance.domain.eligibility import ReasonCode, Rules, ShopFacts, eligibility_check
from insurance.models import InsuranceApplication, InsuranceProduct, Policy, TrendTrack
from partners.models import ApiKey, Event
from shops.models import Shop
from tests.partners.api_client import register_shop

SEVEN = frozenset(
    {"apparel", "jewelry", "shoes_bags", "home_furnishing", "digital_3c", "home_appliances", "food"}
)


class TestEligibility:
    def facts(self, **overrides):
        values = dict(
            today=date(2026, 11, 2),
            registered_on=date(2025, 1, 1),
            category_codes=frozenset({"apparel"}),
            requirement_minor=5_000_000,
        )
        values.update(overrides)
        return ShopFacts(**values)

    def test_every_failed_condition_is_a_reason(self):
        verdict = eligibility_check(
            facts=self.facts(
                closed=True,
                requirement_minor=0,
                category_codes=frozenset({"apparel", "services"}),
                counterfeit_awards_recent=1,
            ),
            rules=Rules(category_codes=SEVEN),
        )

        assert [r.code for r in verdict.reasons] == [
            ReasonCode.SHOP_CLOSED,
            ReasonCode.NO_REQUIREMENT,
            ReasonCode.CATEGORY_NOT_ELIGIBLE,
            ReasonCode.NOT_NEW_OR_TREND_OR_STABLE,
            ReasonCode.COUNTERFEIT_AWARD_RECENT,
        ]
        assert all(r.detail_en and r.detail_zh for r in verdict.reasons)

    def test_a_stable_shop_qualifies_but_not_with_a_debt(self):
        stable = self.facts(live_since=date(2025, 2, 1))

        assert eligibility_check(facts=stable, rules=Rules(category_codes=SEVEN)).eligible
        indebted = self.facts(live_since=date(2025, 2, 1), debt_minor=1)
        verdict = eligibility_check(facts=indebted, rules=Rules(category_codes=SEVEN))
        assert [r.code for r in verdict.reasons] == [ReasonCode.NOT_NEW_OR_TREND_OR_STABLE]
        assert "debt" in verdict.reasons[0].detail_en

    def test_a_trend_track_or_a_new_registration_qualifies(self):
        rules = Rules(category_codes=SEVEN)

        assert eligibility_check(facts=self.facts(on_trend_track=True), rules=rules).eligible
        assert eligibility_check(facts=self.facts(registered_on=date(2026, 8, 5)), rules=rules)
        old = eligibility_check(facts=self.facts(registered_on=date(2026, 8, 4)), rules=rules)
        assert not old.eligible  # 90 days ago: no longer new


@pytest.mark.django_db
class TestQuoteAndApplication:
    def test_a_trend_track_makes_an_old_shop_eligible(self, api, now):
        shop = Shop.objects.get(public_id=register_shop(api)["id"])
        Shop.objects.filter(pk=shop.pk).update(created_at=now - timedelta(days=400))
        shop.refresh_from_db()

        before = services.quote_create(shop=shop, now=now)
        TrendTrack.objects.create(shop=shop, reason="国潮 trend", since=date(2026, 10, 1))
        after = services.quote_create(shop=shop, now=now)

        assert [r["code"] for r in before.reasons] == ["not_new_or_trend_or_stable"]
        assert after.eligible

    def test_an_expired_quote_is_refused(self, api, now):
        shop = Shop.objects.get(public_id=register_shop(api)["id"])
        quote = services.quote_create(shop=shop, now=now)

        with pytest.raises(QuoteExpired):
            services.application_submit(shop=shop, quote=quote, now=now + timedelta(days=7))

        assert not InsuranceApplication.objects.exists()


@pytest.mark.django_db
class TestApplicationsExpireDue:
    def test_an_unpaid_acceptance_expires_after_seven_days_once(self, api, insurer_api, now):
        shop = Shop.objects.get(public_id=register_shop(api)["id"])
        quote = services.quote_create(shop=shop, now=now)
        application = services.application_submit(shop=shop, quote=quote, now=now)
        services.application_accept(
            application=application,
            insurer_id=insurer_api.partner.pk,
            policy_number="P-1",
            now=now,
        )

        early = services.applications_expire_due(now=now + timedelta(days=6))
        due = services.applications_expire_due(now=now + timedelta(days=7))
        again = services.applications_expire_due(now=now + timedelta(days=8))

        assert (early, due, again) == (0, 1, 0)
        assert Policy.objects.get().status == "CANCELLED"
        assert InsuranceApplication.objects.get().status == "EXPIRED"
        assert Event.objects.filter(type="insurance.application_expired").count() == 2


@pytest.mark.django_db
class TestCreatePartnerKeyInsurer:
    def test_makes_the_partner_the_products_insurer_and_prints_the_key_last(self):
        out = io.StringIO()

        call_command("create_partner_key", "PICC", "--insurer", "perf-bond", stdout=out)

        lines = out.getvalue().strip().splitlines()
        key = ApiKey.objects.get(partner__name="PICC")
        assert lines[-1].startswith(key.prefix)
        product = InsuranceProduct.objects.get(code="perf-bond")
        assert product.insurer.name == "PICC"
        assert product.insurer.kind == "INSURER"
        assert InsuranceProduct.objects.get(code="perf-bond-half").insurer is None

    def test_an_unknown_product_is_an_error_and_prints_no_key(self):
        out = io.StringIO()

        with pytest.raises(Exception, match="no-such"):
            call_command("create_partner_key", "PICC", "--insurer", "no-such", stdout=out)

        assert out.getvalue() == ""


@pytest.mark.django_db
class TestAdmin:
    def test_every_insurance_screen_opens(self, admin_client, api, insurer_api, now):
        shop = Shop.objects.get(public_id=register_shop(api)["id"])
        application = services.application_submit(
            shop=shop, quote=services.quote_create(shop=shop, now=now), now=now
        )
        services.application_accept(
            application=application, insurer_id=insurer_api.partner.pk, policy_number="P", now=now
        )

        for name in (
            "insuranceproduct",
            "benefitwindow",
            "trendtrack",
            "insurancequote",
            "insuranceapplication",
            "policy",
        ):
            assert admin_client.get(f"/admin/insurance/{name}/").status_code == 200, name
        product = InsuranceProduct.objects.get(code="perf-bond")
        assert (
            admin_client.get(f"/admin/insurance/insuranceproduct/{product.pk}/change/").status_code
            == 200
        )

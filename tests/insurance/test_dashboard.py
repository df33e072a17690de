"""The merchant's insurance page: eligibility with every reason, the quote and its arithmetic,
the comparison with cash, and applying (one quote, one application, PRG)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from insurance.models import InsuranceApplication, InsuranceQuote
from shops.models import MerchantUser
from tests.factories import fund, make_shop, make_user

pytestmark = pytest.mark.django_db
YUAN = 100


@pytest.fixture
def owner_of(client):
    def log_in(shop, *, role: str = "OWNER"):
        user = make_user()
        MerchantUser.objects.create(user=user, merchant=shop.merchant, role=role)
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return log_in


def page_url(shop) -> str:
    return reverse("insurance:shop_insurance", args=[shop.public_id])


class TestInsurancePage:
    def test_an_eligible_shop_sees_the_quote_and_the_cash_it_would_free(self, owner_of):
        shop, account = make_shop(now=timezone.now())
        fund(account, 53_000 * YUAN, now=timezone.now())

        response = owner_of(shop).get(page_url(shop))

        text = response.content.decode()
        assert response.status_code == 200
        assert "¥ 1,500.00" in text  # 50,000 at 3% for 365 days
        assert "ACT/365" in text
        assert "¥ 53,000.00" in text  # all the cash, once the policy covers the requirement
        assert "now, without insurance: ¥ 3,000.00" in text
        assert not InsuranceQuote.objects.exists()  # looking writes nothing

    def test_an_ineligible_shop_sees_every_reason_in_its_language(self, owner_of):
        shop, _ = make_shop(now=timezone.now(), categories=("health_supplements",))
        client = owner_of(shop)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

        response = client.get(page_url(shop))

        text = response.content.decode()
        assert "暂不可投保" in text
        assert "health_supplements" in text
        assert "申请投保" not in text

    def test_applying_makes_one_quote_and_one_application_then_redirects(self, owner_of):
        shop, _ = make_shop(now=timezone.now())
        client = owner_of(shop)
        apply = reverse("insurance:shop_insurance_apply", args=[shop.public_id])

        first = client.post(apply, {"product": "perf-bond"})
        second = client.post(apply, {"product": "perf-bond"}, follow=True)

        assert first.status_code == 302
        assert InsuranceApplication.objects.filter(shop=shop, status="SUBMITTED").count() == 1
        assert "already has an application or a policy in progress" in second.content.decode()

    def test_staff_without_the_deposit_permission_cannot_see_or_apply(self, owner_of):
        shop, _ = make_shop(now=timezone.now())
        client = owner_of(shop, role="STAFF")

        looked = client.get(page_url(shop))
        applied = client.post(
            reverse("insurance:shop_insurance_apply", args=[shop.public_id]),
            {"product": "perf-bond"},
        )

        assert (looked.status_code, applied.status_code) == (403, 403)
        assert not InsuranceApplication.objects.exists()

    def test_another_merchants_shop_is_not_found(self, owner_of):
        mine, _ = make_shop(now=timezone.now())
        theirs, _ = make_shop(now=timezone.now())

        response = owner_of(mine).get(page_url(theirs))

        assert response.status_code == 404

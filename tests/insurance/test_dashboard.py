"""The merchant's insurance page: eligibility with every reason, the quote and its arithmetic,
the comparison with cash, and applying (one quote, one application, PRG)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from insurance import services
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


class TestPolicyOnThePage:
    """From an accepted application to a policy in force and back to cash, in the dashboard."""

    @pytest.fixture
    def accepted(self, api, insurer_api, owner_of, settings):
        from tests.insurance.test_policies import accepted_policy

        settings.DEPOSIT_SANDBOX_PAYMENTS = True
        policy = accepted_policy(api, insurer_api, at=timezone.now())
        return policy, owner_of(policy.shop)

    def test_the_sandbox_pays_the_premium_once_and_the_policy_stands_in_for_the_deposit(
        self, accepted
    ):
        from deposits.selectors import account_for_shop, deposit_summary

        policy, client = accepted
        page = client.get(page_url(policy.shop)).content.decode()
        key = page.split('name="form_key" value="', 1)[1].split('"', 1)[0]
        pay = reverse(
            "insurance:policy_pay_sandbox", args=[policy.shop.public_id, policy.public_id]
        )

        client.post(pay, {"form_key": key})
        client.post(pay, {"form_key": key})  # a double submit

        policy.refresh_from_db()
        assert (policy.status, policy.premium_paid_minor) == ("ACTIVE", policy.premium_minor)
        assert policy.premium_payments.count() == 1
        deposit = deposit_summary(account_for_shop(policy.shop))
        assert deposit.guaranteed_minor == policy.coverage_minor
        assert deposit.shortfall_minor == 0

    def test_the_e_policy_downloads_as_issued_and_surrender_says_why_not(self, accepted):
        from tests.insurance.test_policies import pay

        policy, client = accepted
        pay(policy, policy.premium_minor, now=timezone.now())
        services.policy_document_issue(policy_id=policy.pk, now=timezone.now())

        download = client.get(
            reverse("insurance:policy_document", args=[policy.shop.public_id, policy.public_id])
        )
        page = client.get(page_url(policy.shop)).content.decode()

        assert download["Content-Type"] == "application/pdf"
        assert download.content.startswith(b"%PDF")
        assert download["X-Content-SHA256"] == policy.document.sha256
        # No cash behind the requirement: giving the policy up would open a shortfall.
        assert "Without the policy the cash deposit would not meet the requirement" in page
        assert "Surrender and get the refund" not in page

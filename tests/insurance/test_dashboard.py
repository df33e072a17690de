"""The merchant's insurance page: eligibility with every reason, the quote and its arithmetic,
the comparison with cash, and applying (one quote, one application, PRG)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from insurance import services
from insurance.models import InsuranceApplication, InsuranceQuote, Recovery, RecoveryRepayment
from shops.models import MerchantUser, ShopRestriction
from tests.factories import fund, make_shop, make_user
from tests.pages import page_html, without_money_spans

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

        text = page_html(response)
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

        text = page_html(response)
        assert "暂不可投保" in text
        assert "保健食品" in text and "health_supplements" not in text
        assert "申请投保" not in text

    def test_applying_makes_one_quote_and_one_application_then_redirects(self, owner_of):
        shop, _ = make_shop(now=timezone.now())
        client = owner_of(shop)
        apply = reverse("insurance:shop_insurance_apply", args=[shop.public_id])

        first = client.post(apply, {"product": "perf-bond"})
        second = client.post(apply, {"product": "perf-bond"}, follow=True)

        assert first.status_code == 302
        assert InsuranceApplication.objects.filter(shop=shop, status="SUBMITTED").count() == 1
        assert "already has an application or a policy in progress" in page_html(second)

    def test_staff_without_the_deposit_permission_cannot_see_or_apply(self, owner_of):
        shop, _ = make_shop(now=timezone.now())
        client = owner_of(shop, role="VIEWER")

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
        page = page_html(client.get(page_url(policy.shop)))
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
        page = page_html(client.get(page_url(policy.shop)))

        assert download["Content-Type"] == "application/pdf"
        assert download.content.startswith(b"%PDF")
        assert download["X-Content-SHA256"] == policy.document.sha256
        # No cash behind the requirement: giving the policy up would open a shortfall.
        assert "Without the policy the cash deposit would not meet the requirement" in page
        assert "Surrender and get the refund" not in page


class TestAdvancesAndRecoveriesOnThePage:
    """The insurer's advances: listed per policy with the due time, repaid in the sandbox once,
    announced by banners on the shop page and the insurance page."""

    @pytest.fixture
    def insured(self, api, insurer_api, owner_of, settings):
        from tests.insurance.advance_helpers import make_active_policy

        settings.DEPOSIT_SANDBOX_PAYMENTS = True
        policy = make_active_policy(api, insurer_api, timezone.now())
        return policy, owner_of(policy.shop)

    @staticmethod
    def advance(policy, *, days_ago: float, amount: int = 1_200 * YUAN, claim: str = "CLM-7"):
        from datetime import timedelta

        services.policy_advance(
            policy_id=policy.pk,
            claim_ref=claim,
            amount_minor=amount,
            currency="CNY",
            idempotency_key=f"adv-{claim}",
            now=timezone.now() - timedelta(days=days_ago),
        )
        return Recovery.objects.get(advance__claim_ref=claim)

    @staticmethod
    def overdue(recovery):
        assert services.recovery_process(recovery_id=recovery.pk, now=timezone.now()) == "overdue"
        recovery.refresh_from_db()
        return recovery

    @staticmethod
    def repay_url(recovery):
        return reverse(
            "insurance:recovery_repay_sandbox", args=[recovery.shop.public_id, recovery.public_id]
        )

    def test_the_page_lists_an_advance_with_its_due_time_and_time_left(self, insured):
        policy, client = insured
        recovery = self.advance(policy, days_ago=0)

        text = page_html(client.get(page_url(policy.shop)))

        assert f'id="recovery-{recovery.public_id}"' in text
        assert "CLM-7" in text
        assert "¥ 1,200.00" in text
        assert f"{recovery.due_on:%Y-%m-%d} 23:59" in text  # the due day's last minute, local
        assert "2\xa0weeks" in text and " left<" in text  # timeuntil
        assert ">Open<" in text
        assert "Repay (sandbox)" in text and 'name="amount"' in text
        assert 'value="1200.00"' in text  # the outstanding amount, filled in
        assert "Repaying restores the policy's limit" in text
        assert "recovery-banner" not in text  # 15 days ahead: no banner yet

    def test_in_chinese_the_status_and_the_time_left_are_chinese(self, insured):
        policy, client = insured
        self.overdue(self.advance(policy, days_ago=20))
        self.advance(policy, days_ago=0, claim="CLM-8", amount=100 * YUAN)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

        text = page_html(client.get(page_url(policy.shop)))

        assert "已逾期" in text and "待还款" in text
        assert "剩余 2\xa0周" in text  # Django's timeuntil, in Chinese
        assert "还款（沙箱）" in text and 'value="100.00"' in text
        for english in ("Overdue", "Open<", "left", "Repay", "Advanced", "supervised"):
            assert english not in text

    def test_a_double_submit_repays_once_and_lifts_the_supervision(self, insured):
        from deposits.selectors import account_for_shop, deposit_summary

        policy, client = insured
        status_before = policy.shop.status
        recovery = self.overdue(self.advance(policy, days_ago=20))
        supervised = ShopRestriction.objects.filter(shop=policy.shop, lifted_at__isnull=True)
        assert supervised.get().kind == "SUPERVISED"
        page = page_html(client.get(page_url(policy.shop)))
        key = page.split('name="form_key" value="', 1)[1].split('"', 1)[0]

        first = client.post(self.repay_url(recovery), {"form_key": key})
        second = client.post(self.repay_url(recovery), {"form_key": key}, follow=True)

        recovery.refresh_from_db()
        policy.shop.refresh_from_db()
        assert first.status_code == 302
        assert (recovery.status, recovery.outstanding_minor) == ("REPAID", 0)
        assert RecoveryRepayment.objects.filter(recovery=recovery).count() == 1
        assert RecoveryRepayment.objects.get().payment_ref == f"sandbox-repay:{key}"
        assert policy.shop.status == status_before
        assert not supervised.exists()
        assert deposit_summary(account_for_shop(policy.shop)).guaranteed_minor == (
            policy.coverage_minor
        )
        assert "Nothing is owed on this advance any more." in page_html(second)

    def test_banners_appear_when_due_soon_and_overdue_and_go_once_repaid(self, insured):
        policy, client = insured
        shop_url = reverse("dashboard:shop_detail", args=[policy.shop.public_id])
        soon = self.advance(policy, days_ago=13, claim="CLM-SOON", amount=300 * YUAN)
        late = self.overdue(self.advance(policy, days_ago=20, claim="CLM-LATE"))

        for url in (shop_url, page_url(policy.shop)):
            text = page_html(client.get(url))
            when = f"{soon.due_on:%Y-%m-%d} 23:59"
            assert f"Repay ¥ 300.00 to the insurer by {when}." in text
            assert "The shop is supervised until ¥ 1,200.00 is repaid to the insurer." in text
            assert page_url(policy.shop) in text
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        html = client.get(shop_url).content.decode()
        text = without_money_spans(html)
        assert "保险公司" in text and "¥ 300.00" in text
        # On a phone "¥" must not end a line with "300.00" on the next: each amount is one
        # span the stylesheet keeps on one line (common.templatetags.money).
        banners = html[html.index("recovery-banner") :]
        assert '<span class="money">¥ 300.00</span>' in banners
        assert '<span class="money">¥ 1,200.00</span>' in banners

        for recovery in (soon, late):
            services.recovery_repay(
                recovery_id=recovery.pk,
                amount_minor=recovery.outstanding_minor,
                currency="CNY",
                payment_ref=f"pay-{recovery.pk}",
                now=timezone.now(),
            )
        for url in (shop_url, page_url(policy.shop)):
            assert "recovery-banner" not in page_html(client.get(url))

    def test_staff_and_another_merchant_cannot_repay(self, insured, client):
        policy, _ = insured
        recovery = self.advance(policy, days_ago=0)
        staff = make_user()
        MerchantUser.objects.create(user=staff, merchant=policy.shop.merchant, role="VIEWER")
        client.force_login(staff)
        by_staff = client.post(self.repay_url(recovery), {"form_key": "a" * 32})
        stranger_shop, _ = make_shop(now=timezone.now())
        stranger = make_user()
        MerchantUser.objects.create(user=stranger, merchant=stranger_shop.merchant, role="OWNER")
        client.force_login(stranger)
        by_stranger = client.post(self.repay_url(recovery), {"form_key": "a" * 32})
        # Their own shop in the address, someone else's recovery: not found either.
        crossed = client.post(
            reverse(
                "insurance:recovery_repay_sandbox",
                args=[stranger_shop.public_id, recovery.public_id],
            ),
            {"form_key": "a" * 32},
        )

        assert (by_staff.status_code, by_stranger.status_code, crossed.status_code) == (
            403,
            404,
            404,
        )
        assert not RecoveryRepayment.objects.exists()

    def test_without_sandbox_payments_there_is_no_repay_button(self, insured, settings):
        policy, client = insured
        recovery = self.advance(policy, days_ago=0)
        settings.DEPOSIT_SANDBOX_PAYMENTS = False

        text = page_html(client.get(page_url(policy.shop)))
        posted = client.post(self.repay_url(recovery), {"form_key": "a" * 32})

        assert "(sandbox)" not in text
        assert "Repay through your payment provider." in text
        assert posted.status_code == 404

    def test_staff_see_the_banner_on_the_shop_page_without_amounts(self, insured, client):
        policy, _ = insured
        self.overdue(self.advance(policy, days_ago=20))
        staff = make_user()
        MerchantUser.objects.create(user=staff, merchant=policy.shop.merchant, role="VIEWER")
        client.force_login(staff)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

        text = client.get(
            reverse("dashboard:shop_detail", args=[policy.shop.public_id])
        ).content.decode()

        banner = text.split('class="banner bad recovery-banner', 1)[1].split("</section>", 1)[0]
        assert "The shop is supervised until an advance of the insurer is repaid." in banner
        assert "¥" not in banner  # as the shortfall banner: amounts are for the deposit managers
        assert page_url(policy.shop) not in text  # staff cannot open it (403)


class TestOffersOnceInsured:
    def test_a_shop_with_a_policy_in_progress_is_not_offered_another(
        self, api, insurer_api, owner_of
    ):
        from tests.insurance.test_policies import accepted_policy

        policy = accepted_policy(api, insurer_api, at=timezone.now())

        page = page_html(owner_of(policy.shop).get(page_url(policy.shop)))

        assert policy.policy_number in page
        assert 'id="offer-perf-bond"' not in page

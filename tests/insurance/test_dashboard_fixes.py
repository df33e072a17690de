"""The insurance page's smaller promises: a partial repayment with the amount checked and the
field named in both languages, a recovery past its due time shown as overdue (never "0 minutes
left"), one banner on a supervised shop, and category names (not codes) in eligibility reasons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from insurance import services
from insurance.models import Recovery, RecoveryRepayment
from shops.models import MerchantUser
from tests.factories import make_shop, make_user
from tests.pages import page_html

pytestmark = pytest.mark.django_db
YUAN = 100


@pytest.fixture
def insured(api, insurer_api, client, settings):
    from tests.insurance.advance_helpers import make_active_policy

    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    policy = make_active_policy(api, insurer_api, timezone.now())
    user = make_user()
    MerchantUser.objects.create(user=user, merchant=policy.shop.merchant, role="OWNER")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return policy, client


def advance(policy, *, days_ago: float, amount: int = 1_200 * YUAN, claim: str = "CLM-7"):
    services.policy_advance(
        policy_id=policy.pk,
        claim_ref=claim,
        amount_minor=amount,
        currency="CNY",
        idempotency_key=f"adv-{claim}",
        now=timezone.now() - timedelta(days=days_ago),
    )
    return Recovery.objects.get(advance__claim_ref=claim)


def page(client, shop) -> str:
    return page_html(client.get(reverse("insurance:shop_insurance", args=[shop.public_id])))


def repay(client, recovery, amount: str | None, *, key: str = "b" * 32):
    body = {"form_key": key} | ({"amount": amount} if amount is not None else {})
    url = reverse(
        "insurance:recovery_repay_sandbox", args=[recovery.shop.public_id, recovery.public_id]
    )
    return page_html(client.post(url, body, follow=True))


class TestPartialRepayment:
    def test_part_of_the_outstanding_amount_is_repaid_and_the_rest_still_owed(self, insured):
        policy, client = insured
        recovery = advance(policy, days_ago=1)

        text = repay(client, recovery, "200.50")

        recovery.refresh_from_db()
        assert (recovery.status, recovery.outstanding_minor) == ("OPEN", 99_950)
        assert "Repaid ¥ 200.50: ¥ 999.50 is still owed on this advance" in text
        assert 'value="999.50"' in text  # the field now offers what is left

    @pytest.mark.parametrize(
        ("typed", "english", "chinese"),
        [
            ("abc", "Amount: Enter a number such as 1000.00.", "金额："),
            ("0", "Amount: Enter an amount above zero.", "金额："),
            ("1.001", "Amount: At most 2 decimal places for CNY.", "金额："),
            ("1200.01", "Amount: At most ¥ 1,200.00, what is still owed", "金额："),
        ],
    )
    def test_a_bad_amount_names_the_field_and_repays_nothing(
        self, insured, typed, english, chinese
    ):
        policy, client = insured
        recovery = advance(policy, days_ago=1)

        text = repay(client, recovery, typed)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        text_zh = repay(client, recovery, typed, key="c" * 32)

        assert english in text
        assert chinese in text_zh and "Amount" not in text_zh
        assert not RecoveryRepayment.objects.exists()


class TestBanners:
    def test_past_its_due_time_but_not_yet_marked_it_reads_overdue_not_minutes_left(self, insured):
        policy, client = insured
        recovery = advance(policy, days_ago=16)  # due_at passed; the scan has not run
        assert recovery.status == "OPEN"
        shop_url = reverse("dashboard:shop_detail", args=[policy.shop.public_id])

        for text in (page(client, policy.shop), page_html(client.get(shop_url))):
            assert "recovery-banner past-due" in text
            assert "Overdue: ¥ 1,200.00 was due to the insurer by" in text
            assert "minutes left" not in text and " left)" not in text
        assert "overdue since" in page(client, policy.shop)

    def test_a_supervised_shop_shows_one_banner_the_one_that_says_what_lifts_it(self, insured):
        policy, client = insured
        recovery = advance(policy, days_ago=20)
        assert services.recovery_process(recovery_id=recovery.pk, now=timezone.now()) == "overdue"
        policy.shop.refresh_from_db()
        assert policy.shop.status == "FROZEN"

        text = page_html(client.get(reverse("dashboard:shop_detail", args=[policy.shop.public_id])))

        assert "The shop is supervised until ¥ 1,200.00 is repaid to the insurer." in text
        assert "This shop is frozen: it cannot sell" not in text


def test_eligibility_reasons_name_categories_in_the_readers_language(client):
    shop, _ = make_shop(now=timezone.now(), categories=("health_supplements",))
    user = make_user()
    MerchantUser.objects.create(user=user, merchant=shop.merchant, role="OWNER")
    client.force_login(user)

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = page(client, shop)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    chinese = page(client, shop)

    assert "Categories not covered by this product: Health supplements." in english
    assert "以下类目不在本险种承保范围内：保健食品。" in chinese
    assert "health_supplements" not in english.split("Why not:", 1)[1].split("</ul>", 1)[0]


class TestRefusalsSpeakThePagesLanguage:
    def test_an_unforeseen_refusal_says_what_failed_and_the_code_never_the_apis_english(
        self, insured, monkeypatch
    ):
        from common.errors import DomainError

        class Unforeseen(DomainError):
            code = "something_new"
            default_detail = "Internal English detail for the API."

        def refuse(**kwargs):
            raise Unforeseen()

        policy, client = insured
        recovery = advance(policy, days_ago=1)
        monkeypatch.setattr(services, "recovery_repay", refuse)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

        body = repay(client, recovery, "12.00")

        assert "垫付款未能偿还。请刷新页面后重试" in body
        assert "something_new" in body
        assert "Internal English detail" not in body

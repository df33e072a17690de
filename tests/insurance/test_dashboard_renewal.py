"""The renewal panel of the merchant's insurance page: from 30 days before the end, the next
term's quote and "renew", then the premium in the sandbox like the first one, then "renewed
until"."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from deposits.selectors import account_for_shop, deposit_summary
from insurance import selectors, services
from insurance.models import InsuranceApplication, Policy
from shops.models import MerchantUser
from tests.factories import make_user
from tests.pages import page_html

pytestmark = pytest.mark.django_db


def ending_in(policy: Policy, days: int) -> Policy:
    today = selectors.market_date(timezone.now())
    Policy.objects.filter(pk=policy.pk).update(
        starts_on=today + timedelta(days=days - 364), ends_on=today + timedelta(days=days)
    )
    return Policy.objects.select_related("shop__merchant", "product", "insurer").get(pk=policy.pk)


@pytest.fixture
def insured(api, insurer_api, client, settings, pinned_clock):
    """The page counts the days left from its own clock: pinned, so the test's "today" (ending_in)
    and the page's are one day even at Shanghai midnight."""
    from tests.insurance.advance_helpers import make_active_policy

    settings.DEPOSIT_SANDBOX_PAYMENTS = True
    policy = make_active_policy(api, insurer_api, timezone.now(), cash_minor=0)
    user = make_user()
    MerchantUser.objects.create(user=user, merchant=policy.shop.merchant, role="OWNER")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return policy, client


def page(client, shop) -> str:
    response = client.get(reverse("insurance:shop_insurance", args=[shop.public_id]))
    assert response.status_code == 200
    return page_html(response)


def form_key(html: str) -> str:
    return html.split('name="form_key" value="', 1)[1].split('"', 1)[0]


def test_no_renewal_panel_until_30_days_before_the_end(insured):
    policy, client = insured
    policy = ending_in(policy, 31)

    assert 'id="renewal-' not in page(client, policy.shop)
    ending_in(policy, 30)
    assert f'id="renewal-{policy.public_id}"' in page(client, policy.shop)


def test_renew_then_pay_in_the_sandbox_then_renewed_until(insured, insurer_api):
    policy, client = insured
    policy = ending_in(policy, 10)
    next_day = policy.ends_on + timedelta(days=1)
    shop = policy.shop

    html = page(client, shop)
    assert "10 days left" in html
    assert f"{next_day:%Y-%m-%d} – {next_day + timedelta(days=364):%Y-%m-%d}" in html
    assert "Renew — premium ¥ 1,500.00" in html
    # Without renewal the whole requirement falls back on cash, from the day after the end.
    assert f"the deposit must be ¥ 50,000.00 in cash from {next_day:%Y-%m-%d}" in html

    renew = reverse("insurance:policy_renew", args=[shop.public_id, policy.public_id])
    first = client.post(renew)
    again = client.post(renew, follow=True)
    assert first.status_code == 302
    application = InsuranceApplication.objects.get(quote__renews=policy)
    assert application.status == "SUBMITTED"
    assert "A renewal of this policy is already under way." in page_html(again)
    assert "Renewal sent to the insurer on" in page(client, shop)

    services.application_accept(
        application=application,
        insurer_id=insurer_api.partner.pk,
        policy_number=f"PICC-R-{uuid.uuid4().hex[:8]}",
        now=timezone.now(),
    )
    renewal = Policy.objects.get(application=application)
    html = page(client, shop)
    assert "Pay the renewal premium ¥ 1,500.00 (sandbox)" in html
    # The renewal is paid from the panel, not offered as a second policy card.
    assert f'id="policy-{renewal.public_id}"' not in html

    pay = reverse("insurance:policy_pay_sandbox", args=[shop.public_id, renewal.public_id])
    paid = client.post(pay, {"form_key": form_key(html)}, follow=True)

    renewal.refresh_from_db()
    assert (renewal.status, renewal.starts_on) == ("ACTIVE", next_day)
    text = page_html(paid)
    assert f"renewed until {renewal.ends_on:%Y-%m-%d}" in text
    assert f"Renewed until {renewal.ends_on:%Y-%m-%d}" in text
    # The deposit still counts one policy's coverage, not two.
    assert deposit_summary(account_for_shop(shop)).guaranteed_minor == 5_000_000


def test_the_panel_in_chinese(insured):
    policy, client = insured
    policy = ending_in(policy, 7)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

    html = page(client, policy.shop)

    assert "续保" in html
    assert "Renew —" not in html

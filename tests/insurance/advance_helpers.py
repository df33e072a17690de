"""An ACTIVE policy without the premium path (another slice builds it): the policy's fields set
directly, and its guarantee registered through deposits.services.guarantee_register, the way
activation will."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.db.models import F

from deposits import services as deposit_services
from deposits.models import Account
from insurance import services
from insurance.models import Policy, PolicyStatus
from insurance.selectors import market_date
from shops.models import Shop
from tests.partners.api_client import Api, funded_shop, register_shop


def make_active_policy(
    api: Api, insurer_api: Api, now: datetime, *, cash_minor: int = 5_000_000
) -> Policy:
    """A live apparel flagship (requirement 50,000.00) insured by perf-bond (coverage 50,000.00),
    with `cash_minor` of cash besides (0: insured only, still onboarding)."""
    body = funded_shop(api, cash_minor) if cash_minor else register_shop(api)
    shop = Shop.objects.get(public_id=body["id"])
    quote = services.quote_create(shop=shop, now=now)
    application = services.application_submit(shop=shop, quote=quote, now=now)
    services.application_accept(
        application=application,
        insurer_id=insurer_api.partner.pk,
        policy_number=f"PICC-{uuid.uuid4().hex[:10]}",
        now=now,
    )
    policy = Policy.objects.get(application=application)
    # The term's dates are the marketplace's calendar, as activation writes them: `now.date()`
    # (UTC) is the day before from 16:00 UTC (midnight in Shanghai) on.
    today = market_date(now)
    Policy.objects.filter(pk=policy.pk).update(
        status=PolicyStatus.ACTIVE,
        premium_paid_minor=F("premium_minor"),
        starts_on=today,
        ends_on=today + timedelta(days=364),
    )
    deposit_services.guarantee_register(
        account_id=Account.objects.get(shop=shop).pk,
        amount_minor=policy.coverage_minor,
        currency=policy.currency,
        valid_from=now,
        source_kind="INSURANCE_POLICY",
        source_ref=f"insurance_policy:{policy.public_id}",
        now=now,
    )
    return Policy.objects.select_related("shop__merchant", "product", "insurer").get(pk=policy.pk)

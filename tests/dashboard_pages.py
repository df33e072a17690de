"""Every merchant dashboard page, in one list, and the merchant whose data fills them.

Three checks walk this list: the query budget (tests/dashboard/test_query_budget.py), axe-core in
both languages (tests/e2e/test_dashboard_accessibility.py) and the p95 benchmark
(bench/dashboard_bench.py). A new page is one `DashboardPage(...)` line in PAGES; if it needs
data the world does not have yet, add it to `build_world` (and to the benchmark's world when the
page's cost grows with the shop's history).

Data is arranged through services only (architecture.md), as a merchant would have it after a
few weeks: a live flagship with a ledger, a hold, claims in three steps and an insurance offer; a
short, restricted shop with its shortfall notice; an onboarding shop still to pay; an insured
shop with an overdue and an open advance to repay.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.urls import reverse

YUAN = 100
OWNER = ("yunjin", "yunjin-Passw0rd-2026")
COMPANY = "杭州云锦服饰有限公司"


@dataclass
class World:
    owner: Any
    partner: Any
    flagship: Any  # live, funded 3,000.00 above its requirement, a hold, claims
    home: Any  # short 12,000.00 and restricted
    kids: Any  # onboarding, 70,000.00 still to pay
    insured: Any  # insured by PICC; advances of 1,200.00 (overdue) and 300.00 (open)
    claims: dict[str, Any] = field(default_factory=dict)  # due, fresh, review, decided
    policy: Any = None

    def pk(self, name: str) -> str:
        return str(getattr(self, name).public_id)


@dataclass(frozen=True)
class DashboardPage:
    """A page as the merchant reaches it. `submit`: the page comes after submitting the form on
    `path` (the sandbox confirmation): `form` is what the test client posts, `submit` the button
    the browser clicks."""

    name: str
    path: Callable[[World], str]
    form: dict[str, str] | None = None
    submit: str | None = None


PAGES: list[DashboardPage] = [
    DashboardPage("login", lambda w: reverse("login")),
    DashboardPage("home", lambda w: reverse("dashboard:home")),
    DashboardPage("notices", lambda w: reverse("dashboard:notices")),
    DashboardPage("shop", lambda w: reverse("dashboard:shop_detail", args=[w.pk("flagship")])),
    DashboardPage("shop-short", lambda w: reverse("dashboard:shop_detail", args=[w.pk("home")])),
    DashboardPage(
        "shop-onboarding", lambda w: reverse("dashboard:shop_detail", args=[w.pk("kids")])
    ),
    DashboardPage(
        "shop-insured", lambda w: reverse("dashboard:shop_detail", args=[w.pk("insured")])
    ),
    DashboardPage("withdraw", lambda w: reverse("dashboard:withdraw", args=[w.pk("flagship")])),
    DashboardPage("top-up", lambda w: reverse("dashboard:sandbox_top_up", args=[w.pk("home")])),
    DashboardPage(
        "top-up-confirm",
        lambda w: reverse("dashboard:sandbox_top_up", args=[w.pk("home")]),
        form={"amount": "12000.00"},
        submit="form:has(#id_amount) button[type=submit]",
    ),
    DashboardPage(
        "insurance", lambda w: reverse("insurance:shop_insurance", args=[w.pk("flagship")])
    ),
    DashboardPage(
        "insurance-policy",
        lambda w: reverse("insurance:shop_insurance", args=[w.pk("insured")]),
    ),
    DashboardPage("claims", lambda w: reverse("claims:list")),
    DashboardPage(
        "claim-due", lambda w: reverse("claims:detail", args=[w.claims["due"].public_id])
    ),
    DashboardPage(
        "claim-review", lambda w: reverse("claims:detail", args=[w.claims["review"].public_id])
    ),
    DashboardPage(
        "claim-decided",
        lambda w: reverse("claims:detail", args=[w.claims["decided"].public_id]),
    ),
    DashboardPage(
        "claim-evidence",
        lambda w: reverse("claims:evidence", args=[w.claims["review"].public_id]),
    ),
    DashboardPage("statement", lambda w: reverse("dashboard:statement", args=[w.pk("flagship")])),
    DashboardPage("coverage", lambda w: reverse("dashboard:coverage", args=[w.pk("flagship")])),
    DashboardPage(
        "what-if",
        lambda w: reverse("insurance:what_if", args=[w.pk("flagship")]) + "?category=jewelry",
    ),
    DashboardPage("team", lambda w: reverse("team:page")),
    DashboardPage("notice-preferences", lambda w: reverse("notices:preferences")),
]


def page_named(name: str) -> DashboardPage:
    return next(page for page in PAGES if page.name == name)


# --- The world -------------------------------------------------------------------------------


def _register(name, ref, shop_type, trademark, categories, now, partner):  # type: ignore[no-untyped-def]
    from deposits import services

    return services.shop_register(
        merchant_email="owner@yunjin.example",
        merchant_name=COMPANY,
        name=name,
        shop_type=shop_type,
        trademark_status=trademark,
        category_codes=categories,
        external_ref=ref,
        partner_id=partner.pk,
        now=now,
    )


def _top_up(account, amount_minor: int, key: str, now) -> None:  # type: ignore[no-untyped-def]
    from deposits import services

    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency="CNY",
        payment_ref=f"PAY-{key}",
        idempotency_key=f"world-{key}",
        now=now,
    )


def file_claim(partner, shop, ref, reason, paid, at, story, **kw):  # type: ignore[no-untyped-def]
    from claims import services as claims

    claim, _ = claims.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=ref,
        reason=reason,
        order_ref=f"ORDER-{ref}",
        order_paid_minor=paid,
        currency="CNY",
        order_paid_at=at - timedelta(days=3),
        order_shipped_at=None,
        consumer_ref=f"buyer-{ref}",
        description=story,
        now=at,
        **kw,
    )
    return claim


def insure(shop, *, partner, now: datetime):  # type: ignore[no-untyped-def]
    """An application the insurer accepted: the policy waits for its premium."""
    from insurance import services as insurance
    from insurance.models import InsuranceProduct, Policy
    from partners.models import Partner

    Partner.objects.filter(pk=partner.pk).update(kind=Partner.Kind.INSURER)
    InsuranceProduct.objects.update(insurer=partner)
    quote = insurance.quote_create(shop=shop, now=now)
    application = insurance.application_submit(shop=shop, quote=quote, now=now)
    insurance.application_accept(
        application=application,
        insurer_id=partner.pk,
        policy_number=f"PICC-{uuid.uuid4().hex[:10]}",
        now=now,
    )
    return Policy.objects.get(application=application)


def build_world(*, now: datetime) -> World:
    from django.contrib.auth import get_user_model
    from django.db.models import F

    from claims import services as claims
    from deposits import services
    from deposits.models import Account
    from insurance import services as insurance
    from insurance.models import Policy
    from insurance.selectors import market_date
    from partners.services import partner_get_or_create
    from shops.models import MerchantUser

    tmall = partner_get_or_create(name="Tmall")
    picc = partner_get_or_create(name="PICC")
    flagship, account = _register(
        "云锦服饰旗舰店", "yj-flagship", "FLAGSHIP", "REGISTERED", ["apparel"], now, tmall
    )
    _top_up(account, 53_000 * YUAN, "flagship-1", now - timedelta(days=30))
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=150 * YUAN,
        currency="CNY",
        reason="延迟发货赔付",
        reference="ORDER-20261101-0042",
        idempotency_key="world-deduct-1",
        now=now - timedelta(days=20),
    )
    _top_up(account, 150 * YUAN, "flagship-2", now - timedelta(days=19))

    opened = now - timedelta(hours=73)
    home, home_account = _register(
        "云锦家居专营店", "yj-home", "FRANCHISE", "REGISTERED", ["home_furnishing"], now, tmall
    )
    _top_up(home_account, 100_000 * YUAN, "home-1", now - timedelta(days=60))
    services.deposit_deduct(
        account_id=home_account.pk,
        amount_minor=12_000 * YUAN,
        currency="CNY",
        reason="虚假发货赔付",
        reference="ORDER-20261110-7781",
        idempotency_key="world-deduct-2",
        now=opened - timedelta(minutes=5),
    )
    services.shortfall_evaluate(shop_id=home.pk, now=opened)
    services.shortfall_evaluate(shop_id=home.pk, now=opened + timedelta(hours=72))

    kids, kids_account = _register(
        "云锦童装专卖店", "yj-kids", "SPECIALTY", "APPLIED", ["apparel", "shoes_bags"], now, tmall
    )
    _top_up(kids_account, 30_000 * YUAN, "kids-1", now - timedelta(days=3))

    insured, insured_account = _register(
        "云锦鞋包旗舰店", "yj-bags", "FLAGSHIP", "REGISTERED", ["shoes_bags"], now, tmall
    )
    _top_up(insured_account, 53_000 * YUAN, "bags-1", now - timedelta(days=40))
    policy = insure(insured, partner=picc, now=now - timedelta(days=31))
    # The term's dates in the marketplace's calendar (Asia/Shanghai), as activation writes them.
    today = market_date(now)
    Policy.objects.filter(pk=policy.pk).update(
        status="ACTIVE",
        premium_paid_minor=F("premium_minor"),
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=334),
    )
    services.guarantee_register(
        account_id=Account.objects.get(shop=insured).pk,
        amount_minor=policy.coverage_minor,
        currency=policy.currency,
        valid_from=now - timedelta(days=30),
        source_kind="INSURANCE_POLICY",
        source_ref=f"insurance_policy:{policy.public_id}",
        now=now - timedelta(days=30),
    )
    for ref, amount, days_ago in (
        ("CLM-2026-0042", 1_200 * YUAN, 20),
        ("CLM-2026-0057", 30_000, 13),
    ):
        insurance.policy_advance(
            policy_id=policy.pk,
            claim_ref=ref,
            amount_minor=amount,
            currency="CNY",
            idempotency_key=f"world-{ref}",
            now=now - timedelta(days=days_ago),
        )
    for recovery_id in insurance.recoveries_due_scan(now=now):
        insurance.recovery_process(recovery_id=recovery_id, now=now)

    h = timedelta(hours=1)
    due = file_claim(
        tmall, flagship, "2207", "LATE_SHIPMENT", 45_900, now - 40 * h, "付款后 48 小时仍未发货。"
    )
    fresh = file_claim(
        tmall,
        flagship,
        "3391",
        "COUNTERFEIT",
        128_000,
        now - 3 * h,
        "吊牌与官网不符，怀疑是仿品。",
        requested_minor=640_000,
    )
    review = file_claim(
        tmall, flagship, "0815", "FALSE_SHIPMENT", 89_900, now - 48 * h, "物流三天没有揽收记录。"
    )
    claims.claim_escalate(claim=review, now=now - 28 * h, note="已发货")
    decided = file_claim(
        tmall, flagship, "4410", "LATE_SHIPMENT", 256_000, now - 240 * h, "第 4 天才发出。"
    )
    decided = claims.claim_escalate(claim=decided, now=now - timedelta(days=8))
    decided = claims.claim_decide(claim=decided, outcome="UPHELD", now=now - timedelta(days=2))

    owner = get_user_model().objects.create_user(OWNER[0], "owner@yunjin.example", OWNER[1])
    MerchantUser.objects.create(user=owner, merchant=flagship.merchant, role="OWNER")
    return World(
        owner=owner,
        partner=tmall,
        flagship=flagship,
        home=home,
        kids=kids,
        insured=insured,
        claims={"due": due, "fresh": fresh, "review": review, "decided": decided},
        policy=policy,
    )

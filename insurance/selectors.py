"""Reads of insurance for the API, ops and the services, with joins planned (no N+1)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from deposits import selectors as deposit_selectors
from insurance.domain.eligibility import Rules, ShopFacts, Window, eligibility_check
from insurance.domain.premium import quote_figures, refund_figure, used_days
from insurance.models import (
    OUTSTANDING_STATUSES,
    Advance,
    BenefitWindow,
    InsuranceApplication,
    InsuranceProduct,
    InsuranceQuote,
    Policy,
    PolicyDocument,
    PolicyStatus,
    PremiumPayment,
    Recovery,
    RecoveryRepayment,
    RecoveryStatus,
    TrendTrack,
)
from shops.models import RestrictionKind, Shop, ShopRestriction

# Dates of a term, a registration, a benefit window: the marketplace's calendar (api-v1.md).
MARKET_TZ = ZoneInfo("Asia/Shanghai")

# A keyword's default meaning "not read by the caller: read it here" (None is a read answer).
_NOT_READ: Any = object()


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, MARKET_TZ).date()


def products_in_force(now: datetime) -> QuerySet[InsuranceProduct]:
    """For each code, the latest active version with effective_from ≤ now (categories and
    insurer read with it)."""
    latest = (
        InsuranceProduct.objects.filter(
            code=OuterRef("code"), is_active=True, effective_from__lte=now
        )
        .order_by("-effective_from", "-id")
        .values("pk")[:1]
    )
    return (
        InsuranceProduct.objects.filter(is_active=True, effective_from__lte=now)
        .annotate(latest_pk=Subquery(latest))
        .filter(pk=F("latest_pk"))
        .select_related("insurer")
        .prefetch_related("categories")
    )


def product_in_force(code: str, now: datetime) -> InsuranceProduct | None:
    return products_in_force(now).filter(code=code).first()


def benefit_windows_open_on(day: date) -> list[BenefitWindow]:
    return list(BenefitWindow.objects.filter(submit_from__lte=day, submit_to__gte=day))


def _trend_tracks_on(day: date) -> QuerySet[TrendTrack]:
    return TrendTrack.objects.filter(Q(until__isnull=True) | Q(until__gte=day), since__lte=day)


def trend_track_on(shop: Shop, day: date) -> bool:
    return _trend_tracks_on(day).filter(shop=shop).exists()


def _count_of(queryset: QuerySet[Any]) -> Subquery:
    """COUNT(*) of `queryset` as a scalar subquery (no GROUP BY: one row, 0 when empty)."""
    return Subquery(
        queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
        output_field=IntegerField(),
    )


def shop_eligibility_annotations(today: date) -> dict[str, Any]:
    """What the eligibility rule asks of a shop's other rows, as annotations of a Shop query:
    the shop's read and these in one statement (EligibilityReads)."""
    shop = OuterRef("pk")
    return {
        "eligibility_on_trend_track": Exists(_trend_tracks_on(today).filter(shop=shop)),
        "eligibility_open_shortfall_case": Exists(deposit_selectors.open_shortfall_cases(shop)),
        "eligibility_overdue_recoveries": _count_of(
            Recovery.objects.filter(shop=shop, status=RecoveryStatus.OVERDUE)
        ),
        # Not the rule's: whether the page offers to apply at all (open_application_or_policy).
        "submitted_application": Exists(
            InsuranceApplication.objects.filter(shop=shop, status="SUBMITTED")
        ),
        "open_policy": Exists(
            Policy.objects.filter(
                shop=shop, status__in=[PolicyStatus.AWAITING_PREMIUM, PolicyStatus.ACTIVE]
            )
        ),
    }


@dataclass(frozen=True)
class EligibilityReads:
    """What the eligibility rule needs to know about a shop on a day, read once: every offer,
    and the renewal's preview, on a page judge the same facts (quote_preview)."""

    today: date
    account: Any  # deposits.models.Account | None
    categories: list[Any]
    windows: list[BenefitWindow]
    on_trend_track: bool
    open_shortfall_case: bool
    overdue_recoveries: int


def eligibility_reads(shop: Shop, now: datetime) -> EligibilityReads:
    """The reads of `quote_preview` for `shop` at `now`. A shop read by shop_for_insurance_page
    carries them already (account joined, categories prefetched, annotations): then only the
    benefit windows are read. Otherwise one query adds the annotations."""
    today = local_date(now)
    annotated = shop
    if not hasattr(shop, "eligibility_on_trend_track"):
        annotated = (
            Shop.objects.filter(pk=shop.pk)
            .annotate(**shop_eligibility_annotations(today))
            .only("pk")
            .get()
        )
    if Shop.deposit_account.is_cached(shop):  # type: ignore[attr-defined]
        account = getattr(shop, "deposit_account", None)
    else:
        account = deposit_selectors.account_for_shop(shop)
    return EligibilityReads(
        today=today,
        account=account,
        categories=list(shop.categories.all()),
        windows=benefit_windows_open_on(today),
        on_trend_track=annotated.eligibility_on_trend_track,  # type: ignore[attr-defined]
        open_shortfall_case=annotated.eligibility_open_shortfall_case,  # type: ignore[attr-defined]
        overdue_recoveries=annotated.eligibility_overdue_recoveries,  # type: ignore[attr-defined]
    )


def shop_for_insurance_page(merchant: Any, public_id: uuid.UUID, now: datetime) -> Shop | None:
    """One of the merchant's shops for its insurance page, or None (another merchant's is not
    found either): its deposit account joined, its categories, whether ops froze it
    (`frozen_now`, withdrawal_position's question) and what eligibility asks of its other rows
    (shop_eligibility_annotations), in two queries."""
    frozen = ShopRestriction.objects.filter(
        shop=OuterRef("pk"), kind=RestrictionKind.FROZEN, lifted_at__isnull=True
    )
    return (
        Shop.objects.filter(merchant=merchant, public_id=public_id)
        .select_related("deposit_account")
        .prefetch_related("categories")
        .annotate(frozen_now=Exists(frozen), **shop_eligibility_annotations(local_date(now)))
        .first()
    )


def counterfeit_awards_since(shop: Shop, since: datetime) -> int:
    """Counterfeit awards against the shop since `since`. Claims do not exist yet, and claims
    imports insurance (never the reverse): the claims slice will record each award here through
    an insurance service, and this will count those rows. Until then: none."""
    return 0


# A renewal can be asked for from this many days before the current term's last day (the first
# renewal reminder goes out then too).
RENEWAL_OPENS_DAYS = 30


def policy_in_force(policy: Policy, today: date) -> bool:
    """ACTIVE and `today` within its term (a renewal paid ahead is ACTIVE but not yet in force)."""
    return (
        policy.status == PolicyStatus.ACTIVE
        and policy.starts_on is not None
        and policy.ends_on is not None
        and policy.starts_on <= today <= policy.ends_on
    )


def renewal_of(policy: Policy) -> Policy | None:
    """The policy that renews `policy`, paid (ACTIVE) or awaiting its premium, if any."""
    return (
        Policy.objects.filter(
            renews=policy, status__in=[PolicyStatus.AWAITING_PREMIUM, PolicyStatus.ACTIVE]
        )
        .select_related("shop", "product", "insurer")
        .order_by("-id")
        .first()
    )


def renewal_application_of(policy: Policy) -> InsuranceApplication | None:
    """A renewal application of `policy` still with the insurer (SUBMITTED)."""
    return _applications().filter(quote__renews=policy, status="SUBMITTED").order_by("-id").first()


def open_renewal_exists(policy: Policy) -> bool:
    return renewal_application_of(policy) is not None or renewal_of(policy) is not None


def other_open_application_or_policy_exists(shop: Shop, *, renewing: Policy) -> bool:
    """For a renewal of `renewing`: a SUBMITTED application, a policy awaiting its premium, or a
    policy in force or paid other than `renewing` itself."""
    return (
        InsuranceApplication.objects.filter(shop=shop, status="SUBMITTED").exists()
        or Policy.objects.filter(
            shop=shop, status__in=[PolicyStatus.AWAITING_PREMIUM, PolicyStatus.ACTIVE]
        )
        .exclude(pk=renewing.pk)
        .exists()
    )


def open_application_or_policy_exists(shop: Shop) -> bool:
    """A SUBMITTED application, or a policy awaiting its premium or in force."""
    return (
        InsuranceApplication.objects.filter(shop=shop, status="SUBMITTED").exists()
        or Policy.objects.filter(
            shop=shop, status__in=[PolicyStatus.AWAITING_PREMIUM, PolicyStatus.ACTIVE]
        ).exists()
    )


def quote_for_shop(shop: Shop, quote_public_id: uuid.UUID) -> InsuranceQuote | None:
    return (
        InsuranceQuote.objects.filter(shop=shop, public_id=quote_public_id)
        .select_related("product__insurer", "shop")
        .first()
    )


def _applications() -> QuerySet[InsuranceApplication]:
    return InsuranceApplication.objects.select_related(
        "shop",
        "product",
        "quote__renews",
        "decided_by",
        "policy__product",
        "policy__shop",
        "policy__renews",
    )


def applications_for_shop(shop: Shop) -> QuerySet[InsuranceApplication]:
    """The shop's applications, newest first (the merchant's insurance page)."""
    return _applications().filter(shop=shop).order_by("-id")


def applications_for_partner(
    partner_id: int, *, status: str | None = None
) -> QuerySet[InsuranceApplication]:
    """The applications a partner may see: for its shops, or for products it insures."""
    applications = _applications().filter(
        Q(shop__partner_id=partner_id) | Q(product__insurer_id=partner_id)
    )
    if status is not None:
        applications = applications.filter(status=status)
    return applications


def application_for_partner(
    partner_id: int, application_public_id: uuid.UUID
) -> InsuranceApplication | None:
    return applications_for_partner(partner_id).filter(public_id=application_public_id).first()


def _policies() -> QuerySet[Policy]:
    return Policy.objects.select_related("shop", "product", "insurer", "surrender", "renews")


def policy_for_partner(partner_id: int, policy_public_id: uuid.UUID) -> Policy | None:
    """A policy of one of the partner's shops, or one it issued as insurer."""
    return (
        _policies()
        .filter(Q(shop__partner_id=partner_id) | Q(insurer_id=partner_id))
        .filter(public_id=policy_public_id)
        .first()
    )


def policies_for_shop(shop: Shop) -> QuerySet[Policy]:
    return _policies().filter(shop=shop)


def policies_for_insurance_page(shop: Shop, *, limit: int = 10) -> list[Policy]:
    """The shop's latest policies for its insurance page, in one query: each with its e-policy's
    row (without the bytes), what is still owed on its recoveries (`outstanding_recoveries_read`,
    outstanding_recoveries_minor's sum) and the pk of a renewal application still with the
    insurer (`renewal_application_pk`, renewal_application_of's)."""
    owed = (
        Recovery.objects.filter(policy=OuterRef("pk"), status__in=OUTSTANDING_STATUSES)
        .order_by()
        .values("policy")
        .annotate(total=Sum("outstanding_minor"))
        .values("total")
    )
    renewal_application = (
        InsuranceApplication.objects.filter(quote__renews=OuterRef("pk"), status="SUBMITTED")
        .order_by("-id")
        .values("pk")[:1]
    )
    return list(
        policies_for_shop(shop)
        .select_related("document")
        .defer("document__pdf")
        .annotate(
            outstanding_recoveries_read=Coalesce(Subquery(owed), 0),
            renewal_application_pk=Subquery(renewal_application),
        )
        .order_by("-id")[:limit]
    )


def policies_due_for_expiry(now: datetime) -> QuerySet[Policy]:
    """Policies still awaiting a premium whose due time has passed (the scan's candidates)."""
    return Policy.objects.filter(status=PolicyStatus.AWAITING_PREMIUM, premium_due_at__lte=now)


@dataclass(frozen=True)
class QuotePreview:
    """What a quote would say now, computed without writing anything: the dashboard shows it on
    every visit, and `quote_create` stores it when the merchant or the marketplace asks."""

    product: InsuranceProduct
    eligible: bool
    reasons: list[dict[str, Any]]
    window: BenefitWindow | None
    requirement_minor: int
    coverage_minor: int
    premium_minor: int
    cash_required_minor: int
    currency: str
    starts_on: date
    ends_on: date
    computation_en: str
    computation_zh: str


def _rules(product: InsuranceProduct) -> Rules:
    return Rules(
        category_codes=frozenset(c.code for c in product.categories.all()),
        new_merchant_days=product.new_merchant_days,
        stable_min_days=product.stable_min_days,
        counterfeit_lookback_days=product.counterfeit_lookback_days,
    )


def quote_preview(
    *,
    shop: Shop,
    product: InsuranceProduct,
    now: datetime,
    starts_on: date | None = None,
    reads: EligibilityReads | None = None,
) -> QuotePreview:
    """Eligibility (every failed reason) and the figures of `product` for `shop` at `now`, for a
    term starting today, or on `starts_on` (a renewal: the day after the current term ends).
    `reads`: the shop's facts when the caller read them for several products (eligibility_reads
    with the same `now`); read here otherwise."""
    if reads is None:
        reads = eligibility_reads(shop, now)
    account = reads.account
    deposit = deposit_selectors.deposit_summary(account) if account is not None else None
    today = reads.today
    windows = reads.windows
    facts = _shop_facts(
        shop,
        today=today,
        categories=reads.categories,
        deposit=deposit,
        requirement_minor=deposit.required_minor if deposit is not None else 0,
        windows=[Window(w.submit_from, w.submit_to, w.activate_by) for w in windows],
        on_trend_track=reads.on_trend_track,
        open_shortfall_case=reads.open_shortfall_case,
        overdue_recoveries=reads.overdue_recoveries,
        counterfeit_awards_recent=counterfeit_awards_since(
            shop, now - timedelta(days=product.counterfeit_lookback_days)
        ),
    )
    return _preview(
        product=product,
        facts=facts,
        currency=deposit.currency if deposit is not None else shop.currency,
        windows=windows,
        starts_on=starts_on,
    )


def _shop_facts(
    shop: Shop,
    *,
    today: date,
    categories: list[Any],
    deposit: Any,
    requirement_minor: int,
    windows: list[Window],
    on_trend_track: bool,
    open_shortfall_case: bool,
    overdue_recoveries: int,
    counterfeit_awards_recent: int,
) -> ShopFacts:
    return ShopFacts(
        today=today,
        registered_on=local_date(shop.created_at),
        category_codes=frozenset(c.code for c in categories),
        category_names={c.code: (c.name_en, c.name_zh) for c in categories},
        requirement_minor=requirement_minor,
        closed=shop.closed_at is not None,
        live_since=local_date(shop.went_live_at) if shop.went_live_at else None,
        on_trend_track=on_trend_track,
        benefit_windows=windows,
        debt_minor=deposit.debt_minor if deposit is not None else 0,
        open_shortfall_case=open_shortfall_case,
        overdue_recoveries=overdue_recoveries,
        counterfeit_awards_recent=counterfeit_awards_recent,
    )


def _preview(
    *,
    product: InsuranceProduct,
    facts: ShopFacts,
    currency: str,
    windows: list[BenefitWindow],
    starts_on: date | None,
) -> QuotePreview:
    """The pure part of a quote: the eligibility rule and the premium arithmetic on gathered
    facts (insurance.domain), the same for a real quote and a what-if."""
    verdict = eligibility_check(facts=facts, rules=_rules(product))
    requirement = facts.requirement_minor
    coverage, premium = quote_figures(
        requirement_minor=requirement,
        coverage_share_bps=product.coverage_share_bps,
        premium_rate_bps=product.premium_rate_bps,
        term_days=product.term_days,
        currency=currency,
    )
    window = next(
        (
            w
            for w in windows
            if verdict.window is not None
            and (w.submit_from, w.submit_to, w.activate_by)
            == (verdict.window.submit_from, verdict.window.submit_to, verdict.window.activate_by)
        ),
        None,
    )
    first_day = starts_on if starts_on is not None else facts.today
    return QuotePreview(
        product=product,
        eligible=verdict.eligible,
        reasons=[r.as_dict() for r in verdict.reasons],
        window=window,
        requirement_minor=requirement,
        coverage_minor=coverage.amount_minor,
        premium_minor=premium.amount_minor,
        cash_required_minor=max(0, requirement - coverage.amount_minor),
        currency=currency,
        starts_on=first_day,
        ends_on=first_day + timedelta(days=product.term_days - 1),
        computation_en=f"{coverage.en} {premium.en}",
        computation_zh=f"{coverage.zh}{premium.zh}",
    )


def quote_preview_what_if(
    *,
    shop: Shop,
    account: Any,
    categories: tuple[Any, ...],
    requirement_minor: int,
    product_code: str,
    now: datetime,
) -> QuotePreview | None:
    """What a quote of `product_code` would say for the shop as a what-if imagines it (other
    categories, another requirement), or None when no such product is in force. The same
    eligibility rule and arithmetic as `quote_preview`; the facts about the shop (trend track,
    overdue recoveries, an open shortfall case, a benefit window open today) are read with the
    product in one statement, so the what-if page keeps its query budget. Writes nothing."""
    today = local_date(now)
    open_windows = BenefitWindow.objects.filter(submit_from__lte=today, submit_to__gte=today)
    first_window = open_windows.order_by("id")
    product = (
        products_in_force(now)
        .filter(code=product_code)
        .annotate(
            shop_on_trend_track=Exists(
                TrendTrack.objects.filter(
                    Q(until__isnull=True) | Q(until__gte=today), shop=shop, since__lte=today
                )
            ),
            shop_overdue_recoveries=Coalesce(
                Subquery(
                    Recovery.objects.filter(shop=shop, status=RecoveryStatus.OVERDUE)
                    .values("shop")
                    .annotate(n=Count("id"))
                    .values("n")[:1]
                ),
                0,
            ),
            shop_shortfall_open=Exists(deposit_selectors.open_shortfall_cases(shop)),
            window_submit_from=Subquery(first_window.values("submit_from")[:1]),
            window_submit_to=Subquery(first_window.values("submit_to")[:1]),
            window_activate_by=Subquery(first_window.values("activate_by")[:1]),
        )
        .first()
    )
    if product is None:
        return None
    windows = (
        [Window(product.window_submit_from, product.window_submit_to, product.window_activate_by)]
        if product.window_submit_from is not None
        else []
    )
    deposit = deposit_selectors.deposit_summary(account) if account is not None else None
    facts = _shop_facts(
        shop,
        today=today,
        categories=list(categories),
        deposit=deposit,
        requirement_minor=requirement_minor,
        windows=windows,
        on_trend_track=product.shop_on_trend_track,
        open_shortfall_case=product.shop_shortfall_open,
        overdue_recoveries=product.shop_overdue_recoveries,
        counterfeit_awards_recent=counterfeit_awards_since(
            shop, now - timedelta(days=product.counterfeit_lookback_days)
        ),
    )
    return _preview(
        product=product,
        facts=facts,
        currency=deposit.currency if deposit is not None else shop.currency,
        windows=[],
        starts_on=None,
    )


# --- A policy's money: payments, document, surrender -----------------------------------------

# The term's dates are the marketplace's calendar (api-v1.md).
MARKET_TZ = ZoneInfo("Asia/Shanghai")


def market_date(moment: datetime) -> date:
    return timezone.localtime(moment, MARKET_TZ).date()


def policy_guarantee_ref(policy: Policy) -> str:
    """The source reference under which the policy's guarantee is registered with deposits."""
    return f"insurance_policy:{policy.public_id}"


def policy_ledger_reference(policy: Policy) -> str:
    """The reference every ledger transaction of the policy carries (premium, refund)."""
    return f"policy:{policy.public_id}"


def premium_payments_of(policy: Policy) -> QuerySet[PremiumPayment]:
    return PremiumPayment.objects.filter(policy=policy).select_related("ledger_transaction")


def policy_document_meta(policy: Policy) -> PolicyDocument | None:
    """The e-policy's row without its bytes (sha256, size, issued_at)."""
    return PolicyDocument.objects.filter(policy=policy).defer("pdf").first()


def policy_document_pdf(policy: Policy) -> PolicyDocument | None:
    return PolicyDocument.objects.filter(policy=policy).first()


def policies_without_document(*, activated_before: datetime, limit: int) -> list[int]:
    """The e-policy sweep's candidates, set-based: policies with no document whose premium was
    completed (the payment that left nothing outstanding, which activated it) before
    `activated_before`, ACTIVE or ended since (surrendered or expired before the document was
    issued: the merchant paid for that contract and may still need its document). Younger ones
    are left to their on-commit nudge."""
    activated = PremiumPayment.objects.filter(
        policy=OuterRef("pk"), outstanding_after_minor=0, paid_at__lt=activated_before
    )
    return list(
        Policy.objects.filter(
            status__in=[PolicyStatus.ACTIVE, PolicyStatus.SURRENDERED, PolicyStatus.EXPIRED],
            document__isnull=True,
        )
        .filter(Exists(activated))
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


@dataclass(frozen=True)
class SurrenderPreview:
    """What a surrender on `on` would do (api-v1.md surrender-quote); `reasons` empty = allowed."""

    policy: Policy
    on: date
    reasons: list[dict[str, str]]
    refund_minor: int
    used_days: int
    term_days: int
    outstanding_recoveries_minor: int
    computation_en: str
    computation_zh: str

    @property
    def allowed(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reasons": self.reasons,
            "refund_minor": self.refund_minor,
            "used_days": self.used_days,
            "term_days": self.term_days,
            "outstanding_recoveries_minor": self.outstanding_recoveries_minor,
            "currency": self.policy.currency,
            "surrender_on": self.on.isoformat(),
            "computation": self.computation_en,
            "computation_zh": self.computation_zh,
        }


def surrender_preview(
    policy: Policy, now: datetime, *, account: Any = _NOT_READ
) -> SurrenderPreview:
    """Whether the policy may be surrendered now, and the refund by day (domain.md §5.1): no
    recovery outstanding, and the cash deposit alone (without this policy's guarantee) meets the
    requirement by the coverage rule (deposits.domain.coverage). The surrender service calls
    this again under the account's and the policy's locks, so what it checks is what it does.
    `account`: the shop's deposit account when the page read it (no lock: a preview)."""
    on = market_date(now)
    term_days = policy.product.term_days
    reasons: list[dict[str, str]] = []
    outstanding = outstanding_recoveries_minor(policy)
    if policy.status != PolicyStatus.ACTIVE or policy.starts_on is None:
        reasons.append(
            {
                "code": "invalid_state",
                "detail": gettext(
                    "Only an ACTIVE policy can be surrendered; this one is %(status)s."
                )
                % {"status": policy.status},
            }
        )
        return SurrenderPreview(policy, on, reasons, 0, 0, term_days, outstanding, "", "")
    if outstanding > 0:
        reasons.append(
            {
                "code": "recoveries_outstanding",
                "detail": gettext(
                    "The merchant still owes the insurer for an advance; repay it first."
                ),
            }
        )
    if not cash_alone_covers(policy, account=account):
        reasons.append(
            {
                "code": "would_cause_shortfall",
                "detail": gettext(
                    "Without this policy the cash deposit would not meet the requirement; top up "
                    "the deposit first."
                ),
            }
        )
    # Past the last insured day (a policy the expiry slice has not ended yet) nothing is left.
    last_day = min(on, policy.ends_on) if policy.ends_on is not None else on
    days = used_days(starts_on=policy.starts_on, on=last_day)
    figure = refund_figure(
        premium_minor=policy.premium_paid_minor,
        coverage_minor=policy.coverage_minor,
        premium_rate_bps=policy.product.premium_rate_bps,
        starts_on=policy.starts_on,
        on=last_day,
        currency=policy.currency,
    )
    return SurrenderPreview(
        policy, on, reasons, figure.amount_minor, days, term_days, outstanding, figure.en, figure.zh
    )


def cash_alone_covers(policy: Policy, *, account: Any = _NOT_READ) -> bool:
    """The deposit's coverage without this policy's guarantee has no shortfall."""
    if account is _NOT_READ:
        account = deposit_selectors.account_for_shop(policy.shop)
    if account is None:
        return False
    summary = deposit_selectors.deposit_summary(account)
    guarantee = deposit_selectors.guarantee_for_source(policy_guarantee_ref(policy))
    counted = guarantee.amount_minor if guarantee is not None and guarantee.in_coverage else 0
    without = dataclasses.replace(summary, guaranteed_minor=summary.guaranteed_minor - counted)
    return without.is_covered


# --- Advances and recoveries ------------------------------------------------------------------


def outstanding_recoveries_minor(policy: Policy) -> int:
    """What the merchant still owes the insurer on this policy: the outstanding amount of its
    OPEN and OVERDUE recoveries (coverage − this = the remaining limit). Read with the policy
    on the insurance page (policies_for_insurance_page)."""
    if hasattr(policy, "outstanding_recoveries_read"):
        return int(policy.outstanding_recoveries_read)
    total = Recovery.objects.filter(policy=policy, status__in=OUTSTANDING_STATUSES).aggregate(
        total=Sum("outstanding_minor")
    )["total"]
    return int(total or 0)


def overdue_recoveries_count(shop: Shop) -> int:
    return Recovery.objects.filter(shop=shop, status=RecoveryStatus.OVERDUE).count()


def active_policy_id_for_shop(shop_id: int, *, today: date | None = None) -> int | None:
    """The shop's ACTIVE policy in force on `today` (Shanghai): a renewal paid ahead is ACTIVE
    too but starts only the day after the current term ends, and advances before that day go
    against the current policy. At the boundary, before the term scan has expired the old one,
    the newest in force (the renewal) wins."""
    policies = Policy.objects.filter(shop_id=shop_id, status=PolicyStatus.ACTIVE)
    if today is not None:
        policies = policies.filter(starts_on__lte=today, ends_on__gte=today)
    return policies.order_by("-id").values_list("pk", flat=True).first()


def limit_remaining_for_shop(shop_id: int) -> int:
    """What the shop's insurer would advance now: the ACTIVE policy's coverage − outstanding
    recoveries (0 without one). A read without locks: the advance itself recomputes it under the
    policy's lock (claims size the escalation hold with it)."""
    policy_id = active_policy_id_for_shop(shop_id)
    if policy_id is None:
        return 0
    policy = Policy.objects.get(pk=policy_id)
    return max(0, policy.coverage_minor - outstanding_recoveries_minor(policy))


def advance_for_claim(claim_ref: str) -> Advance | None:
    """The advance that moved money for this claim (an answer of 0 has no recovery), if any."""
    return (
        Advance.objects.filter(claim_ref=claim_ref, amount_minor__gt=0)
        .select_related("policy", "recovery", "ledger_transaction")
        .order_by("-id")
        .first()
    )


def advances_for_policy(policy: Policy) -> QuerySet[Advance]:
    """The policy's advances that moved money (an answer of 0 has no recovery), each with its
    recovery and policy read in the same query."""
    return (
        Advance.objects.filter(policy=policy, amount_minor__gt=0)
        .select_related("recovery", "policy")
        .order_by("-id")
    )


def recovery_for_partner(partner_id: int, recovery_public_id: uuid.UUID) -> Recovery | None:
    """A recovery of one of the partner's shops, or of a policy it issued as insurer."""
    return (
        Recovery.objects.filter(Q(shop__partner_id=partner_id) | Q(policy__insurer_id=partner_id))
        .filter(public_id=recovery_public_id)
        .select_related("advance", "policy")
        .first()
    )


def recoveries_due(*, now: datetime, today: date, limit: int) -> list[int]:
    """The scan's candidates, set-based: OPEN recoveries past `due_at` (overdue), or due a
    reminder (1 day before `due_on`, or 3 days before when no reminder went yet). The task for
    each re-checks under lock; a candidate with nothing left to do is a no-op."""
    return list(
        Recovery.objects.filter(status=RecoveryStatus.OPEN)
        .filter(
            Q(due_at__lte=now)
            | Q(reminded_1d_at__isnull=True, due_on__lte=today + timedelta(days=1))
            | Q(
                reminded_3d_at__isnull=True,
                reminded_1d_at__isnull=True,
                due_on__lte=today + timedelta(days=3),
            )
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


# --- Renewal reminders and expiry -------------------------------------------------------------

RENEWAL_REMINDER_DAYS = (30, 7, 1)


def policies_term_due(*, today: date, limit: int) -> list[int]:
    """The term scan's candidates, set-based: ACTIVE policies past `ends_on` (expiry: from 00:00
    Shanghai the day after), or due a renewal reminder not sent yet (a later reminder sent makes
    an earlier one moot). The task for each re-checks under lock; nothing left to do is a no-op."""
    return list(
        Policy.objects.filter(status=PolicyStatus.ACTIVE, ends_on__isnull=False)
        .filter(
            Q(ends_on__lt=today)
            | Q(reminded_1d_at__isnull=True, ends_on__lte=today + timedelta(days=1))
            | Q(
                reminded_7d_at__isnull=True,
                reminded_1d_at__isnull=True,
                ends_on__lte=today + timedelta(days=7),
            )
            | Q(
                reminded_30d_at__isnull=True,
                reminded_7d_at__isnull=True,
                reminded_1d_at__isnull=True,
                ends_on__lte=today + timedelta(days=30),
            )
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


@dataclass(frozen=True)
class CashWithoutPolicy:
    """What the deposit needs in cash once this policy's guarantee ends (the renewal reminder's
    figures): `cash_needed_minor` = requirement − the other guarantees; `top_up_minor` = what is
    missing beyond the cash there now (0: the cash alone covers it); from `from_at`."""

    currency: str
    cash_needed_minor: int
    top_up_minor: int
    from_at: datetime


def cash_without_policy(policy: Policy, *, account: Any = _NOT_READ) -> CashWithoutPolicy:
    if account is _NOT_READ:
        account = deposit_selectors.account_for_shop(policy.shop)
    assert policy.ends_on is not None
    from_at = datetime.combine(policy.ends_on + timedelta(days=1), time.min, tzinfo=MARKET_TZ)
    if account is None:  # pragma: no cover - every registered shop has one
        return CashWithoutPolicy(policy.currency, 0, 0, from_at)
    summary = deposit_selectors.deposit_summary(account)
    guarantee = deposit_selectors.guarantee_for_source(policy_guarantee_ref(policy))
    counted = guarantee.amount_minor if guarantee is not None and guarantee.in_coverage else 0
    without = dataclasses.replace(summary, guaranteed_minor=summary.guaranteed_minor - counted)
    return CashWithoutPolicy(
        currency=without.currency,
        cash_needed_minor=without.cash_needed_minor,
        top_up_minor=without.shortfall_minor,
        from_at=from_at,
    )


def advances_for_shop(shop: Shop) -> QuerySet[Advance]:
    """The shop's advances that moved money, on every policy, each with its recovery and
    policy (the merchant's insurance page lists them per policy, newest first)."""
    return (
        Advance.objects.filter(policy__shop=shop, amount_minor__gt=0)
        .select_related("recovery", "policy")
        .order_by("-advanced_at", "-id")
    )


def outstanding_recoveries_for_shop(shop: Shop) -> QuerySet[Recovery]:
    """The shop's OPEN and OVERDUE recoveries, soonest due first (the banners)."""
    return (
        Recovery.objects.filter(shop=shop, status__in=OUTSTANDING_STATUSES)
        .select_related("advance", "policy")
        .order_by("due_at", "id")
    )


def recovery_for_shop(shop: Shop, recovery_public_id: uuid.UUID) -> Recovery | None:
    """One of the shop's recoveries (another shop's looks exactly like a missing one)."""
    return (
        Recovery.objects.filter(shop=shop, public_id=recovery_public_id)
        .select_related("advance", "policy")
        .first()
    )


def policy_ends_on_of_shop() -> Subquery:
    """The last day of the shop's cover (the latest term end among its ACTIVE policies, so a
    renewal paid ahead counts), or None: an expression for `annotate` on a Shop queryset."""
    return Subquery(
        Policy.objects.filter(shop_id=OuterRef("pk"), status=PolicyStatus.ACTIVE)
        .order_by("-ends_on")
        .values("ends_on")[:1]
    )


# --- Reconciliation against the insurers' statements ---------------------------------------------

RECONCILED_KINDS = ("PREMIUM", "ADVANCE", "RECOVERY")


def insurer_postings_of_day(insurer_id: int, day: date) -> dict[tuple[str, str], tuple[int, str]]:
    """Our postings of one business day (Asia/Shanghai) for one insurer's policies, as the
    insurer's statement lists them: (kind, policy number) → (total in minor units, currency).
    Premiums, advances and recovery repayments, each read from its ledger transaction."""
    start, end = deposit_selectors.market_day_bounds(day)
    sources = (
        (
            "PREMIUM",
            PremiumPayment.objects.filter(policy__insurer_id=insurer_id),
            "policy__policy_number",
        ),
        (
            "ADVANCE",
            Advance.objects.filter(policy__insurer_id=insurer_id, amount_minor__gt=0),
            "policy__policy_number",
        ),
        (
            "RECOVERY",
            RecoveryRepayment.objects.filter(recovery__policy__insurer_id=insurer_id),
            "recovery__policy__policy_number",
        ),
    )
    totals: dict[tuple[str, str], tuple[int, str]] = {}
    for kind, rows, number in sources:
        posted = rows.filter(
            ledger_transaction__occurred_at__gte=start, ledger_transaction__occurred_at__lt=end
        ).values_list(number, "ledger_transaction__amount_minor", "ledger_transaction__currency")
        for policy_number, amount, currency in posted:
            before, _ = totals.get((kind, policy_number), (0, currency))
            totals[(kind, policy_number)] = (before + amount, currency)
    return totals

"""Every write of the insurance app: keyword-only, typed, `<entity>_<verb>`, `now` from the caller.

Entry points for the API, the admin and the tasks. Each runs in `transaction.atomic()` (plain,
not durable: the partner API runs it inside its own durable transaction with the idempotency
record) and raises common.errors.DomainError subclasses with stable codes:

- `quote_create(shop, now, product_code="perf-bond") -> InsuranceQuote`: prices the product for
  the shop's current deposit requirement (read through deposits.selectors) and checks
  eligibility; an ineligible shop gets a quote too, with eligible=false and every reason.
  `validation_error` naming `product` for an unknown code. Valid QUOTE_VALID_FOR.
- `application_submit(shop, quote, now) -> InsuranceApplication`: `not_eligible`,
  `quote_expired`, `quote_used`, `application_open` (one SUBMITTED application per shop, none
  while a policy awaits its premium or is in force). Publishes
  `insurance.application_submitted`.
- `application_accept(application, insurer_id, policy_number, now) -> InsuranceApplication`:
  the product's insurer only (`permission_denied`); creates the Policy AWAITING_PREMIUM, due
  PREMIUM_DUE_AFTER later. `invalid_state` unless SUBMITTED; `duplicate_reference` for a policy
  number the insurer already used. Locks the application.
- `application_decline(application, insurer_id, reason_code, detail, now)`: likewise, DECLINED.
- `applications_expire_due(now, limit=500) -> int`: accepted applications whose premium was not
  paid by its due time become EXPIRED and their policies CANCELLED; set-based, idempotent (a
  second run, or a concurrent one, finds nothing to do).

Decisions publish `insurance.application_decided`; expiry publishes
`insurance.application_expired`. Events go to the shop's partner and to the product's insurer
(once when they are the same partner), in the same transaction (partners' outbox).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import (
    ApplicationOpen,
    DuplicateReference,
    InvalidInput,
    InvalidTransition,
    NotEligible,
    PermissionDenied,
    QuoteExpired,
    QuoteUsed,
)
from common.times import utc_iso
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from insurance import locks, selectors
from insurance.models import (
    ApplicationStatus,
    InsuranceApplication,
    InsuranceProduct,
    InsuranceQuote,
    Policy,
    PolicyStatus,
    ProductChange,
)
from partners import services as partner_services
from shops.models import Shop

DEFAULT_PRODUCT = "perf-bond"
QUOTE_VALID_FOR = timedelta(days=7)
# An accepted application whose premium is not paid in full within this time expires.
PREMIUM_DUE_AFTER = timedelta(days=7)
# Dates of a term, a registration, a benefit window: the marketplace's calendar (api-v1.md).
MARKET_TZ = selectors.MARKET_TZ

EVENT_SUBMITTED = "insurance.application_submitted"
EVENT_DECIDED = "insurance.application_decided"
EVENT_EXPIRED = "insurance.application_expired"


# --- Quotes -----------------------------------------------------------------------------------


def renewal_check(*, shop: Shop, policy: Policy, now: datetime) -> None:
    """May `policy` be renewed now? Refuses with `validation_error` naming `renews` (another
    shop's policy) or `invalid_state` (not in force, not within RENEWAL_OPENS_DAYS of its end,
    or a renewal already under way)."""
    if policy.shop_id != shop.pk:
        raise InvalidInput(
            gettext("The policy to renew is another shop's."),
            fields={"renews": ["Not a policy of this shop."]},
        )
    today = selectors.market_date(now)
    if not selectors.policy_in_force(policy, today):
        raise InvalidTransition(
            gettext(
                "Only a policy in force can be renewed; this one is %(status)s and starts on "
                "%(starts_on)s."
            )
            % {"status": policy.status, "starts_on": policy.starts_on}
            if policy.status == "ACTIVE"
            else gettext("Only a policy in force can be renewed; this one is %(status)s.")
            % {"status": policy.status}
        )
    assert policy.ends_on is not None
    opens_on = policy.ends_on - timedelta(days=selectors.RENEWAL_OPENS_DAYS)
    if today < opens_on:
        raise InvalidTransition(
            gettext("Renewal opens %(days)s days before the term ends, on %(opens_on)s.")
            % {"days": selectors.RENEWAL_OPENS_DAYS, "opens_on": opens_on.isoformat()}
        )
    if selectors.open_renewal_exists(policy):
        raise ApplicationOpen(gettext("A renewal of this policy is already under way."))


def quote_create(
    *,
    shop: Shop,
    now: datetime,
    product_code: str | None = None,
    renews: Policy | None = None,
) -> InsuranceQuote:
    """Price the product for the shop and keep the quote (valid QUOTE_VALID_FOR): the figures
    and every eligibility reason are `selectors.quote_preview`'s, computed once, here stored.
    A renewal quote (`renews`, a policy of the shop in force and within RENEWAL_OPENS_DAYS of
    its end) prices the next term, starting the day after it ends, with the renewed policy's
    product unless another is named."""
    if renews is not None:
        renewal_check(shop=shop, policy=renews, now=now)
    product_code = product_code or (renews.product.code if renews is not None else DEFAULT_PRODUCT)
    product = selectors.product_in_force(product_code, now)
    if product is None:
        raise InvalidInput(
            gettext("There is no insurance product %(code)r in force.") % {"code": product_code},
            fields={"product": [f"Unknown product {product_code!r}."]},
        )
    starts_on = None
    if renews is not None:
        assert renews.ends_on is not None
        starts_on = renews.ends_on + timedelta(days=1)
    preview = selectors.quote_preview(shop=shop, product=product, now=now, starts_on=starts_on)
    with transaction.atomic():
        return InsuranceQuote.objects.create(
            shop=shop,
            product=product,
            eligible=preview.eligible,
            reasons=preview.reasons,
            benefit_window=preview.window,
            requirement_minor=preview.requirement_minor,
            coverage_minor=preview.coverage_minor,
            premium_minor=preview.premium_minor,
            cash_required_minor=preview.cash_required_minor,
            currency=preview.currency,
            starts_on=preview.starts_on,
            ends_on=preview.ends_on,
            valid_until=now + QUOTE_VALID_FOR,
            computation_en=preview.computation_en,
            computation_zh=preview.computation_zh,
            created_at=now,
            renews=renews,
        )


# --- Applications -----------------------------------------------------------------------------


def application_submit(*, shop: Shop, quote: InsuranceQuote, now: datetime) -> InsuranceApplication:
    if quote.shop_id != shop.pk:
        raise InvalidInput(
            gettext("The quote is for another shop."),
            fields={"quote": ["Not a quote for this shop."]},
        )
    if not quote.eligible:
        codes = ", ".join(r["code"] for r in quote.reasons)
        raise NotEligible(
            gettext("The shop is not eligible for %(product)s: %(codes)s.")
            % {"product": quote.product.code, "codes": codes}
        )
    if quote.valid_until <= now:
        raise QuoteExpired(
            gettext("The quote was valid until %(at)s; ask for a new one.")
            % {"at": utc_iso(quote.valid_until)}
        )
    if InsuranceApplication.objects.filter(quote=quote).exists():
        raise _quote_used()
    if quote.renews is not None:
        # A renewal is exempt from "nothing in force": the policy it renews is. Anything else
        # open (another renewal, a policy awaiting its premium) still refuses it.
        renewal_check(shop=shop, policy=quote.renews, now=now)
        if selectors.other_open_application_or_policy_exists(shop, renewing=quote.renews):
            raise _application_open()
    elif selectors.open_application_or_policy_exists(shop):
        raise _application_open()
    try:
        # A savepoint: a concurrent submit for the same shop or quote loses on the unique
        # indexes (one SUBMITTED per shop, one application per quote) and gets the same answer.
        with transaction.atomic():
            application = InsuranceApplication.objects.create(
                quote=quote,
                shop=shop,
                product=quote.product,
                status=ApplicationStatus.SUBMITTED,
                submitted_at=now,
            )
    except IntegrityError:
        if InsuranceApplication.objects.filter(quote=quote).exists():
            raise _quote_used() from None
        raise _application_open() from None
    _publish(application, type=EVENT_SUBMITTED, now=now)
    return application


def _quote_used() -> QuoteUsed:
    return QuoteUsed(gettext("An application was already made with this quote; ask for a new one."))


def _application_open() -> ApplicationOpen:
    return ApplicationOpen(
        gettext(
            "The shop already has an application under review or a policy awaiting premium or "
            "in force."
        )
    )


def _decidable(application_id: int, insurer_id: int) -> InsuranceApplication:
    application = locks.lock_application(application_id)
    if application.product.insurer_id is None or application.product.insurer_id != insurer_id:
        raise PermissionDenied(gettext("Only the product's insurer may decide this application."))
    if application.status != ApplicationStatus.SUBMITTED:
        raise InvalidTransition(
            gettext("The application is already %(status)s.") % {"status": application.status}
        )
    return application


def application_accept(
    *, application: InsuranceApplication, insurer_id: int, policy_number: str, now: datetime
) -> InsuranceApplication:
    policy_number = policy_number.strip()
    if not policy_number:
        raise InvalidInput(fields={"policy_number": ["This field may not be blank."]})
    with transaction.atomic():
        locked = _decidable(application.pk, insurer_id)
        quote = locked.quote
        if Policy.objects.filter(insurer_id=insurer_id, policy_number=policy_number).exists():
            raise DuplicateReference(
                gettext("You already issued policy number %(number)r.") % {"number": policy_number},
                fields={"policy_number": ["Already used for another policy."]},
            )
        locked.status = ApplicationStatus.ACCEPTED
        locked.decided_at = now
        locked.decided_by_id = insurer_id
        locked.save(update_fields=["status", "decided_at", "decided_by"])
        Policy.objects.create(
            application=locked,
            shop=locked.shop,
            product=locked.product,
            insurer_id=insurer_id,
            policy_number=policy_number,
            status=PolicyStatus.AWAITING_PREMIUM,
            coverage_minor=quote.coverage_minor,
            premium_minor=quote.premium_minor,
            currency=quote.currency,
            accepted_at=now,
            premium_due_at=now + PREMIUM_DUE_AFTER,
            renews_id=quote.renews_id,
        )
        _publish(locked, type=EVENT_DECIDED, now=now)
    return locked


def application_decline(
    *,
    application: InsuranceApplication,
    insurer_id: int,
    reason_code: str,
    detail: str,
    now: datetime,
) -> InsuranceApplication:
    reason_code = reason_code.strip()
    if not reason_code:
        raise InvalidInput(fields={"reason_code": ["This field may not be blank."]})
    with transaction.atomic():
        locked = _decidable(application.pk, insurer_id)
        locked.status = ApplicationStatus.DECLINED
        locked.decided_at = now
        locked.decided_by_id = insurer_id
        locked.decline_reason_code = reason_code
        locked.decline_detail = detail.strip()
        locked.save(
            update_fields=[
                "status",
                "decided_at",
                "decided_by",
                "decline_reason_code",
                "decline_detail",
            ]
        )
        _publish(locked, type=EVENT_DECIDED, now=now)
    return locked


def applications_expire_due(*, now: datetime, limit: int = 500) -> int:
    """Cancel up to `limit` policies whose premium was not paid by `premium_due_at` and expire
    their applications; returns how many. One locked batch, two set-based UPDATEs; a policy
    another transaction holds (its premium being paid) is skipped and re-checked next time."""
    with transaction.atomic():
        policies = locks.try_lock_policies_due(now, limit=limit)
        if not policies:
            return 0
        policy_ids = [p.pk for p in policies]
        Policy.objects.filter(pk__in=policy_ids, status=PolicyStatus.AWAITING_PREMIUM).update(
            status=PolicyStatus.CANCELLED, cancelled_at=now
        )
        application_ids = [p.application_id for p in policies]
        InsuranceApplication.objects.filter(
            pk__in=application_ids, status=ApplicationStatus.ACCEPTED
        ).update(status=ApplicationStatus.EXPIRED, expired_at=now)
        expired = InsuranceApplication.objects.filter(pk__in=application_ids).select_related(
            "shop", "product", "quote", "decided_by", "policy__product", "policy__shop"
        )
        for application in expired:
            _publish(application, type=EVENT_EXPIRED, now=now)
    return len(policies)


def policy_renew(
    *, policy: Policy, now: datetime, product_code: str | None = None
) -> InsuranceApplication:
    """Renewal (续保) in one step, as the dashboard's "renew" button: a renewal quote for the
    next term of `policy` and the application with it, sent to the insurer. The rest is the
    first term's path: accept, premium, activation (insurance.services.policies)."""
    with transaction.atomic():
        quote = quote_create(shop=policy.shop, now=now, product_code=product_code, renews=policy)
        return application_submit(shop=policy.shop, quote=quote, now=now)


def application_close(
    *,
    application: InsuranceApplication,
    reason: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> InsuranceApplication:
    """Ops close a stuck application by hand, with a reason: one still SUBMITTED (the insurer
    never decided) or ACCEPTED with its policy still awaiting the premium (the merchant will not
    pay; it would lapse by itself at `premium_due_at`). The application becomes EXPIRED (with
    `closed_reason` and `closed_by`), its policy, if any, CANCELLED, and
    `insurance.application_expired` is published, as when it lapses by itself. `invalid_state`
    for anything else (a paid policy is surrendered instead); `validation_error` naming `reason`.

    Locks: the shop's deposit account, then the application, then its policy (insurance.locks'
    order), so a premium payment completing at the same moment either lands first (and this is
    refused) or finds the policy CANCELLED."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": ["Say why the application is closed."]})
    with transaction.atomic():
        account_id = deposit_selectors.account_id_for_shop_id(application.shop_id)
        if account_id is not None:
            deposit_services.guarantee_account_lock(account_id=account_id)
        locked = locks.lock_application(application.pk)
        policy = None
        if locked.status == ApplicationStatus.ACCEPTED:
            policy_id = Policy.objects.filter(application=locked).values_list("pk", flat=True)
            policy = locks.lock_policy(policy_id.get())
            if policy.status != PolicyStatus.AWAITING_PREMIUM:
                raise InvalidTransition(
                    gettext("Its policy is %(status)s; only an unpaid one is cancelled here.")
                    % {"status": policy.status}
                )
        elif locked.status != ApplicationStatus.SUBMITTED:
            raise InvalidTransition(
                gettext("The application is already %(status)s.") % {"status": locked.status}
            )
        if policy is not None:
            Policy.objects.filter(pk=policy.pk).update(
                status=PolicyStatus.CANCELLED, cancelled_at=now
            )
        locked.status = ApplicationStatus.EXPIRED
        locked.expired_at = now
        locked.decided_at = locked.decided_at or now
        locked.closed_reason = reason[:300]
        locked.closed_by = actor  # type: ignore[assignment]
        locked.save(
            update_fields=["status", "expired_at", "decided_at", "closed_reason", "closed_by"]
        )
        fresh = _applications_with_policy().get(pk=locked.pk)
        _publish(fresh, type=EVENT_EXPIRED, now=now)
    return fresh


def _applications_with_policy() -> Any:
    return InsuranceApplication.objects.select_related(
        "shop", "product", "quote", "decided_by", "policy__product", "policy__shop"
    )


# --- Events -----------------------------------------------------------------------------------


def application_event_data(application: InsuranceApplication) -> dict[str, Any]:
    policy = getattr(application, "policy", None) if application.status != "SUBMITTED" else None
    return {
        "id": str(application.public_id),
        "quote": str(application.quote.public_id),
        "shop": str(application.shop.public_id),
        "product": application.product.code,
        "status": application.status,
        "coverage_minor": application.quote.coverage_minor,
        "premium_minor": application.quote.premium_minor,
        "currency": application.quote.currency,
        "submitted_at": utc_iso(application.submitted_at),
        "decided_at": utc_iso(application.decided_at),
        "decline_reason_code": application.decline_reason_code or None,
        "decline_detail": application.decline_detail or None,
        "policy": policy_event_data(policy) if policy is not None else None,
        # The policy this application renews (its next term); null for a first policy.
        "renews": str(application.quote.renews.public_id) if application.quote.renews else None,
    }


def policy_event_data(policy: Policy, *, now: datetime | None = None) -> dict[str, Any]:
    """The policy as partners read it (api-v1.md); `in_force` as of `now` (default: the clock)."""
    today = selectors.market_date(now or timezone.now())
    return {
        "id": str(policy.public_id),
        "shop": str(policy.shop.public_id),
        "product": policy.product.code,
        "policy_number": policy.policy_number,
        "status": policy.status,
        "coverage_minor": policy.coverage_minor,
        "limit_remaining_minor": policy.limit_remaining_minor,
        "premium_minor": policy.premium_minor,
        "premium_paid_minor": policy.premium_paid_minor,
        "currency": policy.currency,
        "starts_on": policy.starts_on.isoformat() if policy.starts_on else None,
        "ends_on": policy.ends_on.isoformat() if policy.ends_on else None,
        "premium_due_at": utc_iso(policy.premium_due_at),
        # The premium refunded on surrender; null unless SURRENDERED (insurance.services.policies).
        "refund_minor": _surrender_refund_minor(policy),
        # Renewal: the policy whose next term this is, and the paid renewal of this one.
        "renews": str(policy.renews.public_id) if policy.renews_id else None,
        "renewed_by": _renewed_by(policy),
        # ACTIVE and today within the term: a renewal paid ahead is ACTIVE, not yet in force.
        "in_force": selectors.policy_in_force(policy, today),
    }


def _renewed_by(policy: Policy) -> str | None:
    if policy.status not in (PolicyStatus.ACTIVE, PolicyStatus.EXPIRED):
        return None
    renewal = (
        Policy.objects.filter(renews=policy, status__in=[PolicyStatus.ACTIVE, PolicyStatus.EXPIRED])
        .order_by("-id")
        .values_list("public_id", flat=True)
        .first()
    )
    return str(renewal) if renewal is not None else None


def _surrender_refund_minor(policy: Policy) -> int | None:
    if policy.status != PolicyStatus.SURRENDERED:
        return None
    surrender = getattr(policy, "surrender", None)
    return surrender.refund_minor if surrender is not None else None


def _publish(application: InsuranceApplication, *, type: str, now: datetime) -> None:
    data = application_event_data(application)
    recipients = [application.shop.partner_id, application.product.insurer_id]
    for partner_id in dict.fromkeys(p for p in recipients if p is not None):
        partner_services.event_publish(
            partner_id=partner_id,
            type=type,
            data=data,
            now=now,
            ordering_key=str(application.shop.public_id),
        )


# --- Products ---------------------------------------------------------------------------------

# The product's fields an audit row keeps (its categories as their codes).
_AUDITED = (
    "code",
    "name_zh",
    "name_en",
    "insurer_id",
    "premium_rate_bps",
    "coverage_share_bps",
    "term_days",
    "recovery_days",
    "new_merchant_days",
    "stable_min_days",
    "counterfeit_lookback_days",
    "effective_from",
    "is_active",
)


def product_snapshot(product: InsuranceProduct) -> dict[str, Any]:
    """The product's terms as a JSON-able dict (the audit's before/after)."""
    data: dict[str, Any] = {}
    for name in _AUDITED:
        value = getattr(product, name)
        data[name] = utc_iso(value) if isinstance(value, datetime) else value
    data["categories"] = sorted(c.code for c in product.categories.all())
    return data


def product_change_record(
    *,
    product: InsuranceProduct,
    before: dict[str, Any],
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> ProductChange | None:
    """Audit one save of a product (the admin calls it once the product and its categories are
    saved): who, when, the fields before (`{}` for a new version) and after. A save that changed
    nothing writes nothing."""
    after = product_snapshot(product)
    changed = sorted(k for k in after if before.get(k) != after[k]) if before else []
    if before and not changed:
        return None
    with transaction.atomic():
        return ProductChange.objects.create(
            product=product,
            actor=actor,
            changed_at=now,
            before=before,
            after=after,
            changed_fields=changed,
        )


def product_insurer_assign(*, code: str, insurer_id: int, now: datetime) -> int:
    """Make the partner the insurer of the product `code`: its version in force and every later
    one (history keeps its insurer). Returns how many versions changed; `validation_error`
    naming `product` when no version of the code is in force or due."""
    with transaction.atomic():
        current = selectors.product_in_force(code, now)
        versions = InsuranceProduct.objects.filter(code=code)
        if current is not None:
            versions = versions.filter(effective_from__gte=current.effective_from)
        else:
            versions = versions.filter(effective_from__gt=now)
        if not versions.exists():
            raise InvalidInput(
                gettext("There is no insurance product %(code)r.") % {"code": code},
                fields={"product": [f"Unknown product {code!r}."]},
            )
        return versions.update(insurer_id=insurer_id)

"""The money of a policy's life: premium payments → ACTIVE (a guarantee on the deposit) → the
e-policy issued once → surrender with its refund by day (domain.md §5, §5.1; api-v1.md).

- `premium_pay(policy, amount_minor, currency, payment_ref, idempotency_key, now) -> Policy`:
  one confirmed payment towards the premium (partial payments allowed). Posts PAYMENTS_CLEARING
  → INSURANCE_PREMIUMS (PREMIUM, reference "policy:<public id>") and records a PremiumPayment in
  the same transaction as the policy's update. The payment that completes the premium activates
  the policy: ACTIVE from the Asia/Shanghai date of the payment for `term_days`, its coverage
  registered as a guarantee on the shop's deposit (an onboarding shop it covers goes live;
  surplus cash becomes withdrawable by the coverage rule), `policy.activated` published, and the
  e-policy task nudged after commit (`task_nudge`: one try, never raises; the payment has
  committed by then, so a broker that is down must not turn it into an error, and the sweep
  below issues what the nudge did not). Refuses, writing nothing: `validation_error` naming
  `currency` (not the policy's) or `amount_minor` (more than is outstanding); `invalid_state`
  unless AWAITING_PREMIUM or once the premium's due time has passed (the acceptance lapsed);
  `duplicate_reference` naming `payment_ref` (already credited by the shop's partner: another
  partner's reference is credited like a new one). A replay of the same key with
  the same payment returns the policy as it is; with another payment `idempotency_key_reused`.
- `policy_document_issue(policy_id, now) -> PolicyDocument`: renders the e-policy of an ACTIVE
  (or since ended) policy once and stores it with its SHA-256; a second call, or a concurrent
  one, finds the row and returns it. Rendering happens outside any transaction.
- `policy_documents_due_scan(now) -> list[int]`: the sweep's candidates, ACTIVE policies
  activated more than `DOCUMENT_SWEEP_GRACE` ago that still have no e-policy (the nudge was
  lost with the broker, or its task failed for good). Each is then issued by the same task as
  the nudge, so a sweep racing the nudge, or two sweeps, still store exactly one document.
- `policy_surrender(policy, now, idempotency_key, reason="", actor=None) -> Policy`: 退保.
  `recoveries_outstanding`, `would_cause_shortfall` (the cash alone must meet the requirement),
  `invalid_state` unless ACTIVE. Refund by day (insurance.domain.premium, start day through the
  surrender day) posted INSURANCE_PREMIUMS → PREMIUM_REFUNDS_PAYABLE (PREMIUM_REFUND), the
  guarantee withdrawn, the policy SURRENDERED, `policy.surrendered` published: one transaction.

Locks: the shop's deposit account (deposits.services.guarantee_account_lock), then the policy
(insurance.locks). Building blocks: plain `transaction.atomic` (the partner API wraps them in its
durable idempotency transaction); any refusal rolls back everything the call wrote.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from common.enqueue import task_nudge
from common.errors import (
    DuplicateReference,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RecoveriesOutstanding,
    WouldCauseShortfall,
)
from common.templatetags.money import money_and_minor
from common.times import utc_iso
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from deposits.models import Guarantee, SystemAccount, TransactionKind
from insurance import locks, selectors
from insurance.documents import (
    PolicyDocument as PolicyPdf,
)
from insurance.documents import (
    policy_pdf_sha256,
    premium_computation_text,
    render_policy_pdf,
)
from insurance.models import (
    Policy,
    PolicyDocument,
    PolicyStatus,
    PolicySurrender,
    PremiumPayment,
)
from insurance.selectors import MARKET_TZ, market_date
from insurance.services.underwriting import policy_event_data
from partners import services as partner_services

ISSUE_POLICY_DOCUMENT_TASK = "insurance.tasks.issue_policy_document"
# The sweep leaves a policy activated less than this long ago to its nudge: the notices queue
# renders e-policies within seconds, so anything older had its nudge lost.
DOCUMENT_SWEEP_GRACE = timedelta(minutes=2)
DOCUMENT_SWEEP_LIMIT = 1000

EVENT_ACTIVATED = "policy.activated"
EVENT_SURRENDERED = "policy.surrendered"


def _account_id(policy: Policy) -> int:
    account = deposit_selectors.account_for_shop(policy.shop)
    if account is None:  # every registered shop has one (deposits.services.shop_register)
        raise NotFound(gettext("The shop has no deposit account."))
    return int(account.pk)


def _start_of(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=MARKET_TZ)


# --- Premium ----------------------------------------------------------------------------------


def premium_pay(
    *,
    policy: Policy,
    amount_minor: int,
    currency: str,
    payment_ref: str,
    idempotency_key: str,
    now: datetime,
) -> Policy:
    payment_ref = (payment_ref or "").strip()
    if not payment_ref:
        raise InvalidInput(fields={"payment_ref": ["The payment provider's reference."]})
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise InvalidInput(fields={"amount_minor": ["A positive whole number of minor units."]})
    if currency != policy.currency:
        raise InvalidInput(
            gettext("The premium is payable in %(currency)s.") % {"currency": policy.currency},
            fields={"currency": [f"Must be {policy.currency}, the policy's currency."]},
        )
    ledger_key = f"premium:{idempotency_key}"
    with transaction.atomic():
        deposit_services.guarantee_account_lock(account_id=_account_id(policy))
        locked = locks.lock_policy(policy.pk)
        # The reference is the paying shop's partner's: unique among its payments only, so that
        # another partner's reference is credited like a new one instead of revealing it exists.
        partner_id = locked.shop.partner_id
        earlier = PremiumPayment.objects.filter(
            payment_partner_id=partner_id, payment_ref=payment_ref
        ).first()
        if earlier is not None:
            replay = earlier.ledger_transaction.idempotency_key == ledger_key
            if replay and earlier.policy_id == locked.pk and earlier.amount_minor == amount_minor:
                return locked
            if replay:
                raise IdempotencyKeyReused(
                    gettext("This idempotency key was already used for a different payment."),
                    fields={"idempotency_key": ["Already used with other parameters."]},
                )
            raise DuplicateReference(
                gettext("This payment has already been credited."),
                fields={"payment_ref": ["Already used by another payment."]},
            )
        if locked.status != PolicyStatus.AWAITING_PREMIUM:
            raise InvalidTransition(
                gettext(
                    "The policy is %(status)s; a premium is only payable while it is "
                    "AWAITING_PREMIUM."
                )
                % {"status": locked.status}
            )
        if locked.premium_due_at <= now:
            raise InvalidTransition(
                gettext(
                    "The premium was due by %(at)s; the insurer's acceptance has lapsed. Ask for "
                    "a new quote."
                )
                % {"at": utc_iso(locked.premium_due_at)}
            )
        outstanding = locked.premium_minor - locked.premium_paid_minor
        if amount_minor > outstanding:
            raise InvalidInput(
                gettext("Only %(outstanding)s of the premium is outstanding.")
                % {"outstanding": money_and_minor(outstanding, locked.currency)},
                fields={"amount_minor": [f"At most {outstanding}, the premium outstanding."]},
            )
        tx, _replayed = deposit_services.system_transfer(
            source=SystemAccount.PAYMENTS_CLEARING,
            destination=SystemAccount.INSURANCE_PREMIUMS,
            amount_minor=amount_minor,
            currency=currency,
            kind=TransactionKind.PREMIUM,
            reason="保费 insurance premium",
            reference=selectors.policy_ledger_reference(locked),
            idempotency_key=ledger_key,
            now=now,
            payment_ref=payment_ref,
            payment_partner_id=partner_id,
        )
        PremiumPayment.objects.create(
            policy=locked,
            amount_minor=amount_minor,
            currency=currency,
            payment_ref=payment_ref,
            payment_partner_id=partner_id,
            ledger_transaction=tx,
            paid_at=now,
            outstanding_after_minor=outstanding - amount_minor,
        )
        locked.premium_paid_minor += amount_minor
        fields = ["premium_paid_minor"]
        if locked.premium_paid_minor == locked.premium_minor:
            fields += _activate(locked, now=now)
        locked.save(update_fields=fields)
        if locked.status == PolicyStatus.ACTIVE:
            _publish(locked, type=EVENT_ACTIVATED, now=now)
            policy_id = locked.pk
            # A nudge, not task_enqueue: the premium has committed by the time this runs, and
            # a broker that is down must not make the caller answer 500 for a paid premium.
            # What is not published here, the sweep (issue_missing_policy_documents) issues.
            transaction.on_commit(
                lambda: task_nudge(ISSUE_POLICY_DOCUMENT_TASK, policy_id=policy_id)
            )
    return locked


def _activate(policy: Policy, *, now: datetime) -> list[str]:
    """The premium is paid in full: the term starts today (Shanghai) and the coverage stands in
    for cash on the deposit. Caller holds the account's and the policy's locks.

    A renewal paid while the policy it renews is still ACTIVE starts the day after that one's
    term ends, not today: ACTIVE now (the premium is paid), in force from that day. Its
    guarantee is registered now with `valid_from` at that midnight, which is the old one's
    `valid_to`; whichever of deposits' sweeper and the term scan comes first ends the old one
    and counts the new one in one recount under the account's lock, so the deposit's coverage
    never drops at the boundary. (The account lock we hold also keeps the old policy's expiry
    from running between this read and the registration.) Paid after the old one ended, it is
    an ordinary activation from today."""
    starts_on = market_date(now)
    renews = policy.renews
    if renews is not None and renews.status == PolicyStatus.ACTIVE and renews.ends_on is not None:
        starts_on = max(starts_on, renews.ends_on + timedelta(days=1))
    ends_on = starts_on + timedelta(days=policy.product.term_days - 1)
    policy.status = PolicyStatus.ACTIVE
    policy.starts_on, policy.ends_on = starts_on, ends_on
    deposit_services.guarantee_register(
        account_id=_account_id(policy),
        amount_minor=policy.coverage_minor,
        currency=policy.currency,
        valid_from=_start_of(starts_on),
        valid_to=_start_of(ends_on + timedelta(days=1)),
        source_kind=Guarantee.SourceKind.INSURANCE_POLICY,
        source_ref=selectors.policy_guarantee_ref(policy),
        now=now,
        note=f"{policy.product.code} {policy.policy_number}",
    )
    return ["status", "starts_on", "ends_on"]


# --- E-policy ---------------------------------------------------------------------------------


def policy_document_issue(*, policy_id: int, now: datetime) -> PolicyDocument:
    existing = PolicyDocument.objects.filter(policy_id=policy_id).first()
    if existing is not None:
        return existing
    policy = Policy.objects.select_related("shop__merchant", "product", "insurer").get(pk=policy_id)
    if policy.starts_on is None or policy.ends_on is None:
        raise InvalidTransition(gettext("The e-policy is issued once the premium is paid in full."))
    term_days = (policy.ends_on - policy.starts_on).days + 1
    text_zh, text_en = premium_computation_text(
        coverage_minor=policy.coverage_minor,
        rate_bps=policy.product.premium_rate_bps,
        term_days=term_days,
        premium_minor=policy.premium_minor,
        currency=policy.currency,
    )
    pdf = render_policy_pdf(
        PolicyPdf(
            policy_number=policy.policy_number,
            insurer_name=policy.insurer.name,
            insured_name=policy.shop.merchant.name,
            shop_name=policy.shop.name,
            shop_external_ref=policy.shop.external_ref,
            product_name_zh=policy.product.name_zh,
            product_name_en=policy.product.name_en,
            coverage_minor=policy.coverage_minor,
            premium_minor=policy.premium_minor,
            currency=policy.currency,
            starts_on=policy.starts_on,
            ends_on=policy.ends_on,
            issued_at=now,
            recovery_days=policy.product.recovery_days,
            premium_computation_zh=text_zh,
            premium_computation_en=text_en,
        )
    )
    try:
        with transaction.atomic():
            return PolicyDocument.objects.create(
                policy=policy,
                pdf=pdf,
                sha256=policy_pdf_sha256(pdf),
                size=len(pdf),
                issued_at=now,
            )
    except IntegrityError:
        # A concurrent run stored it first: theirs is the issued e-policy.
        return PolicyDocument.objects.get(policy_id=policy_id)


def policy_documents_due_scan(*, now: datetime, limit: int = DOCUMENT_SWEEP_LIMIT) -> list[int]:
    return selectors.policies_without_document(
        activated_before=now - DOCUMENT_SWEEP_GRACE, limit=limit
    )


# --- Surrender --------------------------------------------------------------------------------


def policy_surrender(
    *,
    policy: Policy,
    now: datetime,
    idempotency_key: str,
    reason: str = "",
    actor: AbstractBaseUser | None = None,
) -> Policy:
    with transaction.atomic():
        deposit_services.guarantee_account_lock(account_id=_account_id(policy))
        locked = locks.lock_policy(policy.pk)
        preview = selectors.surrender_preview(locked, now)
        codes = {r["code"]: r["detail"] for r in preview.reasons}
        if "invalid_state" in codes:
            raise InvalidTransition(codes["invalid_state"])
        if "recoveries_outstanding" in codes:
            raise RecoveriesOutstanding(codes["recoveries_outstanding"])
        if "would_cause_shortfall" in codes:
            raise WouldCauseShortfall(codes["would_cause_shortfall"])
        tx = None
        if preview.refund_minor > 0:
            tx, _replayed = deposit_services.system_transfer(
                source=SystemAccount.INSURANCE_PREMIUMS,
                destination=SystemAccount.PREMIUM_REFUNDS_PAYABLE,
                amount_minor=preview.refund_minor,
                currency=locked.currency,
                kind=TransactionKind.PREMIUM_REFUND,
                reason="退保退费 premium refund on surrender",
                reference=selectors.policy_ledger_reference(locked),
                idempotency_key=f"surrender:{idempotency_key}",
                now=now,
                actor=actor,
            )
        deposit_services.guarantee_withdraw(
            source_ref=selectors.policy_guarantee_ref(locked),
            reason=f"policy {locked.policy_number} surrendered",
            now=now,
            actor=actor,
        )
        locked.surrender = PolicySurrender.objects.create(
            policy=locked,
            surrendered_at=now,
            surrendered_on=preview.on,
            used_days=preview.used_days,
            term_days=preview.term_days,
            refund_minor=preview.refund_minor,
            currency=locked.currency,
            computation_en=preview.computation_en,
            computation_zh=preview.computation_zh,
            ledger_transaction=tx,
            reason=reason.strip()[:300],
            actor=actor,
        )
        locked.status = PolicyStatus.SURRENDERED
        locked.save(update_fields=["status"])
        _publish(locked, type=EVENT_SURRENDERED, now=now)
    return locked


# --- Events -----------------------------------------------------------------------------------


def _publish(policy: Policy, *, type: str, now: datetime) -> None:
    data = policy_event_data(policy, now=now)
    for partner_id in dict.fromkeys(p for p in (policy.shop.partner_id, policy.insurer_id) if p):
        partner_services.event_publish(
            partner_id=partner_id,
            type=type,
            data=data,
            now=now,
            ordering_key=str(policy.shop.public_id),
        )

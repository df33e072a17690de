"""Advances and recoveries (先行垫付 / 追偿, domain.md §5.1): what the claims app calls when an
insured shop's claim is upheld, the merchant's repayments, and the reminders and supervision
when a recovery runs late.

- `policy_advance(policy_id | shop_id, claim_ref, amount_minor, currency, idempotency_key, now)
  -> AdvanceResult`: the insurer advances up to the policy's remaining limit (coverage −
  outstanding recoveries; 0 unless the policy is ACTIVE); the rest comes back as
  `uncovered_minor` for the caller to take from cash, then debt. Idempotent on the key (a
  replay returns the first result; other terms: `idempotency_key_reused`); a claim is advanced
  once per policy (`duplicate_reference` naming `claim_ref`). With `shop_id` and no ACTIVE
  policy, nothing is written and the whole amount is uncovered. Building block (plain atomic):
  the claims decision commits it together with its own rows.
- `recovery_repay(recovery_id, amount_minor, currency, payment_ref, now) -> Recovery`: a
  partial or full repayment; `invalid_state` once REPAID or CANCELLED, `validation_error`
  naming `currency` or `amount_minor` (more than is outstanding), `duplicate_reference` naming
  `payment_ref` (already used by the shop's partner: another partner's reference is credited
  like a new one; the ledger key is per partner too). Building block (the API's idempotent
  wrapper holds the transaction).
- `advance_reverse(advance_id, reason, now) -> AdvanceReversal`: the claim this advance paid
  was reversed on appeal (claims, under the claim's lock, once per advance): what is still
  outstanding goes back to the insurer from compensation payable (COMPENSATION_PAYABLE →
  INSURER_ADVANCES, kind REVERSAL) and the recovery is CANCELLED (the limit and guarantee
  restored, an overdue recovery's supervision lifted, `insurance.recovery_cancelled`); what
  the merchant had already repaid comes back as `refund_minor`, which the caller credits to the
  merchant's deposit (claims posts it with the rest of the award's reversal). A REPAID
  recovery stays REPAID (its whole amount is the refund). `invalid_state` for an advance of 0
  or a recovery already CANCELLED.
- `recoveries_due_scan(now, limit) -> list[int]` and `recovery_process(recovery_id, now) -> str`:
  the periodic scan (set-based) and the per-recovery step (under lock, exactly once): the 3-day
  and 1-day reminders, and OPEN → OVERDUE with the shop SUPERVISED.

Ledger, on system accounts (deposits.services.system_transfer), reference
"insurance_policy:<policy public id>":
- an advance: INSURER_ADVANCES → COMPENSATION_PAYABLE (kind INSURER_ADVANCE): the insurer's
  money reaches the consumer's payable, and INSURER_ADVANCES goes negative by what the merchant
  owes;
- a repayment: PAYMENTS_CLEARING → INSURER_ADVANCES (kind RECOVERY_REPAYMENT), crediting the
  payment reference once.

The guarantee (source_ref "insurance_policy:<public id>", registered at activation) follows the
remaining limit through `deposits.services.guarantee_set_amount`, **with a floor of 1 fen**: a
guarantee cannot be 0, and withdrawing it at a limit of 0 would end it for good (a withdrawn
source_ref cannot be registered again, and the activation/surrender slice finds the policy's
guarantee by that ref). So at a limit of 0 the guarantee stays ACTIVE at 1 minor unit: the
deposit's coverage overstates the insurer's cover by 1 fen (the shortfall reads 1 fen less)
until a repayment restores it; the policy's own `limit_remaining_minor` (what advances use) is 0.

Locks: insurance.locks' order, policy → recovery → (deposits: account → guarantee) → shop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import (
    CurrencyMismatch,
    DuplicateReference,
    IdempotencyKeyReused,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from common.templatetags.money import money_and_minor
from common.times import utc_iso
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from deposits.models import LedgerTransaction, SystemAccount, TransactionKind
from insurance import locks, selectors
from insurance.models import (
    OUTSTANDING_STATUSES,
    Advance,
    Policy,
    PolicyStatus,
    Recovery,
    RecoveryRepayment,
    RecoveryStatus,
)
from insurance.services import advance_texts as texts
from partners import services as partner_services
from shops import services as shop_services
from shops.models import RestrictionKind, RestrictionSource

log = logging.getLogger(__name__)

MARKET_TZ = ZoneInfo("Asia/Shanghai")
EVENT_ADVANCE_MADE = "insurance.advance_made"
EVENT_RECOVERY_REPAID = "insurance.recovery_repaid"
EVENT_REPAYMENT_RECEIVED = "insurance.recovery_repayment_received"
EVENT_RECOVERY_OVERDUE = "insurance.recovery_overdue"
EVENT_RECOVERY_CANCELLED = "insurance.recovery_cancelled"
# A guarantee cannot be 0 (module docstring: why a floor rather than withdraw/re-register).
GUARANTEE_FLOOR_MINOR = 1
REMINDER_DAYS = (3, 1)
SCAN_LIMIT = 1000


def policy_ref(policy: Policy) -> str:
    """The guarantee's source_ref and the ledger reference of the policy's money."""
    return f"insurance_policy:{policy.public_id}"


def recovery_ref(recovery: Recovery) -> str:
    """The source_ref of the SUPERVISED restriction an overdue recovery puts on its shop."""
    return f"insurance_recovery:{recovery.public_id}"


@dataclass(frozen=True)
class AdvanceResult:
    advance: Advance | None
    advanced_minor: int
    uncovered_minor: int
    replayed: bool = False


def _validate_amount(amount_minor: int) -> None:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor < 1:
        raise InvalidInput(
            fields={"amount_minor": ["Must be a positive integer number of minor units."]}
        )


def _local_date(moment: datetime) -> Any:
    return timezone.localtime(moment, MARKET_TZ).date()


# --- Advance ----------------------------------------------------------------------------------


def _lock_deposit_account_of(policy_id: int) -> None:
    """The shop's deposit account first (insurance.locks: account → policy → recovery), so an
    advance or a repayment never waits for an account while holding a policy that a premium
    payment or a surrender (account, then policy) is waiting for."""
    shop_id = Policy.objects.filter(pk=policy_id).values_list("shop_id", flat=True).first()
    if shop_id is None:
        raise Policy.DoesNotExist
    account_id = deposit_selectors.account_id_for_shop_id(shop_id)
    if account_id is not None:
        deposit_services.guarantee_account_lock(account_id=account_id)


def policy_advance(
    *,
    claim_ref: str,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    now: datetime,
    policy_id: int | None = None,
    shop_id: int | None = None,
) -> AdvanceResult:
    """The insurer advances an upheld claim's payout, up to the policy's remaining limit."""
    if (policy_id is None) == (shop_id is None):
        raise InvalidInput(fields={"policy_id": ["Give exactly one of policy_id and shop_id."]})
    claim_ref = (claim_ref or "").strip()
    if not claim_ref or len(claim_ref) > 100:
        raise InvalidInput(fields={"claim_ref": ["Must be 1 to 100 characters."]})
    if not idempotency_key or len(idempotency_key) > 200:
        raise InvalidInput(fields={"idempotency_key": ["Must be 1 to 200 characters."]})
    _validate_amount(amount_minor)
    with transaction.atomic():
        if policy_id is None:
            assert shop_id is not None
            policy_id = selectors.active_policy_id_for_shop(
                shop_id, today=selectors.market_date(now)
            )
            if policy_id is None:
                previous = Advance.objects.filter(idempotency_key=idempotency_key).first()
                if previous is not None:
                    return _replay(previous, claim_ref, amount_minor, currency)
                return AdvanceResult(advance=None, advanced_minor=0, uncovered_minor=amount_minor)
        try:
            _lock_deposit_account_of(policy_id)
            policy = locks.lock_policy(policy_id)
        except Policy.DoesNotExist:
            raise NotFound(gettext("No such policy.")) from None
        # Under the policy's lock: a concurrent call with the same key has committed or not.
        previous = Advance.objects.filter(idempotency_key=idempotency_key).first()
        if previous is not None:
            return _replay(previous, claim_ref, amount_minor, currency, policy=policy)
        if currency != policy.currency:
            raise CurrencyMismatch(
                gettext("The policy is in %(currency)s.") % {"currency": policy.currency},
                fields={"currency": [f"Must be {policy.currency}, the policy's currency."]},
            )
        if Advance.objects.filter(policy=policy, claim_ref=claim_ref).exists():
            raise DuplicateReference(
                gettext("Claim %(ref)r was already advanced under this policy.")
                % {"ref": claim_ref},
                fields={"claim_ref": ["Already advanced under this policy."]},
            )
        limit = _limit_remaining(policy)
        advanced = min(amount_minor, limit)
        ledger_tx = None
        if advanced:
            ledger_tx, _ = deposit_services.system_transfer(
                source=SystemAccount.INSURER_ADVANCES,
                destination=SystemAccount.COMPENSATION_PAYABLE,
                amount_minor=advanced,
                currency=currency,
                kind=TransactionKind.INSURER_ADVANCE,
                reason=f"Insurer's advance for claim {claim_ref} (policy {policy.policy_number})",
                reference=policy_ref(policy),
                idempotency_key=f"insurance_advance:{idempotency_key}",
                now=now,
            )
        advance = Advance.objects.create(
            policy=policy,
            claim_ref=claim_ref,
            idempotency_key=idempotency_key,
            requested_minor=amount_minor,
            amount_minor=advanced,
            uncovered_minor=amount_minor - advanced,
            currency=currency,
            advanced_at=now,
            ledger_transaction=ledger_tx,
        )
        if not advanced:
            return AdvanceResult(advance=None, advanced_minor=0, uncovered_minor=amount_minor)
        due_on = _local_date(now) + timedelta(days=policy.product.recovery_days)
        days_left = policy.product.recovery_days
        recovery = Recovery.objects.create(
            advance=advance,
            policy=policy,
            shop_id=policy.shop_id,
            amount_minor=advanced,
            outstanding_minor=advanced,
            currency=currency,
            due_on=due_on,
            due_at=datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=MARKET_TZ),
            status=RecoveryStatus.OPEN,
            # The advance's own notice says all a reminder would, when the due date is that near.
            reminded_3d_at=now if days_left <= 3 else None,
            reminded_1d_at=now if days_left <= 1 else None,
            created_at=now,
        )
        limit_after = limit - advanced
        _guarantee_follow_limit(policy, limit_after, now=now, why=f"advance for claim {claim_ref}")
        _publish(policy, EVENT_ADVANCE_MADE, advance_data(advance), now=now)
        _notify(
            policy,
            f"insurance_advance:{advance.public_id}",
            "insurance_advance",
            lambda language: texts.advance_made(
                language=language,
                policy=policy,
                advance=advance,
                recovery=recovery,
                limit_after=limit_after,
            ),
            now,
        )
    return AdvanceResult(
        advance=advance, advanced_minor=advanced, uncovered_minor=amount_minor - advanced
    )


def _replay(
    previous: Advance,
    claim_ref: str,
    amount_minor: int,
    currency: str,
    *,
    policy: Policy | None = None,
) -> AdvanceResult:
    same = (
        previous.claim_ref == claim_ref
        and previous.requested_minor == amount_minor
        and previous.currency == currency
        and (policy is None or previous.policy_id == policy.pk)
    )
    if not same:
        raise IdempotencyKeyReused(
            gettext("This idempotency key was already used for a different advance."),
            fields={"idempotency_key": ["Already used with other parameters."]},
        )
    return AdvanceResult(
        advance=previous if previous.amount_minor else None,
        advanced_minor=previous.amount_minor,
        uncovered_minor=previous.uncovered_minor,
        replayed=True,
    )


def _limit_remaining(policy: Policy) -> int:
    """Under the policy's lock: coverage − outstanding recoveries, 0 unless ACTIVE."""
    if policy.status != PolicyStatus.ACTIVE:
        return 0
    return max(0, policy.coverage_minor - selectors.outstanding_recoveries_minor(policy))


def _guarantee_follow_limit(policy: Policy, limit: int, *, now: datetime, why: str) -> None:
    """Resize the policy's guarantee to the remaining limit (at least the 1-fen floor). Only
    while the policy is ACTIVE: a surrendered or expired policy's guarantee has ended, and a
    repayment must still be taken then."""
    if policy.status != PolicyStatus.ACTIVE:
        return
    deposit_services.guarantee_set_amount(
        source_ref=policy_ref(policy),
        amount_minor=max(limit, GUARANTEE_FLOOR_MINOR),
        reason=f"Insurance limit remaining after {why}",
        now=now,
    )


# --- Reversal (an upheld appeal) -------------------------------------------------------------


@dataclass(frozen=True)
class AdvanceReversal:
    advance: Advance
    recovery: Recovery
    returned_minor: int  # given back to the insurer from compensation payable
    refund_minor: int  # what the merchant had repaid: the caller refunds it
    transaction: LedgerTransaction | None  # the insurer's side (None when nothing was owed)


def advance_reverse(*, advance_id: int, reason: str, now: datetime) -> AdvanceReversal:
    """The claim this advance paid was reversed: the insurer gets back what the merchant still
    owed, the recovery is cancelled, and what the merchant repaid is returned to the caller to
    refund. Building block (plain atomic) inside the claims appeal decision."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": ["Say why the advance is reversed."]})
    policy_id = Advance.objects.filter(pk=advance_id).values_list("policy_id", flat=True).first()
    if policy_id is None:
        raise NotFound(gettext("No such advance."))
    with transaction.atomic():
        _lock_deposit_account_of(policy_id)
        policy = locks.lock_policy(policy_id)
        advance = Advance.objects.get(pk=advance_id)
        recovery_id = Recovery.objects.filter(advance=advance).values_list("pk", flat=True).first()
        if not advance.amount_minor or recovery_id is None:
            raise InvalidTransition(gettext("Nothing was advanced: there is nothing to reverse."))
        recovery = locks.lock_recovery(recovery_id)
        if recovery.status == RecoveryStatus.CANCELLED:
            raise InvalidTransition(gettext("The recovery was already cancelled."))
        outstanding = recovery.status in OUTSTANDING_STATUSES
        returned = recovery.outstanding_minor if outstanding else 0
        refund = recovery.amount_minor - returned
        ledger_tx = None
        if returned:
            # The consumer's payable gives back the part the merchant still owed: with the
            # advance and the repayments, this policy's INSURER_ADVANCES balance nets to 0 for
            # the recovery, which no longer counts as outstanding.
            ledger_tx, _ = deposit_services.system_transfer(
                source=SystemAccount.COMPENSATION_PAYABLE,
                destination=SystemAccount.INSURER_ADVANCES,
                amount_minor=returned,
                currency=recovery.currency,
                kind=TransactionKind.REVERSAL,
                reason=f"撤销: advance for claim {advance.claim_ref} reversed ({reason})"[:300],
                reference=policy_ref(policy),
                idempotency_key=f"insurance_advance_reversal:{advance.public_id}",
                now=now,
            )
        if outstanding:
            was_overdue = recovery.status == RecoveryStatus.OVERDUE
            Recovery.objects.filter(pk=recovery.pk).update(
                status=RecoveryStatus.CANCELLED, cancelled_at=now, outstanding_minor=0
            )
            recovery.refresh_from_db()
            if was_overdue:
                shop_services.restrictions_lift(
                    shop=policy.shop,
                    source=RestrictionSource.INSURANCE,
                    source_ref=recovery_ref(recovery),
                    now=now,
                    reason=f"The claim behind the insurer's advance was reversed ({reason}).",
                )
            _guarantee_follow_limit(
                policy,
                _limit_remaining(policy),
                now=now,
                why=f"reversal of the advance for claim {advance.claim_ref}",
            )
            data = recovery_data(recovery) | {"returned_minor": returned, "refund_minor": refund}
            _publish(policy, EVENT_RECOVERY_CANCELLED, data, now=now)
    return AdvanceReversal(
        advance=advance,
        recovery=recovery,
        returned_minor=returned,
        refund_minor=refund,
        transaction=ledger_tx,
    )


# --- Repayment --------------------------------------------------------------------------------


def recovery_repay(
    *,
    recovery_id: int,
    amount_minor: int,
    currency: str,
    payment_ref: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> Recovery:
    """A confirmed payment from the merchant towards a recovery; partial payments allowed.
    Fully repaid: REPAID, the limit and guarantee restored, and the shop's supervision for this
    recovery lifted at once (shops announces `shop.status_changed`)."""
    _validate_amount(amount_minor)
    payment_ref = (payment_ref or "").strip()
    if not payment_ref or len(payment_ref) > 100:
        raise InvalidInput(fields={"payment_ref": ["Must be 1 to 100 characters."]})
    policy_id = Recovery.objects.filter(pk=recovery_id).values_list("policy_id", flat=True).first()
    if policy_id is None:
        raise NotFound(gettext("No such recovery."))
    with transaction.atomic():
        _lock_deposit_account_of(policy_id)
        policy = locks.lock_policy(policy_id)
        recovery = locks.lock_recovery(recovery_id)
        if recovery.status not in OUTSTANDING_STATUSES:
            raise InvalidTransition(
                gettext("The recovery is %(status)s: nothing is owed.")
                % {"status": recovery.status}
            )
        if currency != recovery.currency:
            raise CurrencyMismatch(
                gettext("The recovery is in %(currency)s.") % {"currency": recovery.currency},
                fields={"currency": [f"Must be {recovery.currency}, the recovery's currency."]},
            )
        # The reference is the paying shop's partner's: unique among its repayments only, so
        # that another partner's reference is credited like a new one instead of revealing it.
        partner_id = policy.shop.partner_id
        if RecoveryRepayment.objects.filter(
            payment_partner_id=partner_id, payment_ref=payment_ref
        ).exists():
            raise _duplicate_repayment()
        if amount_minor > recovery.outstanding_minor:
            raise InvalidInput(
                gettext("Only %(outstanding)s of the advance is outstanding.")
                % {"outstanding": money_and_minor(recovery.outstanding_minor, recovery.currency)},
                fields={
                    "amount_minor": [
                        f"Must be at most {recovery.outstanding_minor}, the outstanding amount."
                    ]
                },
            )
        try:
            ledger_tx, replayed = deposit_services.system_transfer(
                source=SystemAccount.PAYMENTS_CLEARING,
                destination=SystemAccount.INSURER_ADVANCES,
                amount_minor=amount_minor,
                currency=currency,
                kind=TransactionKind.RECOVERY_REPAYMENT,
                reason=f"Repayment of the advance for claim {recovery.advance.claim_ref}",
                reference=policy_ref(policy),
                idempotency_key=_repayment_key(partner_id, payment_ref),
                payment_ref=payment_ref,
                payment_partner_id=partner_id,
                now=now,
                actor=actor,
            )
        except IdempotencyKeyReused:
            replayed = True
        if replayed:
            # The key is the reference's, and no repayment held it under our locks: another
            # repayment of this partner (another policy, so not behind our locks) took it since.
            raise _duplicate_repayment()
        RecoveryRepayment.objects.create(
            recovery=recovery,
            amount_minor=amount_minor,
            currency=currency,
            payment_ref=payment_ref,
            payment_partner_id=partner_id,
            ledger_transaction=ledger_tx,
            repaid_at=now,
        )
        was_overdue = recovery.status == RecoveryStatus.OVERDUE
        recovery.outstanding_minor -= amount_minor
        fields = ["outstanding_minor"]
        if recovery.outstanding_minor == 0:
            recovery.status, recovery.repaid_at = RecoveryStatus.REPAID, now
            fields += ["status", "repaid_at"]
        recovery.save(update_fields=fields)
        _guarantee_follow_limit(
            policy, _limit_remaining(policy), now=now, why=f"repayment {payment_ref}"
        )
        data = recovery_data(recovery) | {
            "repayment": {"amount_minor": amount_minor, "payment_ref": payment_ref}
        }
        if recovery.status == RecoveryStatus.REPAID:
            if was_overdue:
                shop_services.restrictions_lift(
                    shop=policy.shop,
                    source=RestrictionSource.INSURANCE,
                    source_ref=recovery_ref(recovery),
                    now=now,
                    reason=f"The insurer's advance was repaid in full ({payment_ref}).",
                    actor=actor,
                )
            _publish(policy, EVENT_RECOVERY_REPAID, data, now=now)
            _notify(
                policy,
                f"{recovery_ref(recovery)}:repaid",
                "insurance_recovery_repaid",
                lambda language: texts.repaid(
                    language=language, policy=policy, advance=recovery.advance, recovery=recovery
                ),
                now,
            )
        else:
            _publish(policy, EVENT_REPAYMENT_RECEIVED, data, now=now)
    return recovery


def _repayment_key(partner_id: int | None, payment_ref: str) -> str:
    """The ledger's idempotency key of a repayment: per partner, as its reference is, so two
    partners' identical references never meet on one key (no partner: the key it always had)."""
    if partner_id is None:
        return f"insurance_repayment:{payment_ref}"
    return f"insurance_repayment:{partner_id}:{payment_ref}"


def _duplicate_repayment() -> DuplicateReference:
    return DuplicateReference(
        gettext("This payment has already been credited."),
        fields={"payment_ref": ["Already used by another payment."]},
    )


# --- Reminders and overdue --------------------------------------------------------------------


def recoveries_due_scan(*, now: datetime, limit: int = SCAN_LIMIT) -> list[int]:
    """Ids of the recoveries with a reminder or the overdue step due (one set-based query);
    the caller runs `recovery_process` for each, one task apiece."""
    return selectors.recoveries_due(now=now, today=_local_date(now), limit=limit)


def recovery_process(*, recovery_id: int, now: datetime) -> str:
    """Do what is due for one recovery, exactly once: "overdue" (OPEN → OVERDUE by
    compare-and-set, `insurance.recovery_overdue`, the shop SUPERVISED with the reason and what
    lifts it, a notice), "reminder_1d" / "reminder_3d" (a notice and e-mail, marked sent in the
    same transaction), or "nothing". A second run, or a second worker waiting on the lock, finds
    it done."""
    policy_id = Recovery.objects.filter(pk=recovery_id).values_list("policy_id", flat=True).first()
    if policy_id is None:
        return "nothing"
    with transaction.atomic(durable=True):
        _lock_deposit_account_of(policy_id)
        policy = locks.lock_policy(policy_id)
        recovery = locks.lock_recovery(recovery_id)
        if recovery.status != RecoveryStatus.OPEN:
            return "nothing"
        language = policy.shop.merchant.language
        if now >= recovery.due_at:
            moved = Recovery.objects.filter(pk=recovery.pk, status=RecoveryStatus.OPEN).update(
                status=RecoveryStatus.OVERDUE, overdue_at=now
            )
            if not moved:  # pragma: no cover - the lock makes this unreachable
                return "nothing"
            recovery.status, recovery.overdue_at = RecoveryStatus.OVERDUE, now
            advance = recovery.advance
            shop_services.restriction_add(
                shop=policy.shop,
                kind=RestrictionKind.SUPERVISED,
                source=RestrictionSource.INSURANCE,
                source_ref=recovery_ref(recovery),
                reason=texts.overdue_reason(
                    language=language, policy=policy, advance=advance, recovery=recovery
                ),
                lifts_when=texts.overdue_lifts_when(
                    language=language, policy=policy, advance=advance, recovery=recovery
                )[:300],
                now=now,
            )
            _publish(policy, EVENT_RECOVERY_OVERDUE, recovery_data(recovery), now=now)
            _notify(
                policy,
                f"{recovery_ref(recovery)}:overdue",
                "insurance_recovery_overdue",
                lambda language: texts.overdue(
                    language=language, policy=policy, advance=advance, recovery=recovery
                ),
                now,
            )
            return "overdue"
        days_left = (recovery.due_on - _local_date(now)).days
        for days, field in ((1, "reminded_1d_at"), (3, "reminded_3d_at")):
            if days_left <= days and getattr(recovery, field) is None:
                # A late 3-day reminder is not sent once the 1-day one has gone.
                Recovery.objects.filter(pk=recovery.pk).update(
                    reminded_1d_at=recovery.reminded_1d_at or (now if days == 1 else None),
                    reminded_3d_at=recovery.reminded_3d_at or now,
                )
                key = f"{recovery_ref(recovery)}:reminder_{days}d"
                _notify(
                    policy,
                    key,
                    "insurance_recovery_reminder",
                    lambda language: texts.reminder(
                        language=language,
                        policy=policy,
                        advance=recovery.advance,
                        recovery=recovery,
                        days=max(days_left, 0),
                    ),
                    now,
                )
                return f"reminder_{days}d"
        return "nothing"


# --- Events, notices, representations ---------------------------------------------------------


def recovery_summary(recovery: Recovery) -> dict[str, Any]:
    return {
        "id": str(recovery.public_id),
        "due_on": recovery.due_on.isoformat(),
        "due_at": utc_iso(recovery.due_at),
        "amount_minor": recovery.amount_minor,
        "outstanding_minor": recovery.outstanding_minor,
        "status": recovery.status,
    }


def advance_data(advance: Advance) -> dict[str, Any]:
    """An advance as partners see it (api-v1.md), with its recovery."""
    recovery = getattr(advance, "recovery", None) if advance.amount_minor else None
    return {
        "id": str(advance.public_id),
        "policy": str(advance.policy.public_id),
        "claim": advance.claim_ref,
        "amount_minor": advance.amount_minor,
        "requested_minor": advance.requested_minor,
        "uncovered_minor": advance.uncovered_minor,
        "currency": advance.currency,
        "advanced_at": utc_iso(advance.advanced_at),
        "recovery": recovery_summary(recovery) if recovery is not None else None,
    }


def recovery_data(recovery: Recovery) -> dict[str, Any]:
    """A recovery with its advance and repayments (the repayment endpoint's answer)."""
    return recovery_summary(recovery) | {
        "advance": str(recovery.advance.public_id),
        "policy": str(recovery.policy.public_id),
        "claim": recovery.advance.claim_ref,
        "currency": recovery.currency,
        "overdue_at": utc_iso(recovery.overdue_at),
        "repaid_at": utc_iso(recovery.repaid_at),
        "repayments": [
            {
                "amount_minor": r.amount_minor,
                "payment_ref": r.payment_ref,
                "repaid_at": utc_iso(r.repaid_at),
            }
            for r in recovery.repayments.order_by("repaid_at", "id")
        ],
    }


def _publish(policy: Policy, type: str, data: dict[str, Any], *, now: datetime) -> None:
    """To the shop's partner and the policy's insurer (once when they are the same)."""
    for partner_id in dict.fromkeys(
        p for p in (policy.shop.partner_id, policy.insurer_id) if p is not None
    ):
        partner_services.event_publish(
            partner_id=partner_id,
            type=type,
            data=data,
            now=now,
            ordering_key=str(policy.shop.public_id),
        )


def _notify(
    policy: Policy, key: str, kind: str, text_in: Callable[[str], texts.Text], now: datetime
) -> None:
    """A notice written in every language (`text_in(language)`), so each reader sees it in their
    own and the e-mail goes out in the merchant's."""
    shop = policy.shop
    written = {code: text_in(code) for code, _name in settings.LANGUAGES}
    notice, created = shop_services.notification_create(
        merchant_id=shop.merchant_id,
        shop_id=shop.pk,
        dedupe_key=key,
        kind=kind,
        language=shop.merchant.language,
        texts={code: (text.title, text.body) for code, text in written.items()},
        now=now,
    )
    if created:
        shop_services.notification_email_enqueue_on_commit(notice.pk)

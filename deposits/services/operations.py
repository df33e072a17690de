"""Ledger operations on one shop's deposit: top-up, deduction, withdrawal, refund, forfeiture,
adjustment and reversal. Each is a planner handed to `posting.run_operation` (see there for the
locking and idempotency rules); all are keyword-only, take `now`, and are safe to retry.
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from approvals import registry as approvals_registry
from approvals import services as four_eyes
from approvals.models import FourEyesRequest
from approvals.services import four_eyes_route
from common.errors import (
    DomainError,
    InsufficientFunds,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RefundBlocked,
    ShopFrozen,
    WouldCauseShortfall,
)
from common.templatetags.money import money, money_and_minor
from deposits.domain.coverage import WithdrawLimit
from deposits.models import (
    Account,
    AdjustmentRequest,
    Entry,
    Hold,
    LedgerTransaction,
    PayoutAccount,
    SystemAccount,
    TransactionKind,
    Withdrawal,
)
from deposits.services.guards import refuse_when_closed
from deposits.services.posting import (
    Leg,
    Plan,
    Planner,
    PostingRequest,
    PostingResult,
    run_operation,
    validate_amount,
)
from deposits.services.posting_receipt import Receipt
from deposits.services.shortfall import evaluates_shortfall
from shops import services as shop_services
from shops.models import RestrictionKind, ShopRestriction

MARKET_TZ = ZoneInfo("Asia/Shanghai")
POSTED = Entry.Bucket.POSTED
DEBT = Entry.Bucket.DEBT


def _after_commit_side_effects(account: Account, now: datetime) -> None:
    """A shop leaves onboarding the first time its deposit covers the requirement in full."""
    shop = account.shop
    if shop is not None and shop.went_live_at is None and shop.closed_at is None:
        if account.coverage.is_paid_in_full:
            shop_services.shop_mark_live(shop=shop, now=now)


def _adjustment_exceeds(account: Account) -> str:
    """Ops read it in the admin (adjustments are not in the partner API): money as they see it
    on the account's page, not raw minor units."""
    return gettext("The adjustment exceeds the available deposit (%(available)s).") % {
        "available": money(account.available_minor, account.currency)
    }


def _require_text(value: str, field: str, message: str) -> str:
    if not value or not value.strip():
        raise InvalidInput(fields={field: [message]})
    return value.strip()


@evaluates_shortfall
def deposit_top_up(
    *,
    account_id: int,
    amount_minor: int,
    currency: str,
    payment_ref: str,
    idempotency_key: str,
    now: datetime,
    reason: str = "充值",
    actor: AbstractBaseUser | None = None,
    snapshot: Account | None = None,
    receipt: Receipt | None = None,
) -> PostingResult:
    """Credit a confirmed payment. Pays off any debt first; the rest raises the balance.

    `receipt`: as for deposit_deduct, the API's record stored by the posting's own call."""
    snapshot = refuse_when_closed(
        account_id=account_id, idempotency_key=idempotency_key, snapshot=snapshot
    )
    validate_amount(amount_minor)
    payment_ref = _require_text(payment_ref, "payment_ref", "The payment provider's reference.")

    def plan(account: Account) -> Plan:
        to_debt = min(account.debt_minor, amount_minor)
        return Plan(
            legs=[
                Leg(-amount_minor, system=SystemAccount.PAYMENTS_CLEARING),
                Leg(to_debt, bucket=DEBT),
                Leg(amount_minor - to_debt, bucket=POSTED),
            ],
            depends_on=frozenset({"debt_minor"}),  # how much pays off the debt
        )

    # One transaction with the shop's going live, which the first full payment triggers. A shop
    # already live (went_live_at is never cleared) has nothing to go with the posting: in
    # autocommit the posting's call is its own transaction, one round trip instead of three.
    shop_ref = getattr(snapshot, "shop_ref", None)
    already_live = shop_ref is not None and shop_ref.went_live
    with nullcontext() if already_live else transaction.atomic():
        result = run_operation(
            PostingRequest(
                account_id=account_id,
                kind=TransactionKind.TOP_UP,
                idempotency_key=idempotency_key,
                params={"amount_minor": amount_minor, "payment_ref": payment_ref},
                amount_minor=amount_minor,
                currency=currency,
                reason=reason,
                reference=payment_ref,
                payment_ref=payment_ref,
                now=now,
                actor=actor,
            ),
            plan,
            optimistic=True,
            snapshot=snapshot,
            receipt=receipt,
        )
        shop = getattr(result.account, "shop_ref", None)
        if not result.replayed and shop is not None and not shop.went_live:
            _after_commit_side_effects(
                Account.objects.select_related("shop").get(pk=result.account.pk), now
            )
    return result


@evaluates_shortfall
def deposit_deduct(
    *,
    account_id: int,
    amount_minor: int,
    currency: str,
    reason: str,
    reference: str,
    idempotency_key: str,
    now: datetime,
    allow_debt: bool = False,
    actor: AbstractBaseUser | None = None,
    snapshot: Account | None = None,
    receipt: Receipt | None = None,
) -> PostingResult:
    """Pay a consumer out of the deposit. Refused with insufficient_funds when available is short,
    unless `allow_debt`: then what is available is taken and the rest becomes the merchant's debt
    (the platform still pays the consumer, domain.md §3)."""
    snapshot = refuse_when_closed(
        account_id=account_id, idempotency_key=idempotency_key, snapshot=snapshot
    )
    validate_amount(amount_minor)
    reason = _require_text(reason, "reason", "Say why the deposit is deducted.")

    def plan(account: Account) -> Plan:
        available = account.available_minor
        if amount_minor > available and not allow_debt:
            return Plan(
                error=InsufficientFunds(
                    gettext(
                        "Available deposit is %(available)s, less than the %(amount)s deducted."
                    )
                    % {
                        "available": money_and_minor(available, account.currency),
                        "amount": money_and_minor(amount_minor, account.currency),
                    }
                )
            )
        take = min(amount_minor, max(available, 0))
        return Plan(
            legs=[
                Leg(-take, bucket=POSTED),
                Leg(-(amount_minor - take), bucket=DEBT),
                Leg(amount_minor, system=SystemAccount.COMPENSATION_PAYABLE),
            ],
            # Taking the whole amount stays right whatever the balance, as long as available
            # stays >= 0 (the posting function checks that); taking what is left does not.
            depends_on=(
                frozenset() if take == amount_minor else frozenset({"posted_minor", "held_minor"})
            ),
        )

    return run_operation(
        PostingRequest(
            account_id=account_id,
            kind=TransactionKind.DEDUCTION,
            idempotency_key=idempotency_key,
            params={
                "amount_minor": amount_minor,
                "reason": reason,
                "reference": reference,
                "allow_debt": allow_debt,
            },
            amount_minor=amount_minor,
            currency=currency,
            reason=reason,
            reference=reference,
            now=now,
            actor=actor,
        ),
        plan,
        optimistic=True,
        snapshot=snapshot,
        receipt=receipt,
    )


def deposit_withdraw(
    *,
    account_id: int,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    now: datetime,
    # The ledger memo is data in the platform's vocabulary (domain.md §3), like 充值 and 保证金退款,
    # whichever way the withdrawal came (dashboard or API).
    reason: str = "保证金提现",
    actor: AbstractBaseUser | None = None,
) -> PostingResult:
    """Pay surplus back to the merchant; never below the requirement, never while in debt."""
    refuse_when_closed(account_id=account_id, idempotency_key=idempotency_key)
    validate_amount(amount_minor)

    def plan(account: Account) -> Plan:
        # A shop frozen by ops (e.g. a counterfeit investigation that may end in forfeiture)
        # keeps its deposit until the freeze is lifted.
        if ShopRestriction.objects.filter(
            shop_id=account.shop_id, kind=RestrictionKind.FROZEN, lifted_at__isnull=True
        ).exists():
            return Plan(error=ShopFrozen())
        coverage = account.coverage

        def m(amount: int) -> str:
            return money_and_minor(amount, account.currency)

        if amount_minor > coverage.available_minor:
            return Plan(
                error=InsufficientFunds(
                    gettext("Only %(available)s is available to withdraw.")
                    % {"available": m(coverage.available_minor)}
                )
            )
        if amount_minor > coverage.withdrawable_minor:
            if coverage.withdraw_limit == WithdrawLimit.DEBT:
                detail = gettext("Nothing can be withdrawn while %(debt)s is owed.") % {
                    "debt": m(coverage.debt_minor)
                }
            else:
                detail = gettext(
                    "The deposit must stay at %(required)s; at most %(withdrawable)s can be "
                    "withdrawn now."
                ) % {
                    "required": m(coverage.required_minor),
                    "withdrawable": m(coverage.withdrawable_minor),
                }
            return Plan(error=WouldCauseShortfall(detail))
        return Plan(
            legs=[
                Leg(-amount_minor, bucket=POSTED),
                Leg(amount_minor, system=SystemAccount.WITHDRAWALS_PAYABLE),
            ]
        )

    # The posting and its payout record (the reference the merchant quotes) commit together.
    # A refusal is stored by run_operation and raised after its block; it is caught here so that
    # the FAILED row commits with this block too, and raised once the block is left.
    refusal: DomainError | None = None
    with transaction.atomic():
        try:
            result = _withdraw_posting(
                account_id, amount_minor, currency, idempotency_key, now, reason, actor, plan
            )
        except DomainError as exc:
            refusal = exc
        else:
            _withdrawal_record(result)
    if refusal is not None:
        raise refusal
    return result


def _withdrawal_reference(tx: LedgerTransaction) -> str:
    """ "WD-2026-000123": the year of the request in China time and the transaction's number, so
    it is unique without a counter of its own and a person can read it out on the phone."""
    year = timezone.localtime(tx.occurred_at, MARKET_TZ).year
    return f"WD-{year}-{tx.pk:06d}"


def _withdrawal_record(result: PostingResult) -> Withdrawal:
    """The payout record of a posted withdrawal: created once (a replay finds it), with the
    tail of the account the shop has bound for payouts, if any."""
    tx = result.transaction
    existing = Withdrawal.objects.filter(transaction=tx).first()
    if existing is not None:
        return existing
    tail = (
        PayoutAccount.objects.filter(shop_id=result.account.shop_id)
        .values_list("account_tail", flat=True)
        .first()
    )
    return Withdrawal.objects.create(
        reference=_withdrawal_reference(tx),
        transaction=tx,
        account_id=tx.account_id,
        amount_minor=tx.amount_minor,
        currency=tx.currency,
        bank_account_tail=tail or "",
        requested_at=tx.occurred_at,
    )


def _withdraw_posting(  # noqa: PLR0913
    account_id: int,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    now: datetime,
    reason: str,
    actor: AbstractBaseUser | None,
    plan: Planner,
) -> PostingResult:
    return run_operation(
        PostingRequest(
            account_id=account_id,
            kind=TransactionKind.WITHDRAWAL,
            idempotency_key=idempotency_key,
            params={"amount_minor": amount_minor},
            amount_minor=amount_minor,
            currency=currency,
            reason=reason,
            reference="",
            now=now,
            actor=actor,
        ),
        plan,
        # Locked: the planner also reads the shop's freeze, and runs as close to the write as
        # it can (run_operation's optimistic planners read nothing but the account).
    )


def add_working_days(start: datetime, days: int) -> datetime:
    """Monday–Friday counting; public holidays are not modelled (documented in operations.md)."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def refund_available_at(closed_at: datetime) -> datetime:
    """Exit refund date: 30 days + 10 working days after the exit is confirmed (domain.md §3)."""
    local = timezone.localtime(closed_at)
    after_days = local + timedelta(days=settings.DEPOSIT_REFUND_DELAY_DAYS)
    return add_working_days(after_days, settings.DEPOSIT_REFUND_DELAY_WORKING_DAYS)


def deposit_refund_on_exit(
    *,
    account_id: int,
    idempotency_key: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> PostingResult:
    """Refund the whole deposit of a closed shop once the exit delay has passed, no hold is open
    and no debt is owed."""
    account = Account.objects.select_related("shop").get(pk=account_id)
    shop = account.shop
    if shop is None or shop.closed_at is None:
        raise RefundBlocked(gettext("Only a closed shop's deposit is refunded."))
    release_at = refund_available_at(shop.closed_at)
    if now < release_at:
        raise RefundBlocked(
            gettext("The deposit is released on %(on)s, not before.")
            % {"on": f"{release_at:%Y-%m-%d}"}
        )

    def plan(locked: Account) -> Plan:
        if Hold.objects.filter(account_id=locked.pk, status=Hold.Status.ACTIVE).exists():
            return Plan(
                error=RefundBlocked(gettext("Holds for open claims must be resolved first."))
            )
        if locked.debt_minor:
            return Plan(error=RefundBlocked(gettext("The merchant's debt must be repaid first.")))
        if locked.posted_minor == 0:
            return Plan(error=RefundBlocked(gettext("There is nothing left to refund.")))
        return Plan(
            legs=[
                Leg(-locked.posted_minor, bucket=POSTED),
                Leg(locked.posted_minor, system=SystemAccount.REFUNDS_PAYABLE),
            ],
            amount_minor=locked.posted_minor,  # read under the lock, not before it
        )

    return run_operation(
        PostingRequest(
            account_id=account_id,
            kind=TransactionKind.REFUND,
            idempotency_key=idempotency_key,
            params={"refund": "all"},
            amount_minor=account.posted_minor,
            currency=account.currency,
            reason="保证金退款",
            reference=f"exit:{shop.public_id}",
            now=now,
            actor=actor,
        ),
        plan,
    )


@evaluates_shortfall
def deposit_forfeit(
    *,
    account_id: int,
    reason: str,
    actor: AbstractBaseUser,
    idempotency_key: str,
    now: datetime,
) -> PostingResult:
    """Ops forfeit (罚没) what is available, e.g. a shop cleared out for counterfeits."""
    reason = _require_text(reason, "reason", "Say why the deposit is forfeited.")
    currency = Account.objects.values_list("currency", flat=True).get(pk=account_id)

    def plan(account: Account) -> Plan:
        available = account.available_minor
        if available <= 0:
            return Plan(error=InsufficientFunds(gettext("Nothing is available to forfeit.")))
        return Plan(
            legs=[Leg(-available, bucket=POSTED), Leg(available, system=SystemAccount.PENALTIES)],
            depends_on=frozenset({"posted_minor", "held_minor"}),  # it takes all available
            amount_minor=available,
        )

    return run_operation(
        PostingRequest(
            account_id=account_id,
            kind=TransactionKind.FORFEIT,
            idempotency_key=idempotency_key,
            params={"reason": reason},
            amount_minor=0,
            currency=currency,
            reason=reason,
            reference="",
            now=now,
            actor=actor,
        ),
        plan,
        optimistic=True,
    )


@evaluates_shortfall
def _post_adjustment(
    *,
    account_id: int,
    amount_minor: int,
    reason: str,
    actor: AbstractBaseUser,
    idempotency_key: str,
    now: datetime,
) -> PostingResult:
    refuse_when_closed(account_id=account_id, idempotency_key=idempotency_key)
    currency = Account.objects.values_list("currency", flat=True).get(pk=account_id)

    def plan(account: Account) -> Plan:
        if amount_minor < 0 and -amount_minor > account.available_minor:
            return Plan(error=InsufficientFunds(_adjustment_exceeds(account)))
        return Plan(
            legs=[
                Leg(amount_minor, bucket=POSTED),
                Leg(-amount_minor, system=SystemAccount.ADJUSTMENTS),
            ],
            depends_on=frozenset(),  # refused exactly when available would go below zero
        )

    return run_operation(
        PostingRequest(
            account_id=account_id,
            kind=TransactionKind.ADJUSTMENT,
            idempotency_key=idempotency_key,
            params={"amount_minor": amount_minor, "reason": reason},
            amount_minor=amount_minor,
            currency=currency,
            reason=reason,
            reference="",
            now=now,
            actor=actor,
        ),
        plan,
        optimistic=True,
    )


def deposit_adjust(
    *,
    account_id: int,
    amount_minor: int,
    reason: str,
    actor: AbstractBaseUser,
    idempotency_key: str,
    now: datetime,
) -> PostingResult | AdjustmentRequest:
    """Ops correct a balance by hand (signed amount). Above the four-eyes threshold, or past the
    maker's daily limit of adjustments carried out alone, the adjustment waits for a second
    person (approvals, action "deposits.adjustment") and this returns the pending request."""
    refuse_when_closed(account_id=account_id, idempotency_key=idempotency_key)
    if amount_minor == 0:
        raise InvalidInput(fields={"amount_minor": ["An adjustment cannot be zero."]})
    validate_amount(abs(amount_minor))
    reason = _require_text(reason, "reason", "Say why the balance is adjusted.")
    account = Account.objects.select_related("shop").get(pk=account_id)

    def check() -> None:
        # A debit that could not post now is refused now, not queued for a second person whose
        # approval would then be refused. (Approval checks again: the balance may have moved.)
        if amount_minor < 0 and -amount_minor > account.available_minor:
            raise InsufficientFunds(_adjustment_exceeds(account))

    return four_eyes_route(
        action=AdjustmentRequest.ACTION,
        maker=actor,
        reason=reason,
        now=now,
        amount_minor=amount_minor,
        currency=account.currency,
        subject=account,
        subject_label=account.shop.name if account.shop_id else str(account),
        payload={"account_id": account_id, "amount_minor": amount_minor},
        check=check,
        carry_out=lambda: _post_adjustment(
            account_id=account_id,
            amount_minor=amount_minor,
            reason=reason,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
        ),
    )


def adjustment_carry_out(
    *, request: FourEyesRequest, checker: AbstractBaseUser, now: datetime, note: str = ""
) -> PostingResult:
    """The executor of an approved adjustment (registered in deposits.apps)."""
    return _post_adjustment(
        account_id=request.payload["account_id"],
        amount_minor=request.payload["amount_minor"],
        reason=request.reason,
        actor=checker,
        idempotency_key=approvals_registry.idempotency_key(request),
        now=now,
    )


def adjustments_alone_since(*, maker: AbstractBaseUser, since: datetime) -> int:
    """What one maker adjusted alone (carried out at once, not through a second person) since a
    moment, in absolute minor units: the daily limit's measure."""
    rows = LedgerTransaction.objects.filter(
        kind=TransactionKind.ADJUSTMENT,
        status=LedgerTransaction.Status.POSTED,
        actor=maker,
        occurred_at__gte=since,
    ).exclude(idempotency_key__startswith="four-eyes:")
    return sum(abs(amount) for amount in rows.values_list("amount_minor", flat=True))


def adjustment_approve(
    *, request_id: int, actor: AbstractBaseUser, now: datetime, note: str = ""
) -> PostingResult:
    """The second person approves: the adjustment posts. Refused for the requester themself."""
    return four_eyes.request_approve(request_id=request_id, checker=actor, now=now, note=note)


def adjustment_reject(
    *, request_id: int, actor: AbstractBaseUser, now: datetime, note: str
) -> None:
    four_eyes.request_reject(request_id=request_id, checker=actor, now=now, note=note)


def deposit_forfeit_or_request(
    *, account_id: int, reason: str, actor: AbstractBaseUser, idempotency_key: str, now: datetime
) -> PostingResult | FourEyesRequest:
    """Ops forfeit the available deposit: at once up to the four-eyes threshold, else a request
    for a second person (action "deposits.forfeit"). The approval forfeits what is available
    then, which the second person sees on the request's page."""
    reason = _require_text(reason, "reason", "Say why the deposit is forfeited.")
    account = Account.objects.select_related("shop").get(pk=account_id)

    def check() -> None:
        if account.available_minor <= 0:
            raise InsufficientFunds(gettext("Nothing is available to forfeit."))

    return four_eyes_route(
        action="deposits.forfeit",
        maker=actor,
        reason=reason,
        now=now,
        amount_minor=account.available_minor,
        currency=account.currency,
        subject=account,
        subject_label=account.shop.name if account.shop_id else str(account),
        payload={"account_id": account_id, "available_when_asked_minor": account.available_minor},
        check=check,
        carry_out=lambda: deposit_forfeit(
            account_id=account_id,
            reason=reason,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
        ),
    )


def forfeit_carry_out(
    *, request: FourEyesRequest, checker: AbstractBaseUser, now: datetime, note: str = ""
) -> PostingResult:
    return deposit_forfeit(
        account_id=request.payload["account_id"],
        reason=request.reason,
        actor=checker,
        idempotency_key=approvals_registry.idempotency_key(request),
        now=now,
    )


@evaluates_shortfall
def transaction_reverse(
    *,
    transaction_id: int,
    reason: str,
    actor: AbstractBaseUser | None,
    idempotency_key: str,
    now: datetime,
) -> PostingResult:
    """Correct a posting by a new one with every entry negated (撤销); the original stays."""
    reason = _require_text(reason, "reason", "Say why the transaction is reversed.")
    original = (
        LedgerTransaction.objects.filter(pk=transaction_id).prefetch_related("entries").first()
    )
    if original is None:
        raise NotFound(gettext("No such transaction."))
    if original.status != LedgerTransaction.Status.POSTED or not original.entries.all():
        raise InvalidTransition(
            gettext("Only a posted transaction that moved money can be reversed.")
        )
    if original.kind == TransactionKind.REVERSAL:
        raise InvalidTransition(
            gettext("A reversal cannot itself be reversed; post a new operation.")
        )
    account_id = original.account_id

    def plan(account: Account) -> Plan:
        legs = []
        for entry in original.entries.all():
            if entry.account_id == account.pk:
                legs.append(Leg(-entry.amount_minor, bucket=entry.bucket))
            else:
                code = Account.objects.values_list("system_code", flat=True).get(
                    pk=entry.account_id
                )
                legs.append(Leg(-entry.amount_minor, system=code))
        after = account.coverage.after(
            posted_delta=sum(leg.amount_minor for leg in legs if leg.bucket == POSTED),
            debt_delta=-sum(leg.amount_minor for leg in legs if leg.bucket == DEBT),
        )
        if after.available_minor < 0 or after.debt_minor < 0:
            return Plan(
                error=InsufficientFunds(gettext("The deposit no longer holds what this reverses."))
            )
        # Refused exactly when the account's invariants would break: nothing exact to check.
        return Plan(legs=legs, depends_on=frozenset())

    return run_operation(
        PostingRequest(
            account_id=account_id,
            kind=TransactionKind.REVERSAL,
            idempotency_key=idempotency_key,
            params={"reverses": transaction_id, "reason": reason},
            amount_minor=original.amount_minor,
            currency=original.currency,
            reason=f"撤销: {reason}",
            reference=f"reverses:{original.public_id}",
            reverses_id=original.pk,
            now=now,
            actor=actor,
        ),
        plan,
        optimistic=True,
    )


@evaluates_shortfall
def deposit_award_reverse(
    *,
    account_id: int,
    amount_minor: int,
    currency: str,
    reason: str,
    reference: str,
    idempotency_key: str,
    now: datetime,
    debt_cancel_minor: int = 0,
    actor: AbstractBaseUser | None = None,
) -> PostingResult:
    """Give back what a consumer's award took from this merchant (撤销, an upheld appeal): a new
    posting from compensation payable; nothing earlier is edited. Up to `debt_cancel_minor` of
    it cancels the debt the award created, as far as the merchant still owes it (a top-up since
    may have paid part of it); the rest is credited to the posted balance. Kind REVERSAL without
    `reverses` (one award may have moved money in several transactions, a capture and a
    deduction: the reference names the claim instead). Posts on a closed shop too (like every
    reversal: the exit refund then pays it out). Locks the account."""
    validate_amount(amount_minor)
    reason = _require_text(reason, "reason", "Say why the award is given back.")
    if debt_cancel_minor < 0 or debt_cancel_minor > amount_minor:
        raise InvalidInput(fields={"debt_cancel_minor": ["Between 0 and the amount given back."]})

    def plan(account: Account) -> Plan:
        cancel = min(account.debt_minor, debt_cancel_minor)
        return Plan(
            legs=[
                Leg(-amount_minor, system=SystemAccount.COMPENSATION_PAYABLE),
                Leg(cancel, bucket=DEBT),
                Leg(amount_minor - cancel, bucket=POSTED),
            ],
            depends_on=frozenset({"debt_minor"}),  # how much of the debt is still owed
        )

    return run_operation(
        PostingRequest(
            account_id=account_id,
            kind=TransactionKind.REVERSAL,
            idempotency_key=idempotency_key,
            params={
                "amount_minor": amount_minor,
                "debt_cancel_minor": debt_cancel_minor,
                "reason": reason,
                "reference": reference,
            },
            amount_minor=amount_minor,
            currency=currency,
            reason=f"撤销: {reason}",
            reference=reference,
            now=now,
            actor=actor,
        ),
        plan,
        optimistic=True,
    )

"""Holds: reserve part of the deposit for an open claim, then capture, release or let it expire.

A hold resolves exactly once. Every resolution locks the account first and then the hold (the
project's lock order) and checks `status == ACTIVE` under that lock, so a capture racing the expiry
sweeper sees either an ACTIVE hold (and wins) or a resolved one (and is refused with
`hold_not_active`).
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from common.errors import HoldNotActive, InsufficientFunds, InvalidInput
from common.templatetags.money import money_and_minor
from common.times import utc_iso
from deposits import locks
from deposits.models import Account, Entry, Hold, LedgerTransaction, SystemAccount, TransactionKind
from deposits.selectors import deposit_summary
from deposits.services.guards import refuse_when_closed
from deposits.services.posting import (
    Leg,
    Plan,
    PostingRequest,
    PostingResult,
    run_operation,
    validate_amount,
)
from deposits.services.shortfall import evaluates_shortfall, shortfall_after_posting
from partners import services as partner_services

POSTED = Entry.Bucket.POSTED


def hold_place(
    *,
    account_id: int,
    amount_minor: int,
    currency: str,
    reason: str,
    reference: str,
    expires_at: datetime,
    idempotency_key: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> Hold:
    refuse_when_closed(account_id=account_id, idempotency_key=idempotency_key)
    validate_amount(amount_minor)
    if not reason or not reason.strip():
        raise InvalidInput(fields={"reason": ["Say what the hold is for (the claim)."]})
    if expires_at <= now:
        raise InvalidInput(fields={"expires_at": ["Must be in the future."]})
    created: list[Hold] = []

    def plan(account: Account) -> Plan:
        available = account.available_minor
        if amount_minor > available:
            return Plan(
                error=InsufficientFunds(
                    gettext("Available deposit is %(available)s, less than the %(amount)s held.")
                    % {
                        "available": money_and_minor(available, account.currency),
                        "amount": money_and_minor(amount_minor, account.currency),
                    }
                )
            )

        def create_hold(tx: LedgerTransaction) -> None:
            hold = Hold.objects.create(
                account_id=account.pk,
                amount_minor=amount_minor,
                currency=currency,
                reason=reason.strip(),
                reference=reference,
                expires_at=expires_at,
                created_at=now,
            )
            tx.hold = hold
            created.append(hold)

        return Plan(held_delta=amount_minor, before_write=create_hold)

    result = run_operation(
        PostingRequest(
            account_id=account_id,
            kind=TransactionKind.HOLD,
            idempotency_key=idempotency_key,
            params={
                "amount_minor": amount_minor,
                "reason": reason,
                "reference": reference,
                "expires_at": expires_at.isoformat(),
            },
            amount_minor=amount_minor,
            currency=currency,
            reason=reason,
            reference=reference,
            now=now,
            actor=actor,
        ),
        plan,
    )
    shortfall_after_posting(result)
    if created and not result.replayed:
        return created[0]
    # A replay, including one found after the hold row of this attempt was rolled back.
    return Hold.objects.get(pk=result.transaction.hold_id)


@evaluates_shortfall
def _resolve(
    *,
    hold_id: int,
    kind: str,
    idempotency_key: str,
    now: datetime,
    capture_minor: int | None = None,
    actor: AbstractBaseUser | None = None,
    only_if_due: bool = False,
) -> PostingResult:
    hold = Hold.objects.get(pk=hold_id)
    new_status = {
        TransactionKind.HOLD_CAPTURE: Hold.Status.CAPTURED,
        TransactionKind.HOLD_RELEASE: Hold.Status.RELEASED,
        TransactionKind.HOLD_EXPIRY: Hold.Status.EXPIRED,
    }[kind]

    def plan(account: Account) -> Plan:
        locked = locks.lock_hold(hold_id)  # account is already locked
        if locked.status != Hold.Status.ACTIVE:
            return Plan(
                error=HoldNotActive(
                    gettext("The hold is already %(status)s.")
                    % {"status": locked.get_status_display().lower()}
                ),
                hold=locked,
            )
        if only_if_due and locked.expires_at > now:
            return Plan(error=HoldNotActive(gettext("The hold has not expired yet.")), hold=locked)
        captured = 0
        if kind == TransactionKind.HOLD_CAPTURE:
            captured = locked.amount_minor if capture_minor is None else capture_minor
            if captured > locked.amount_minor:
                at_most = gettext("At most the held %(held)s can be captured.") % {
                    "held": money_and_minor(locked.amount_minor, locked.currency)
                }
                return Plan(
                    error=InvalidInput(
                        # The field's name leads, as in the API's other 400s with fields.
                        f"amount_minor: {at_most}",
                        fields={"amount_minor": [f"At most the held {locked.amount_minor}."]},
                    ),
                    hold=locked,
                )

        def resolve(tx: LedgerTransaction) -> None:
            Hold.objects.filter(pk=locked.pk).update(
                status=new_status, captured_minor=captured, resolved_at=now
            )

        legs = []
        if captured:
            legs = [
                Leg(-captured, bucket=POSTED),
                Leg(captured, system=SystemAccount.COMPENSATION_PAYABLE),
            ]
        return Plan(legs=legs, held_delta=-locked.amount_minor, before_write=resolve, hold=locked)

    return run_operation(
        PostingRequest(
            account_id=hold.account_id,
            kind=kind,
            idempotency_key=idempotency_key,
            params={"hold": hold_id, "capture_minor": capture_minor},
            amount_minor=hold.amount_minor if capture_minor is None else capture_minor,
            currency=hold.currency,
            reason=hold.reason,
            reference=hold.reference,
            now=now,
            actor=actor,
        ),
        plan,
    )


def hold_capture(
    *,
    hold_id: int,
    idempotency_key: str,
    now: datetime,
    amount_minor: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> Hold:
    """Pay out all or part of a hold to the consumer; any remainder is released."""
    if amount_minor is not None:
        validate_amount(amount_minor)
    _resolve(
        hold_id=hold_id,
        kind=TransactionKind.HOLD_CAPTURE,
        idempotency_key=idempotency_key,
        now=now,
        capture_minor=amount_minor,
        actor=actor,
    )
    return Hold.objects.get(pk=hold_id)


def hold_release(
    *, hold_id: int, idempotency_key: str, now: datetime, actor: AbstractBaseUser | None = None
) -> Hold:
    _resolve(
        hold_id=hold_id,
        kind=TransactionKind.HOLD_RELEASE,
        idempotency_key=idempotency_key,
        now=now,
        actor=actor,
    )
    return Hold.objects.get(pk=hold_id)


def hold_expire(*, hold_id: int, now: datetime) -> bool:
    """Expire one due hold. Idempotent: returns False when it was already resolved, not due, or
    expired by an earlier call (its key replays)."""
    # expires_at never changes, so checking it before the lock is safe, and keeps a premature
    # call from storing a refusal under the one key the real expiry will use.
    if Hold.objects.filter(pk=hold_id, expires_at__gt=now).exists():
        return False
    try:
        with transaction.atomic():
            result = _resolve(
                hold_id=hold_id,
                kind=TransactionKind.HOLD_EXPIRY,
                idempotency_key=f"hold-expiry:{hold_id}",
                now=now,
                only_if_due=True,
            )
            if not result.replayed:
                _announce_expiry(result, hold_id, now)
    except HoldNotActive:
        return False
    return not result.replayed


def _announce_expiry(result: PostingResult, hold_id: int, now: datetime) -> None:
    """`hold.expired` to the shop's partner, in the expiry's transaction."""
    shop = getattr(result.account, "shop_ref", None)
    if shop is None:
        return
    hold = Hold.objects.get(pk=hold_id)
    partner_services.event_publish(
        partner_id=shop.partner_id,
        type="hold.expired",
        data={
            "shop": str(shop.public_id),
            "external_ref": shop.external_ref,
            "hold": {
                "id": str(hold.public_id),
                "shop": str(shop.public_id),
                "amount_minor": hold.amount_minor,
                "captured_minor": hold.captured_minor,
                "currency": hold.currency,
                "status": hold.status,
                "reason": hold.reason,
                "reference": hold.reference,
                "expires_at": utc_iso(hold.expires_at),
            },
            "deposit": deposit_summary(result.account).as_dict(),
        },
        now=now,
        ordering_key=str(shop.public_id),
    )


def holds_expire_due(*, now: datetime, limit: int = 500) -> int:
    """The sweeper: expire due holds, skipping accounts another transaction is working on.

    Candidates come from one indexed query; each is then expired under its account's lock taken
    with SKIP LOCKED, so a sweeper never waits behind (or deadlocks with) a capture in flight:
    a busy account is simply retried on the next sweep.
    """
    due = list(
        Hold.objects.filter(status=Hold.Status.ACTIVE, expires_at__lte=now)
        .order_by("expires_at", "id")
        .values_list("id", "account_id")[:limit]
    )
    expired = 0
    for hold_id, account_id in due:
        with transaction.atomic():
            if locks.try_lock_account(account_id) is None:
                continue
            if hold_expire(hold_id=hold_id, now=now):
                expired += 1
    return expired

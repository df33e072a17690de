"""Guarantees: register, resize, withdraw and expire what stands in for cash in a deposit's
coverage.

The insurance app (and ops, for a bank guarantee) call these; deposits never imports insurance.
Each service locks the deposit account row and then the guarantee rows it changes
(deposits.locks: the project's order and mode), rewrites the cached `guaranteed_minor` from the
guarantee rows in force, and evaluates the shop's shortfall after its transaction commits
(`shortfall_evaluate_on_commit`): a lapsed policy opens a case, and a new one resolves it, as soon
as the change is visible. Never inside it: the evaluation locks the shop before the account, may
restrict the shop and writes notices, and none of that should happen for a change that rolls
back (insurance calls these inside its own transactions), nor hold up the account meanwhile.
Building blocks: plain `transaction.atomic`, so they join a caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext

from common.errors import (
    CurrencyMismatch,
    DuplicateReference,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from deposits import locks
from deposits.models import Account, Guarantee
from deposits.services.posting import validate_amount
from deposits.services.shortfall import TRIGGER_GUARANTEE, shortfall_evaluate_on_commit
from shops import services as shop_services

log = structlog.get_logger(__name__)

GUARANTEE_SWEEP_LIMIT = 1000


def _in_force(now: datetime) -> Q:
    return Q(status=Guarantee.Status.ACTIVE, valid_from__lte=now) & (
        Q(valid_to__isnull=True) | Q(valid_to__gt=now)
    )


def _refresh_coverage(account: Account, now: datetime) -> bool:
    """Recount the account's guaranteed balance from its guarantees in force at `now`.

    Caller holds the account's row lock. Returns True when the cached amount changed."""
    guarantees = Guarantee.objects.filter(account_id=account.pk)
    guarantees.filter(in_coverage=True).exclude(_in_force(now)).update(in_coverage=False)
    guarantees.filter(_in_force(now), in_coverage=False).update(in_coverage=True)
    total = guarantees.filter(in_coverage=True).aggregate(total=Sum("amount_minor"))["total"] or 0
    if total == account.guaranteed_minor:
        return False
    Account.objects.filter(pk=account.pk).update(guaranteed_minor=total)
    account.guaranteed_minor = total
    return True


def _go_live_if_paid_in_full(account: Account, now: datetime) -> None:
    """An onboarding shop whose guarantee now covers the requirement goes live, as on a first
    full top-up (operations._after_commit_side_effects): same rule (`Coverage.is_paid_in_full`),
    same transaction, under the account's lock and then the shop's (deposits.locks' order)."""
    shop = account.shop
    if shop is not None and shop.went_live_at is None and shop.closed_at is None:
        if account.coverage.is_paid_in_full:
            shop_services.shop_mark_live(shop=shop, now=now)


def guarantee_account_lock(*, account_id: int) -> Account:
    """Lock a deposit account for the rest of the caller's transaction and return it.

    For the guarantee's source (insurance) when it must hold rows of its own too: the order is
    deposits' rows first, then the policy (insurance.locks), so a caller that will register or
    withdraw a guarantee under its policy's lock takes the account here before the policy. The
    guarantee services then lock the same row again, which costs nothing. Building block: call
    it inside `transaction.atomic`. Account.DoesNotExist for an unknown id."""
    return locks.lock_account(account_id)


def _evaluate_after_commit(account: Account, now: datetime) -> None:
    if account.shop_id is not None:
        shortfall_evaluate_on_commit(shop_ids=[account.shop_id], now=now, trigger=TRIGGER_GUARANTEE)


def guarantee_register(
    *,
    account_id: int,
    amount_minor: int,
    currency: str,
    valid_from: datetime,
    source_kind: str,
    source_ref: str,
    now: datetime,
    valid_to: datetime | None = None,
    note: str = "",
    actor: AbstractBaseUser | None = None,
) -> Guarantee:
    """Register a guarantee for a shop's deposit. Idempotent on `source_ref`: a replay with the
    same terms returns the first registration; other terms are refused (duplicate_reference).

    A guarantee starting later counts from `valid_from` on (the sweeper brings it in)."""
    validate_amount(amount_minor)
    if source_kind not in Guarantee.SourceKind.values:
        raise InvalidInput(
            fields={"source_kind": [f"Must be one of {', '.join(Guarantee.SourceKind.values)}."]}
        )
    source_ref = (source_ref or "").strip()
    if not source_ref or len(source_ref) > 200:
        raise InvalidInput(fields={"source_ref": ["Name the source, e.g. insurance_policy:<id>."]})
    if valid_to is not None and valid_to <= valid_from:
        raise InvalidInput(fields={"valid_to": ["Must be after valid_from."]})
    if valid_to is not None and valid_to <= now:
        raise InvalidInput(fields={"valid_to": ["The guarantee has already ended."]})
    try:
        with transaction.atomic():
            account = locks.lock_account(account_id)
            if currency != account.currency:
                raise CurrencyMismatch(
                    gettext(
                        "This deposit is held in %(deposit)s; the guarantee is in %(currency)s."
                    )
                    % {"deposit": account.currency, "currency": currency},
                    fields={"currency": [f"Must be {account.currency}, the deposit's currency."]},
                )
            existing = Guarantee.objects.filter(source_ref=source_ref).first()
            if existing is not None:
                same = (
                    existing.account_id == account.pk
                    and existing.amount_minor == amount_minor
                    and existing.valid_from == valid_from
                    and existing.valid_to == valid_to
                    and existing.source_kind == source_kind
                )
                if not same:
                    raise DuplicateReference(
                        gettext("This source already registered a guarantee with other terms."),
                        fields={"source_ref": ["Already registered with other terms."]},
                    )
                return existing
            guarantee = Guarantee.objects.create(
                account=account,
                amount_minor=amount_minor,
                currency=currency,
                valid_from=valid_from,
                valid_to=valid_to,
                source_kind=source_kind,
                source_ref=source_ref,
                note=note.strip(),
                created_at=now,
                created_by=actor,
            )
            _refresh_coverage(account, now)
            _go_live_if_paid_in_full(account, now)
            _evaluate_after_commit(account, now)
    except IntegrityError:
        # The same source_ref registered at the same moment for another account.
        raise DuplicateReference(
            gettext("This source already registered a guarantee."),
            fields={"source_ref": ["Already registered."]},
        ) from None
    guarantee.refresh_from_db()
    return guarantee


def guarantee_withdraw(
    *,
    now: datetime,
    reason: str,
    guarantee_id: int | None = None,
    source_ref: str | None = None,
    actor: AbstractBaseUser | None = None,
) -> Guarantee:
    """The source ends the guarantee (policy cancelled, 退保). Idempotent: withdrawing a guarantee
    that already ended returns it unchanged. Coverage drops at once; a shortfall opens if the
    cash does not cover the requirement."""
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why the guarantee ends."]})
    lookup = Q(pk=guarantee_id) if guarantee_id is not None else Q(source_ref=source_ref or "")
    account_id = Guarantee.objects.filter(lookup).values_list("account_id", flat=True).first()
    if account_id is None:
        raise NotFound(gettext("No such guarantee."))
    with transaction.atomic():
        account = locks.lock_account(account_id)
        guarantee = Guarantee.objects.get(lookup)
        if guarantee.status != Guarantee.Status.ACTIVE:
            return guarantee
        Guarantee.objects.filter(pk=guarantee.pk, status=Guarantee.Status.ACTIVE).update(
            status=Guarantee.Status.WITHDRAWN,
            ended_at=now,
            end_reason=reason.strip()[:300],
            in_coverage=False,
        )
        _refresh_coverage(account, now)
        _evaluate_after_commit(account, now)
    guarantee.refresh_from_db()
    return guarantee


def guarantee_set_amount(
    *,
    source_ref: str,
    amount_minor: int,
    reason: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
) -> Guarantee:
    """Resize an active guarantee: the insurer's cover shrinks as it advances compensation
    (垫付) and grows back as the merchant repays it (追偿). `amount_minor` is the new amount, not
    a change, so a retry sets the same amount again and changes nothing (idempotent); the
    caller sends the changes of one guarantee in order (a late retry of an older amount would
    set that amount again).

    Locks the account, then the guarantee; refreshes the cached guaranteed balance; evaluates
    the shortfall after commit (a shrink may open a case, a restore resolve it). Raises
    not_found (no such source), invalid_state (the guarantee has ended), validation_error.
    """
    validate_amount(amount_minor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": ["Say why the guarantee's amount changes."]})
    account_id = (
        Guarantee.objects.filter(source_ref=source_ref).values_list("account_id", flat=True).first()
    )
    if account_id is None:
        raise NotFound(gettext("No such guarantee."))
    with transaction.atomic():
        account = locks.lock_account(account_id)
        (guarantee,) = locks.lock_guarantees(
            Guarantee.objects.filter(source_ref=source_ref).values_list("pk", flat=True)
        )
        if guarantee.status != Guarantee.Status.ACTIVE:
            raise InvalidTransition(
                gettext("The guarantee has ended (%(status)s).")
                % {"status": guarantee.get_status_display().lower()}
            )
        if guarantee.amount_minor == amount_minor:
            return guarantee
        Guarantee.objects.filter(pk=guarantee.pk).update(amount_minor=amount_minor)
        log.info(
            "guarantee.amount_set",
            source_ref=source_ref,
            old_minor=guarantee.amount_minor,
            new_minor=amount_minor,
            reason=reason,
            actor=getattr(actor, "pk", None),
        )
        if _refresh_coverage(account, now):
            _evaluate_after_commit(account, now)
    guarantee.refresh_from_db()
    return guarantee


def guarantees_expire_due(*, now: datetime, limit: int = GUARANTEE_SWEEP_LIMIT) -> int:
    """The sweeper: expire guarantees whose `valid_to` has passed and count in those whose
    `valid_from` has come, account by account under each account's lock (SKIP LOCKED: an account
    busy with a posting is taken at the next sweep). Returns the number of accounts refreshed."""
    due_accounts = list(
        Guarantee.objects.filter(
            Q(status=Guarantee.Status.ACTIVE, valid_to__lte=now)
            | Q(status=Guarantee.Status.ACTIVE, in_coverage=False, valid_from__lte=now)
        )
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()[:limit]
    )
    refreshed = 0
    for account_id in due_accounts:
        with transaction.atomic():
            account = locks.try_lock_account(account_id)
            if account is None:
                continue
            Guarantee.objects.filter(
                account_id=account_id, status=Guarantee.Status.ACTIVE, valid_to__lte=now
            ).update(
                status=Guarantee.Status.EXPIRED,
                ended_at=now,
                end_reason="valid_to passed",
                in_coverage=False,
            )
            _refresh_coverage(account, now)
            _evaluate_after_commit(account, now)
            refreshed += 1
    return refreshed

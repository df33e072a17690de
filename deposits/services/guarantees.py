"""Guarantees: register, withdraw and expire what stands in for cash in a deposit's coverage.

The insurance app (and ops, for a bank guarantee) call these; deposits never imports insurance.
Each service locks the deposit account row first (the project's lock order: account, then
policy, then claim; FOR NO KEY UPDATE, see deposits.services.shortfall on why), rewrites the
cached `guaranteed_minor` from the guarantee rows in force, and evaluates the shop's shortfall
in the same transaction, so a lapsed policy opens a case, and a new one resolves it, the moment
the change commits.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from common.errors import CurrencyMismatch, DuplicateReference, InvalidInput, NotFound
from deposits.models import Account, Guarantee
from deposits.services.posting import validate_amount
from deposits.services.shortfall import TRIGGER_GUARANTEE, shortfall_evaluate

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
            account = Account.objects.select_for_update(no_key=True).get(
                pk=account_id, kind=Account.Kind.DEPOSIT
            )
            if currency != account.currency:
                raise CurrencyMismatch(
                    f"This deposit is held in {account.currency}; the guarantee is in {currency}.",
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
                        "This source already registered a guarantee with other terms.",
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
            shortfall_evaluate(shop_id=account.shop_id, now=now, trigger=TRIGGER_GUARANTEE)  # type: ignore[arg-type]
    except IntegrityError:
        # The same source_ref registered at the same moment for another account.
        raise DuplicateReference(
            "This source already registered a guarantee.",
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
        raise NotFound("No such guarantee.")
    with transaction.atomic():
        account = Account.objects.select_for_update(no_key=True).get(pk=account_id)
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
        shortfall_evaluate(shop_id=account.shop_id, now=now, trigger=TRIGGER_GUARANTEE)  # type: ignore[arg-type]
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
            account = (
                Account.objects.select_for_update(skip_locked=True, no_key=True)
                .filter(pk=account_id)
                .first()
            )
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
            shortfall_evaluate(shop_id=account.shop_id, now=now, trigger=TRIGGER_GUARANTEE)  # type: ignore[arg-type]
            refreshed += 1
    return refreshed

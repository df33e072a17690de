"""The one private path by which money moves: plan, check that the plan still holds, write.

Every public ledger service (top-up, deduction, hold, capture, withdrawal…) is a *planner*: given
the account's balances it returns the legs to post, or the error that refuses the operation.
`run_operation` does the rest, identically for all of them, exactly once per idempotency key.

On PostgreSQL every write is one call of `deposits_post` (deposits/sql/posting_v1.sql), which takes
the account's row lock, checks that the plan still holds under it, and writes the transaction, its
entries, the balances and the partner's event. Two ways to get there:

- **Optimistic** (`optimistic=True`, for planners that read nothing but the account): read the
  balances without a lock, plan, and send the plan. Outside a caller's transaction that call is
  the whole database transaction, so the row lock is held for one statement and its commit, not
  across round trips and Python. A plan overtaken by a concurrent posting comes back `stale` with
  the current balances and is planned again; after OPTIMISTIC_ATTEMPTS the locked way takes over.
  A planner says which balances its legs depend on (`Plan.depends_on`): a deduction depends on
  none, only on the invariants, so concurrent deductions on one hot account do not send each
  other back.
- **Locked** (every other planner, and the fallback): `SELECT … FOR UPDATE` the account, plan under
  the lock (a planner may lock and write rows of its own: holds), then the same function, whose
  check cannot fail while the lock is held. Locks are always taken account first, then hold.

Without the lock two deductions could both see the same available balance (stack.md measured 87%
of debits lost that way); with it, or with the function's check under it, they cannot.

Idempotency: the key is unique in the database. A replay returns the stored result; the same key
with other parameters is `idempotency_key_reused`; a refusal is stored as a FAILED transaction and
raised after the write commits, so a retried key keeps failing the same way.

On SQLite (development only) the locked path writes through the ORM (`posting_orm`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction

from common.errors import (
    CurrencyMismatch,
    DomainError,
    DuplicateReference,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
)
from common.money import MAX_AMOUNT_MINOR
from deposits import locks, selectors
from deposits.models import Account, Entry, LedgerTransaction
from deposits.services import posting_orm, posting_sql
from deposits.services.posting_orm import system_account_ids
from deposits.services.posting_plan import (
    Leg,
    Plan,
    PostingResult,
    attach_entries,
    entry_event_data,
    mark_saved,
    new_entries,
)
from partners import services as partner_services

__all__ = [
    "Leg",
    "Plan",
    "PostingResult",
    "entry_event_data",
    "fingerprint",
    "run_operation",
    "system_account_ids",
    "validate_amount",
    "validate_key",
]

MAX_KEY_LENGTH = 300
# Optimistic tries before the locked way. Each lost try costs one round trip; only plans that
# depend on exact balances (a top-up paying off a changing debt, a withdrawal) can lose at all.
OPTIMISTIC_ATTEMPTS = 3


def fingerprint(**params: Any) -> str:
    canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_amount(amount_minor: int, *, field_name: str = "amount_minor") -> int:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidInput(fields={field_name: ["Must be an integer number of minor units."]})
    if amount_minor < 1:
        raise InvalidInput(fields={field_name: ["Must be at least 1 (amounts are minor units)."]})
    if amount_minor > MAX_AMOUNT_MINOR:
        raise InvalidInput(fields={field_name: [f"Must be at most {MAX_AMOUNT_MINOR}."]})
    return amount_minor


def validate_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            fields={"idempotency_key": [f"Must be 1 to {MAX_KEY_LENGTH} characters."]}
        )
    return key


def _read_account(account_id: int, *, lock: bool) -> Account:
    """The account's snapshot (deposits.selectors.account_snapshot); with `lock`, its row stays
    locked for the rest of the transaction (only that row: the shop is read for the event, not
    changed)."""
    if not lock:
        account = selectors.account_snapshot(account_id)
    else:
        account = locks.lock_account_snapshot(account_id)  # the mode: see deposits.locks
    if account is None or account.kind != Account.Kind.DEPOSIT:
        # A system account only ever takes the other side of a posting.
        raise NotFound("No such deposit account.")
    return account


def _find_existing(idempotency_key: str) -> LedgerTransaction | None:
    return (
        LedgerTransaction.objects.filter(idempotency_key=idempotency_key)
        .prefetch_related("entries")
        .first()
    )


@dataclass(frozen=True)
class _Operation:
    """One call of run_operation: what every attempt needs to build its transaction row."""

    kind: str
    idempotency_key: str
    digest: str
    amount_minor: int
    currency: str
    reason: str
    reference: str
    payment_ref: str | None
    reverses_id: int | None
    actor: AbstractBaseUser | None
    now: datetime
    planner: Callable[[Account], Plan]

    def transaction_row(self, account: Account, plan: Plan) -> LedgerTransaction:
        failed = plan.error is not None
        return LedgerTransaction(
            public_id=uuid.uuid4(),
            idempotency_key=self.idempotency_key,
            fingerprint=self.digest,
            kind=self.kind,
            status=LedgerTransaction.Status.FAILED if failed else LedgerTransaction.Status.POSTED,
            error_code=plan.error.code if plan.error else "",
            account_id=account.pk,
            amount_minor=self.amount_minor if plan.amount_minor is None else plan.amount_minor,
            currency=self.currency,
            reason=self.reason,
            reference=self.reference,
            payment_ref=None if failed else self.payment_ref,
            hold=plan.hold,
            reverses_id=None if failed else self.reverses_id,
            actor=self.actor,
            occurred_at=self.now,
            recorded_at=self.now,
        )


def run_operation(
    *,
    account_id: int,
    kind: str,
    idempotency_key: str,
    params: dict[str, Any],
    amount_minor: int,
    currency: str,
    reason: str,
    reference: str,
    now: datetime,
    planner: Callable[[Account], Plan],
    actor: AbstractBaseUser | None = None,
    payment_ref: str | None = None,
    reverses_id: int | None = None,
    optimistic: bool = False,
    snapshot: Account | None = None,
) -> PostingResult:
    """Run one ledger operation exactly once per idempotency key. Raises the planner's error
    (after storing it) when the operation is refused.

    `optimistic`: the planner reads nothing but the account it is given (no other row, no lock),
    so it may plan from balances read without the lock (see the module docstring).
    `snapshot`: that account as `deposits.selectors.account_snapshot*` read it moments ago (the
    API reads it anyway to find the shop's account), sparing the optimistic path its own read.

    Building block: joins the caller's transaction when there is one (an API view folds its
    idempotency record into it); otherwise, on the optimistic path, the posting is a
    transaction of its own.
    """
    validate_key(idempotency_key)
    op = _Operation(
        kind=kind,
        idempotency_key=idempotency_key,
        digest=fingerprint(kind=kind, account_id=account_id, currency=currency, **params),
        amount_minor=amount_minor,
        currency=currency,
        reason=reason,
        reference=reference,
        payment_ref=payment_ref,
        reverses_id=reverses_id,
        actor=actor,
        now=now,
        planner=planner,
    )
    result = None
    if optimistic and connection.vendor == "postgresql":
        result = _run_optimistic(account_id, op, snapshot)
    if result is None:
        result = _run_locked(account_id, op)
    if result.replayed and result.transaction.status == LedgerTransaction.Status.FAILED:
        refusal = _error_for_code(result.transaction.error_code)
        refusal.transaction = result.transaction  # type: ignore[attr-defined]
        raise refusal
    return result


def _check_currency(account: Account, currency: str) -> None:
    if currency != account.currency:
        raise CurrencyMismatch(
            f"This deposit is held in {account.currency}; the amount is in {currency}.",
            fields={"currency": [f"Must be {account.currency}, the deposit's currency."]},
        )


def _run_optimistic(
    account_id: int, op: _Operation, snapshot: Account | None
) -> PostingResult | None:
    """Plan from unlocked balances and let the posting function check the plan under the lock.
    None when every attempt was overtaken (the caller falls back to the locked way)."""
    if snapshot is not None and snapshot.pk == account_id and snapshot.kind == Account.Kind.DEPOSIT:
        account = snapshot
    else:
        account = _read_account(account_id, lock=False)
    _check_currency(account, op.currency)
    for _ in range(OPTIMISTIC_ATTEMPTS):
        plan = op.planner(account)
        if plan.before_write is not None:
            raise TypeError("A planner that writes rows of its own cannot be optimistic.")
        tx = op.transaction_row(account, plan)
        entries = new_entries(account, tx, plan.nonzero_legs()) if plan.error is None else []
        outcome = _post_sql(account, tx, plan, entries, op.now)
        if outcome.outcome == posting_sql.STALE:
            for name, value in outcome.balances_dict().items():
                setattr(account, name, value)
            continue
        if outcome.outcome != posting_sql.POSTED:
            return _other_outcome(outcome, account_id, op)
        _apply_outcome(outcome, account, tx, entries)
        return _result_or_refusal(account, tx, plan)
    return None


def _run_locked(account_id: int, op: _Operation) -> PostingResult:
    sql = connection.vendor == "postgresql"
    try:
        with transaction.atomic():
            account = _read_account(account_id, lock=True)
            _check_currency(account, op.currency)
            plan = op.planner(account)
            if plan.before_write is not None or not sql:
                # Nothing may be written for a replay: look the key up (under the lock) first.
                existing = _find_existing(op.idempotency_key)
                if existing is not None:
                    return _replay(existing, op.digest, account)
            tx = op.transaction_row(account, plan)
            if not sql:
                posting_orm.write(account, tx, plan, op.now)
            else:
                if plan.before_write is not None:
                    plan.before_write(tx)
                entries = (
                    new_entries(account, tx, plan.nonzero_legs()) if plan.error is None else []
                )
                outcome = _post_sql(account, tx, plan, entries, op.now)
                if outcome.outcome == posting_sql.REPLAY and plan.before_write is not None:
                    # The key was committed meanwhile for another account: undo the hold rows.
                    raise _ReplayAfterRollback()
                if outcome.outcome != posting_sql.POSTED:
                    return _other_outcome(outcome, account_id, op)
                _apply_outcome(outcome, account, tx, entries)
            # A refusal leaves the block normally, so that its FAILED row commits; raised below.
    except _ReplayAfterRollback:
        return _replay_stored(account_id, op)
    except IntegrityError as exc:  # the ORM path's unique constraints
        if "payment_ref" in str(exc):
            raise _duplicate_payment() from None
        if "reverses" in str(exc):
            raise _already_reversed() from None
        raise
    return _result_or_refusal(account, tx, plan)


class _ReplayAfterRollback(Exception):
    pass


def _post_sql(
    account: Account, tx: LedgerTransaction, plan: Plan, entries: list[Entry], now: datetime
) -> posting_sql.Outcome:
    def send() -> posting_sql.Outcome:
        return posting_sql.post(
            account=account,
            tx=tx,
            plan=plan,
            entries=entries,
            give_up_at=now + partner_services.retry_window(),
        )

    outcome = send()
    if outcome.outcome == posting_sql.MISSING_SYSTEM_ACCOUNT:
        # The first posting in a currency creates its system accounts; nothing was written.
        system_account_ids(account.currency)
        outcome = send()
        if outcome.outcome == posting_sql.MISSING_SYSTEM_ACCOUNT:
            raise ValueError(f"A leg names a system account that does not exist: {plan.legs}")
    return outcome


def _other_outcome(outcome: posting_sql.Outcome, account_id: int, op: _Operation) -> PostingResult:
    """Nothing was written: a replay's stored result, or the error that explains why."""
    kind = outcome.outcome
    if kind == posting_sql.REPLAY:
        return _replay_stored(account_id, op)
    if kind == posting_sql.MISSING_ACCOUNT:
        raise NotFound("No such deposit account.")
    if kind == posting_sql.DUPLICATE_PAYMENT_REF:
        raise _duplicate_payment()
    if kind == posting_sql.ALREADY_REVERSED:
        raise _already_reversed()
    # Under the lock the plan was made from the locked balances: it can only fail to hold if
    # the planner broke the account's invariants itself.
    raise AssertionError(f"deposits_post answered {kind!r} to a plan made under the lock")


def _replay_stored(account_id: int, op: _Operation) -> PostingResult:
    existing = _find_existing(op.idempotency_key)
    if existing is None:  # keys are never deleted: the database said it was taken
        raise RuntimeError(f"Idempotency key {op.idempotency_key!r} vanished after a conflict.")
    # The balances now, not the snapshot the attempt planned from.
    return _replay(existing, op.digest, _read_account(account_id, lock=False))


def _apply_outcome(
    outcome: posting_sql.Outcome, account: Account, tx: LedgerTransaction, entries: list[Entry]
) -> None:
    """What the posting function wrote, copied onto the objects the result returns."""
    mark_saved(tx, int(outcome.transaction_id))  # posted: the function returned its id
    for name, value in outcome.balances_dict().items():
        setattr(account, name, value)
    for entry, entry_id, account_id, balance_after in zip(
        entries, outcome.entry_ids, outcome.entry_accounts, outcome.balances_after, strict=True
    ):
        mark_saved(entry, entry_id)
        entry.transaction_id = tx.pk
        entry.account_id = account_id
        entry.balance_after_minor = balance_after
    attach_entries(tx, entries)
    partner_services.deliveries_enqueue_on_commit(outcome.delivery_ids)


def _result_or_refusal(account: Account, tx: LedgerTransaction, plan: Plan) -> PostingResult:
    if plan.error is not None:
        # Stored: committed with the caller's transaction, or already, outside of one.
        plan.error.transaction = tx  # type: ignore[attr-defined]
        raise plan.error
    return PostingResult(transaction=tx, account=account, replayed=False)


def _duplicate_payment() -> DuplicateReference:
    return DuplicateReference(
        "This payment has already credited a deposit.",
        fields={"payment_ref": ["Already used by another top-up."]},
    )


def _already_reversed() -> DuplicateReference:
    return DuplicateReference("This transaction has already been reversed.")


def _replay(existing: LedgerTransaction, digest: str, account: Account) -> PostingResult:
    if existing.fingerprint != digest:
        raise IdempotencyKeyReused(
            "This idempotency key was already used for a different operation.",
            fields={"idempotency_key": ["Already used with other parameters."]},
        )
    return PostingResult(transaction=existing, account=account, replayed=True)


def _error_for_code(code: str) -> DomainError:
    for cls in _all_subclasses(DomainError):
        if cls.code == code:
            return cls()
    return DomainError()


def _all_subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return found

"""The one private path by which money moves: plan, check that the plan still holds, write.

Every public ledger service (top-up, deduction, hold, capture, withdrawal…) is a *planner*: given
the account's balances it returns the legs to post, or the error that refuses the operation.
`run_operation` does the rest, identically for all of them, exactly once per idempotency key.

The way is straight: a service builds one `PostingRequest`; its planner returns a `Plan`; one
executor per database writes it and answers an `Outcome`:

- `posting_sql` (PostgreSQL): one call of `deposits_post` (deposits/sql/posting_v4.sql), which
  takes the account's row lock, checks that the plan still holds under it, and writes the
  transaction, its entries, the balances and the partner's event;
- `posting_orm` (SQLite, development only): the same steps through the ORM.

Both build `deposit.entry_posted` with `posting_event` (the SQL function only fills in what is
known under the lock). `posting_plan` holds the values. Two ways to the executor:

- **Optimistic** (`optimistic=True`, for planners that read nothing but the account): read the
  balances without a lock, plan, and send the plan. Outside a caller's transaction that call is
  the whole database transaction, so the row lock is held for one statement and its commit, not
  across round trips and Python. A plan overtaken by a concurrent posting comes back `stale` with
  the current balances and is planned again; after OPTIMISTIC_ATTEMPTS the locked way takes over.
  A planner says which balances its legs depend on (`Plan.depends_on`): a deduction depends on
  none, only on the invariants, so concurrent deductions on one hot account do not send each
  other back.
- **Locked** (every other planner, and the fallback): `SELECT … FOR UPDATE` the account, plan under
  the lock (a planner may lock and write rows of its own: holds), then the same executor, whose
  check cannot fail while the lock is held. Locks are always taken account first, then hold.

Without the lock two deductions could both see the same available balance (stack.md measured 87%
of debits lost that way); with it, or with the function's check under it, they cannot.

Idempotency: the key is unique in the database. A replay returns the stored result; the same key
with other parameters is `idempotency_key_reused`; a refusal is stored as a FAILED transaction and
raised after the write commits, so a retried key keeps failing the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from django.db import connection, transaction
from django.utils.translation import gettext

from common.errors import (
    CurrencyMismatch,
    DomainError,
    DuplicateReference,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    ShopClosed,
)
from common.money import MAX_AMOUNT_MINOR
from deposits import locks, selectors
from deposits.models import Account, Entry, LedgerTransaction
from deposits.services import posting_orm, posting_sql
from deposits.services.posting_orm import system_account_ids
from deposits.services.posting_plan import (
    ALREADY_REVERSED,
    DUPLICATE_PAYMENT_REF,
    MISSING_ACCOUNT,
    POSTED,
    REPLAY,
    SHOP_CLOSED,
    STALE,
    Leg,
    Outcome,
    Plan,
    PostingRequest,
    PostingResult,
    attach_entries,
    fingerprint,
    mark_saved,
    new_entries,
)
from deposits.services.posting_receipt import Receipt, ReceiptConflict
from partners import services as partner_services

__all__ = [
    "Leg",
    "Plan",
    "PostingRequest",
    "PostingResult",
    "fingerprint",
    "run_operation",
    "system_account_ids",
    "validate_amount",
    "validate_key",
]

Planner = Callable[[Account], Plan]


class Executor(Protocol):
    """Writes one plan, or says why it wrote nothing (`posting_sql`, `posting_orm`)."""

    def post(
        self,
        *,
        account: Account,
        tx: LedgerTransaction,
        plan: Plan,
        entries: list[Entry],
        now: datetime,
        receipt: Receipt | None = None,
    ) -> Outcome: ...


def executor() -> Executor:
    return posting_sql if connection.vendor == "postgresql" else posting_orm


MAX_KEY_LENGTH = 300
# Optimistic tries before the locked way. Each lost try costs one round trip; only plans that
# depend on exact balances (a top-up paying off a changing debt, a withdrawal) can lose at all.
OPTIMISTIC_ATTEMPTS = 3


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
        raise NotFound(gettext("No such deposit account."))
    return account


def _find_existing(idempotency_key: str) -> LedgerTransaction | None:
    return (
        LedgerTransaction.objects.filter(idempotency_key=idempotency_key)
        .prefetch_related("entries")
        .first()
    )


def run_operation(
    request: PostingRequest,
    planner: Planner,
    *,
    optimistic: bool = False,
    snapshot: Account | None = None,
    receipt: Receipt | None = None,
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
    `receipt`: the API's idempotency record, written by the posting's own call
    (`posting_receipt`; optimistic planners on PostgreSQL only). Raises ReceiptConflict, having
    written nothing, whenever that call would not store it: the caller then takes its
    transaction path.
    """
    validate_key(request.idempotency_key)
    run = _Run(request, planner, request.fingerprint, executor(), receipt)
    result = None
    if optimistic:
        result = _run_optimistic(run, snapshot)
    if result is None:
        if receipt is not None:
            raise ReceiptConflict("overtaken on every optimistic attempt")
        result = _run_locked(run)
    if result.replayed and result.transaction.status == LedgerTransaction.Status.FAILED:
        refusal = _error_for_code(result.transaction.error_code)
        refusal.transaction = result.transaction  # type: ignore[attr-defined]
        raise refusal
    return result


class _Run:
    """One call of run_operation: what every attempt shares."""

    def __init__(
        self,
        request: PostingRequest,
        planner: Planner,
        digest: str,
        executor: Executor,
        receipt: Receipt | None = None,
    ) -> None:
        self.request = request
        self.planner = planner
        self.digest = digest
        self.executor = executor
        self.receipt = receipt

    def post(self, account: Account, plan: Plan) -> tuple[LedgerTransaction, list[Entry], Outcome]:
        tx = self.request.transaction_row(account, plan, self.digest)
        if plan.before_write is not None:
            plan.before_write(tx)
        entries = new_entries(account, tx, plan.nonzero_legs()) if plan.error is None else []
        outcome = self.executor.post(
            account=account,
            tx=tx,
            plan=plan,
            entries=entries,
            now=self.request.now,
            receipt=self.receipt,
        )
        return tx, entries, outcome


def _check_currency(account: Account, currency: str) -> None:
    if currency != account.currency:
        raise CurrencyMismatch(
            gettext("This deposit is held in %(deposit)s; the amount is in %(currency)s.")
            % {"deposit": account.currency, "currency": currency},
            fields={"currency": [f"Must be {account.currency}, the deposit's currency."]},
        )


def _run_optimistic(run: _Run, snapshot: Account | None) -> PostingResult | None:
    """Plan from unlocked balances and let the executor check the plan under the lock. None
    when every attempt was overtaken (the caller falls back to the locked way)."""
    account_id = run.request.account_id
    if snapshot is not None and snapshot.pk == account_id and snapshot.kind == Account.Kind.DEPOSIT:
        account = snapshot
    else:
        account = _read_account(account_id, lock=False)
    _check_currency(account, run.request.currency)
    for _ in range(OPTIMISTIC_ATTEMPTS):
        plan = run.planner(account)
        if plan.before_write is not None:
            raise TypeError("A planner that writes rows of its own cannot be optimistic.")
        tx, entries, outcome = run.post(account, plan)
        if outcome.outcome == STALE:
            for name, value in outcome.balances_dict().items():
                setattr(account, name, value)
            continue
        if outcome.outcome != POSTED:
            return _other_outcome(outcome, run)
        _apply_outcome(outcome, account, tx, entries)
        return _result_or_refusal(account, tx, plan)
    return None


def _run_locked(run: _Run) -> PostingResult:
    try:
        with transaction.atomic():
            account = _read_account(run.request.account_id, lock=True)
            _check_currency(account, run.request.currency)
            plan = run.planner(account)
            if plan.before_write is not None:
                # Nothing may be written for a replay: look the key up (under the lock) first.
                existing = _find_existing(run.request.idempotency_key)
                if existing is not None:
                    return _replay(existing, run.digest, account)
            tx, entries, outcome = run.post(account, plan)
            if outcome.outcome == REPLAY and plan.before_write is not None:
                # The key was committed meanwhile for another account: undo the hold rows.
                raise _ReplayAfterRollback()
            if outcome.outcome != POSTED:
                return _other_outcome(outcome, run)
            _apply_outcome(outcome, account, tx, entries)
            # A refusal leaves the block normally, so that its FAILED row commits; raised below.
    except _ReplayAfterRollback:
        return _replay_stored(run)
    return _result_or_refusal(account, tx, plan)


class _ReplayAfterRollback(Exception):
    pass


def _other_outcome(outcome: Outcome, run: _Run) -> PostingResult:
    """Nothing was written: a replay's stored result, or the error that explains why."""
    kind = outcome.outcome
    if kind == REPLAY:
        return _replay_stored(run)
    if kind == MISSING_ACCOUNT:
        raise NotFound(gettext("No such deposit account."))
    if kind == DUPLICATE_PAYMENT_REF:
        raise _duplicate_payment()
    if kind == ALREADY_REVERSED:
        raise _already_reversed()
    if kind == SHOP_CLOSED:
        raise ShopClosed()
    # Under the lock the plan was made from the locked balances: it can only fail to hold if
    # the planner broke the account's invariants itself.
    raise AssertionError(f"the executor answered {kind!r} to a plan made under the lock")


def _replay_stored(run: _Run) -> PostingResult:
    key = run.request.idempotency_key
    existing = _find_existing(key)
    if existing is None:  # keys are never deleted: the database said it was taken
        raise RuntimeError(f"Idempotency key {key!r} vanished after a conflict.")
    # The balances now, not the snapshot the attempt planned from.
    return _replay(existing, run.digest, _read_account(run.request.account_id, lock=False))


def _apply_outcome(
    outcome: Outcome, account: Account, tx: LedgerTransaction, entries: list[Entry]
) -> None:
    """What the executor wrote, copied onto the objects the result returns."""
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
        gettext("This payment has already credited a deposit."),
        fields={"payment_ref": ["Already used by another top-up."]},
    )


def _already_reversed() -> DuplicateReference:
    return DuplicateReference(gettext("This transaction has already been reversed."))


def _replay(existing: LedgerTransaction, digest: str, account: Account) -> PostingResult:
    if existing.fingerprint != digest:
        raise IdempotencyKeyReused(
            gettext("This idempotency key was already used for a different operation."),
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

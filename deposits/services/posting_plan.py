"""The values a posting is made of (see `posting.run_operation`): what a service asks for
(`PostingRequest`), what its planner decides (`Plan` of `Leg`s), what an executor answers
(`Outcome`) and what the service gets back (`PostingResult`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from common.errors import DomainError
from deposits.models import Account, Entry, Hold, LedgerTransaction, SystemAccount

# The balances a plan may depend on, in the order the posting function takes them.
BALANCE_FIELDS = ("posted_minor", "held_minor", "debt_minor", "required_minor", "guaranteed_minor")


def fingerprint(**params: Any) -> str:
    canonical = json.dumps(params, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class PostingRequest:
    """One ledger operation as a service asks for it: built once, handed to `run_operation`
    with the service's planner. Every attempt (optimistic tries, the locked fallback, a replay
    check) reads it; none changes it."""

    account_id: int
    kind: str
    idempotency_key: str
    # What makes two requests with one key the same operation, besides kind, account and
    # currency: a replay with other params is `idempotency_key_reused`.
    params: Mapping[str, Any]
    # The amount the transaction records (a planner may decide it instead: `Plan.amount_minor`).
    amount_minor: int
    currency: str
    reason: str
    reference: str
    now: datetime
    actor: AbstractBaseUser | None = None
    payment_ref: str | None = None
    reverses_id: int | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(
            kind=self.kind, account_id=self.account_id, currency=self.currency, **self.params
        )

    def transaction_row(self, account: Account, plan: Plan, digest: str) -> LedgerTransaction:
        """The unsaved transaction row for this request and plan: POSTED, or a FAILED refusal
        (stored so that the key keeps failing) when the plan carries an error."""
        failed = plan.error is not None
        return LedgerTransaction(
            public_id=uuid.uuid4(),
            idempotency_key=self.idempotency_key,
            fingerprint=digest,
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


@dataclass(frozen=True)
class Leg:
    """One line of a posting. `bucket` set: the deposit account's POSTED or DEBT balance;
    `system` set: a system account in the deposit's currency."""

    amount_minor: int
    bucket: str | None = None
    system: str | None = None


@dataclass
class Plan:
    legs: list[Leg] = field(default_factory=list)
    held_delta: int = 0
    error: DomainError | None = None
    # The balances (names from BALANCE_FIELDS) whose exact values the legs were computed from.
    # None, the safe default, means all of them. A planner whose legs stay right whatever the
    # balances, as long as the account's invariants hold after them (a deduction that refuses
    # only when available is short), says frozenset(): then a concurrent posting on the same
    # account does not send the plan back (deposits/sql/posting_v4.sql).
    depends_on: frozenset[str] | None = None
    # Called under the lock just before the transaction row is written, for hold rows (locked
    # path only). It may set `tx.hold`: transactions are never updated later.
    before_write: Callable[[LedgerTransaction], None] | None = None
    hold: Hold | None = None
    # The amount the transaction records when the request named none and the planner decides it
    # (a forfeiture or an exit refund takes what the account holds).
    amount_minor: int | None = None

    def checked(self) -> list[bool]:
        """Which balances must still be what the planner saw, for the posting function. A
        refusal always depends on all of them: it must still be refused when it is stored."""
        if self.depends_on is None or self.error is not None:
            return [True] * len(BALANCE_FIELDS)
        unknown = self.depends_on - set(BALANCE_FIELDS)
        assert not unknown, f"unknown balances in depends_on: {unknown}"
        return [name in self.depends_on for name in BALANCE_FIELDS]

    def nonzero_legs(self) -> list[Leg]:
        return [leg for leg in self.legs if leg.amount_minor != 0]


@dataclass(frozen=True)
class PostingResult:
    transaction: LedgerTransaction
    account: Account
    replayed: bool

    @property
    def entry(self) -> Entry | None:
        """The deposit account's main entry (POSTED bucket first), as the API returns it."""
        entries = [e for e in self.transaction.entries.all() if e.account_id == self.account.pk]
        entries.sort(key=lambda e: (e.bucket != Entry.Bucket.POSTED, e.pk))
        return entries[0] if entries else None


# What an executor answers (posting_sql: deposits_post's o_outcome; posting_orm: the same words).
POSTED = "posted"
REPLAY = "replay"
STALE = "stale"
MISSING_ACCOUNT = "missing_account"
MISSING_SYSTEM_ACCOUNT = "missing_system_account"
DUPLICATE_PAYMENT_REF = "duplicate_payment_ref"
ALREADY_REVERSED = "already_reversed"
SHOP_CLOSED = "shop_closed"

# Postings a closed shop refuses: money in, out to consumers, reserved or withdrawn. What a
# closed deposit still needs (exit refund, forfeiture, holds of open claims resolving,
# reversals) posts. The SQL function lists the same kinds (posting_v4.sql);
# tests/deposits/test_closed_shop.py checks each kind on both executors.
REFUSED_WHEN_CLOSED = frozenset({"TOP_UP", "DEDUCTION", "HOLD", "WITHDRAWAL", "ADJUSTMENT"})


@dataclass(frozen=True)
class Outcome:
    """What an executor did with one plan. Only `posted` wrote anything (a refusal is posted as
    a FAILED transaction without entries); every other outcome wrote nothing."""

    outcome: str
    transaction_id: int | None = None  # posted: the new row; replay: the stored one
    # posted: per leg, in leg order.
    entry_ids: list[int] = field(default_factory=list)
    entry_accounts: list[int] = field(default_factory=list)
    balances_after: list[int | None] = field(default_factory=list)
    # posted, held, debt, required, guaranteed: after the posting, or now when stale.
    balances: tuple[int, ...] | None = None
    # Webhook deliveries to enqueue once the caller's transaction commits.
    delivery_ids: list[int] = field(default_factory=list)

    def balances_dict(self) -> dict[str, int]:
        assert self.balances is not None
        return dict(zip(BALANCE_FIELDS, self.balances, strict=True))


class PrefetchedEntries(list):  # type: ignore[type-arg]
    """Lets `tx.entries.all()` answer from the entries just written, without a query."""

    def all(self) -> list[Entry]:
        return list(self)


def attach_entries(tx: LedgerTransaction, entries: list[Entry]) -> None:
    tx._prefetched_objects_cache = {"entries": PrefetchedEntries(entries)}  # type: ignore[attr-defined]


def mark_saved(instance: Any, pk: int) -> None:
    """An instance written by raw SQL, made to look loaded (no second save, no refetch)."""
    instance.pk = instance.id = pk
    instance._state.adding = False
    instance._state.db = "default"


def new_entries(account: Account, tx: LedgerTransaction, legs: list[Leg]) -> list[Entry]:
    """Unsaved entries for the legs, with balance_after from the account's balances as the
    planner saw them (the executor replaces those with what it computed under the lock). A
    system leg's account_id stays None; `_system_code` says which."""
    posted, debt = account.posted_minor, account.debt_minor
    entries = []
    for leg in legs:
        if leg.system is not None:
            assert leg.system in SystemAccount.values, leg
            target, balance_after = None, None
        elif leg.bucket == Entry.Bucket.POSTED:
            posted += leg.amount_minor
            target, balance_after = account.pk, posted
        elif leg.bucket == Entry.Bucket.DEBT:
            # DEBT-bucket legs are signed like the rest: −40 means the merchant owes 40 more.
            debt -= leg.amount_minor
            target, balance_after = account.pk, -debt
        else:
            raise AssertionError(f"a leg needs a bucket or a system account: {leg}")
        entry = Entry(
            transaction=tx,
            account_id=target,
            bucket=leg.bucket or Entry.Bucket.POSTED,
            amount_minor=leg.amount_minor,
            balance_after_minor=balance_after,
            currency=account.currency,
            kind=tx.kind,
            reason=tx.reason,
            reference=tx.reference,
            actor_id=tx.actor_id,
            occurred_at=tx.occurred_at,
            recorded_at=tx.recorded_at,
        )
        entry._system_code = leg.system  # type: ignore[attr-defined]
        entries.append(entry)
    return entries

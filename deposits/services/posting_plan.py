"""What a ledger planner returns and what a posting gives back (see `posting.run_operation`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from common.errors import DomainError
from common.times import utc_iso
from deposits.models import Account, Entry, Hold, LedgerTransaction, SystemAccount

# The balances a plan may depend on, in the order the posting function takes them.
BALANCE_FIELDS = ("posted_minor", "held_minor", "debt_minor", "required_minor", "guaranteed_minor")


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
    # account does not send the plan back (deposits/sql/posting_v1.sql).
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


def entry_event_data(entry: Entry, tx: LedgerTransaction) -> dict[str, Any]:
    """An entry as partners see it (the API's entry shape)."""
    return {
        "id": entry.pk,
        "transaction_id": str(tx.public_id),
        "kind": entry.kind,
        "bucket": entry.bucket,
        "amount_minor": entry.amount_minor,
        "balance_after_minor": entry.balance_after_minor,
        "currency": entry.currency,
        "reason": entry.reason,
        "reference": entry.reference,
        "occurred_at": utc_iso(entry.occurred_at),
    }


def event_entry_order(entries: list[Entry], account_id: int) -> list[int]:
    """Positions of the deposit account's entries in the order `deposit.entry_posted` lists them:
    POSTED bucket first, then by id (entries are inserted, and numbered, in leg order)."""
    own = [i for i, e in enumerate(entries) if e.account_id == account_id]
    return sorted(own, key=lambda i: (entries[i].bucket != Entry.Bucket.POSTED, i))


def new_entries(account: Account, tx: LedgerTransaction, legs: list[Leg]) -> list[Entry]:
    """Unsaved entries for the legs, with balance_after from the account's balances (the SQL
    path replaces those with what the posting function computed under the lock). A system leg's
    account_id stays None; `_system_code` says which."""
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


def new_balances(account: Account, plan: Plan) -> tuple[int, int, int]:
    legs = plan.legs
    posted = account.posted_minor + sum(
        leg.amount_minor for leg in legs if leg.system is None and leg.bucket == "POSTED"
    )
    debt = account.debt_minor - sum(
        leg.amount_minor for leg in legs if leg.system is None and leg.bucket == "DEBT"
    )
    return posted, account.held_minor + plan.held_delta, debt

"""The SQLite executor (the embedded development default): the twin of `posting_sql`, written
through the ORM. Same interface (`post` answers an `Outcome`), same steps in the same order as
`deposits_post` (deposits/sql/posting_v4.sql): a replay is answered first, the plan is checked
against the balances as they are now, and every write comes after every check, so that any
outcome but `posted` wrote nothing. The PostgreSQL triggers that check the books have no SQLite
twin: `ledger_check` does that here.

SQLite has no row locks: a transaction that read balances and then writes fails ("database is
locked") if another connection wrote first, which loses nothing (development only).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from deposits.models import Account, Entry, LedgerTransaction, SystemAccount
from deposits.selectors import deposit_summary
from deposits.services.posting_event import ENTRY_POSTED, entry_posted_event
from deposits.services.posting_plan import (
    ALREADY_REVERSED,
    BALANCE_FIELDS,
    DUPLICATE_PAYMENT_REF,
    MISSING_ACCOUNT,
    POSTED,
    REFUSED_WHEN_CLOSED,
    REPLAY,
    SHOP_CLOSED,
    STALE,
    Outcome,
    Plan,
)
from deposits.services.posting_receipt import Receipt, ReceiptConflict
from partners import services as partner_services


def system_account_ids(currency: str) -> dict[str, int]:
    """Ids of the system accounts in one currency, created on first use. Not cached across
    calls: a process-wide cache would outlive a rolled-back or flushed database."""
    found = dict(
        Account.objects.filter(kind=Account.Kind.SYSTEM, currency=currency).values_list(
            "system_code", "pk"
        )
    )
    for code in SystemAccount.values:
        if code not in found:
            account, _ = Account.objects.get_or_create(
                kind=Account.Kind.SYSTEM, system_code=code, currency=currency
            )
            found[code] = account.pk
    return found


def post(
    *,
    account: Account,
    tx: LedgerTransaction,
    plan: Plan,
    entries: list[Entry],
    now: datetime,
    receipt: Receipt | None = None,
) -> Outcome:
    """Write one posting (or one stored refusal, when tx.status is FAILED), as `deposits_post`
    would. Building block: joins the caller's transaction, or is one of its own. A `receipt`
    (the API's record folded into the posting's call) is PostgreSQL's alone: here the API keeps
    its transaction path."""
    if receipt is not None:
        raise ReceiptConflict("the ORM executor does not store receipts")
    posting = tx.status == LedgerTransaction.Status.POSTED
    legs = plan.nonzero_legs() if posting else []
    if sum(leg.amount_minor for leg in legs) != 0:
        raise ValueError(f"A posting must balance: {legs}")
    with transaction.atomic():
        stored = _stored_id(tx.idempotency_key)
        if stored is not None:
            return Outcome(REPLAY, transaction_id=stored)
        row = (
            Account.objects.filter(pk=account.pk, kind=Account.Kind.DEPOSIT)
            .values_list(*BALANCE_FIELDS, "shop__status", "shop__closed_at", "shop__partner_id")
            .first()
        )
        if row is None:
            return Outcome(MISSING_ACCOUNT)  # system accounts only ever take the other side
        now_balances, status = tuple(row[:5]), row[5]
        if posting and tx.kind in REFUSED_WHEN_CLOSED and row[6] is not None:
            return Outcome(SHOP_CLOSED)
        expected = [getattr(account, name) for name in BALANCE_FIELDS]
        checks = zip(plan.checked(), now_balances, expected, strict=True)
        if any(checked and found != seen for checked, found, seen in checks):
            return Outcome(STALE, balances=now_balances)

        # The balances after, leg by leg (DEBT legs are signed like the rest: −40 owes 40 more).
        posted, held, debt = now_balances[0], now_balances[1], now_balances[2]
        held += plan.held_delta if posting else 0
        system_ids = system_account_ids(account.currency) if legs else {}
        for leg, entry in zip(legs, entries, strict=True):
            entry.transaction = tx
            if leg.system is not None:
                entry.account_id, entry.balance_after_minor = system_ids[leg.system], None
            elif leg.bucket == Entry.Bucket.DEBT:
                debt -= leg.amount_minor
                entry.account_id, entry.balance_after_minor = account.pk, -debt
            else:
                posted += leg.amount_minor
                entry.account_id, entry.balance_after_minor = account.pk, posted
        if posting and (posted < held or held < 0 or debt < 0):
            return Outcome(STALE, balances=now_balances)

        if tx.payment_ref is not None:
            # The reference is the shop's partner's (deposits_post reads it the same way).
            tx.payment_partner_id = row[7]
        conflict = _insert(tx)
        if conflict is not None:
            return conflict
        balances = (posted, held, debt, now_balances[3], now_balances[4])
        if not posting:
            # A refusal is stored without entries, so that its key keeps failing.
            return Outcome(POSTED, transaction_id=tx.pk, balances=now_balances)
        Entry.objects.bulk_create(entries)
        if legs or plan.held_delta:
            Account.objects.filter(pk=account.pk).update(
                posted_minor=posted, held_minor=held, debt_minor=debt
            )
        _announce(account, tx, entries, status, balances, now)
    return Outcome(
        POSTED,
        transaction_id=tx.pk,
        entry_ids=[entry.pk for entry in entries],
        entry_accounts=[entry.account_id for entry in entries],
        balances_after=[entry.balance_after_minor for entry in entries],
        balances=balances,
    )


def _stored_id(idempotency_key: str) -> int | None:
    return (
        LedgerTransaction.objects.filter(idempotency_key=idempotency_key)
        .values_list("pk", flat=True)
        .first()
    )


def _insert(tx: LedgerTransaction) -> Outcome | None:
    """Insert the transaction row; on a unique conflict insert nothing and say which, as the
    posting function's ON CONFLICT DO NOTHING does."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            tx.save()
    except IntegrityError:
        stored = _stored_id(tx.idempotency_key)
        if stored is not None:
            return Outcome(REPLAY, transaction_id=stored)
        if (
            tx.payment_ref is not None
            and LedgerTransaction.objects.filter(
                payment_ref=tx.payment_ref,
                payment_partner_id=tx.payment_partner_id,
                status=LedgerTransaction.Status.POSTED,
            ).exists()
        ):
            return Outcome(DUPLICATE_PAYMENT_REF)
        if (
            tx.reverses_id is not None
            and LedgerTransaction.objects.filter(reverses_id=tx.reverses_id).exists()
        ):
            return Outcome(ALREADY_REVERSED)
        raise
    return None


def _announce(
    account: Account,
    tx: LedgerTransaction,
    entries: list[Entry],
    status: str,
    balances: tuple[int, ...],
    now: datetime,
) -> None:
    """`deposit.entry_posted` to the shop's partner, in the posting's transaction."""
    after = Account(
        pk=account.pk, currency=account.currency, **dict(zip(BALANCE_FIELDS, balances, strict=True))
    )
    event = entry_posted_event(account, tx, entries, written=(status, deposit_summary(after)))
    if event is None:
        return  # no partner registered this shop: nobody could receive or pull the event
    partner_services.event_publish(
        partner_id=event.partner_id,
        type=ENTRY_POSTED,
        data=event.data,
        now=now,
        ordering_key=event.ordering_key,
    )

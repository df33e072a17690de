"""The ORM write of a posting, for SQLite (the embedded development default). PostgreSQL postings
go through `posting_sql` instead; both follow the same rules, and the PostgreSQL triggers check
them there. Runs inside `run_operation`'s locked transaction, after the key was found unused.
"""

from __future__ import annotations

from datetime import datetime

from deposits.models import Account, Entry, LedgerTransaction, SystemAccount
from deposits.selectors import ShopRef
from deposits.services.posting_plan import (
    Plan,
    attach_entries,
    entry_event_data,
    event_entry_order,
    new_balances,
    new_entries,
)
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


def write(account: Account, tx: LedgerTransaction, plan: Plan, now: datetime) -> None:
    """Write the transaction (and, unless it is a stored refusal, its entries and the balances)
    and announce the posting to the shop's partner."""
    if plan.before_write is not None:
        plan.before_write(tx)
    if plan.error is not None:
        tx.save()
        attach_entries(tx, [])
        return
    assert sum(leg.amount_minor for leg in plan.legs) == 0, "a posting must balance"
    entries = new_entries(account, tx, plan.nonzero_legs())
    system_ids = system_account_ids(account.currency)
    for entry in entries:
        if entry.account_id is None:
            entry.account_id = system_ids[entry._system_code]  # type: ignore[attr-defined]
    posted, held, debt = new_balances(account, plan)
    tx.save()
    for entry in entries:
        entry.transaction = tx
    Entry.objects.bulk_create(entries)
    Account.objects.filter(pk=account.pk).update(
        posted_minor=posted, held_minor=held, debt_minor=debt
    )
    account.posted_minor, account.held_minor, account.debt_minor = posted, held, debt
    attach_entries(tx, entries)
    _announce(account, tx, entries, now)


def _announce(account: Account, tx: LedgerTransaction, entries: list[Entry], now: datetime) -> None:
    """`deposit.entry_posted` to the shop's partner, in the posting's transaction, in the shape
    deposits/sql/posting_v1.sql builds on PostgreSQL."""
    from deposits.selectors import deposit_summary

    shop: ShopRef | None = getattr(account, "shop_ref", None)
    order = event_entry_order(entries, account.pk)
    if shop is None or shop.partner_id is None or not order:
        return  # no partner registered this shop: nobody could receive or pull the event
    mine = [entry_event_data(entries[i], tx) for i in order]
    partner_services.event_publish(
        partner_id=shop.partner_id,
        type="deposit.entry_posted",
        data={
            "shop": str(shop.public_id),
            "external_ref": shop.external_ref,
            "status": shop.status,
            "transaction_id": str(tx.public_id),
            "kind": tx.kind,
            "entry": mine[0],
            "entries": mine,
            "deposit": deposit_summary(account).as_dict(),
        },
        now=now,
        ordering_key=str(shop.public_id),
    )

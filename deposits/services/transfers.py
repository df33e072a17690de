"""Postings between system accounts: money that passes through the platform without touching a
shop's deposit. Performance insurance is the user: a premium comes in from the payment provider
and is held for the insurer, a surrender refunds part of it, an insurer's advance to a consumer
is owed back by the merchant (domain.md §5.1: "premiums and refunds are ledger postings on
accounts of their own, never the deposit's").

The same ledger as the deposits (one LedgerTransaction, two entries summing to zero, append-only,
the idempotency key unique, a payment reference credited once), so `ledger_check` covers it. It
does not go through `deposits_post`: that function serves the deposit account's hot path, its
balances and locks; system accounts keep no cached balance (their balance is the sum of their
entries), so there is no row to lock and a plain ORM write in one transaction is exact.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext

from common.errors import DuplicateReference, IdempotencyKeyReused, InvalidInput
from deposits.models import Account, Entry, LedgerTransaction, SystemAccount, TransactionKind
from deposits.services.posting import validate_amount, validate_key
from deposits.services.posting_orm import system_account_ids
from deposits.services.posting_plan import fingerprint

TRANSFER_KINDS = frozenset(
    {
        TransactionKind.PREMIUM,
        TransactionKind.PREMIUM_REFUND,
        TransactionKind.INSURER_ADVANCE,
        TransactionKind.RECOVERY_REPAYMENT,
        # An insurer's advance given back from compensation payable (claims: an upheld appeal).
        TransactionKind.REVERSAL,
    }
)


def system_transfer(
    *,
    source: str,
    destination: str,
    amount_minor: int,
    currency: str,
    kind: str,
    reason: str,
    reference: str,
    idempotency_key: str,
    now: datetime,
    payment_ref: str | None = None,
    payment_partner_id: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> tuple[LedgerTransaction, bool]:
    """Move `amount_minor` from one system account to another (source −, destination +).
    Returns (transaction, replayed). Idempotent on the key: a replay returns the first
    transaction, the same key with other terms is `idempotency_key_reused`; a payment reference
    credits once within its partner's scope (`duplicate_reference`, naming `payment_ref`):
    `payment_partner_id` says whose reference it is (the paying shop's partner; None is the
    no-partner scope), the same scope as that partner's top-ups, so another partner's reference
    is never refused (which would reveal it). Building block: plain `atomic`, so it commits with
    the caller's transaction (e.g. the policy it pays for)."""
    validate_amount(amount_minor)
    validate_key(idempotency_key)
    for field, code in (("source", source), ("destination", destination)):
        if code not in SystemAccount.values:
            raise InvalidInput(fields={field: [f"Not a system account: {code!r}."]})
    if source == destination:
        raise InvalidInput(fields={"destination": ["Must differ from the source."]})
    if kind not in TRANSFER_KINDS:
        raise InvalidInput(fields={"kind": [f"Not a transfer kind: {kind!r}."]})
    digest = fingerprint(
        kind=kind,
        source=source,
        destination=destination,
        amount_minor=amount_minor,
        currency=currency,
        reference=reference,
        payment_ref=payment_ref,
    )
    existing = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replay(existing, digest), True
    ids = system_account_ids(currency)
    try:
        with transaction.atomic():
            tx = LedgerTransaction.objects.create(
                public_id=uuid.uuid4(),
                idempotency_key=idempotency_key,
                fingerprint=digest,
                kind=kind,
                status=LedgerTransaction.Status.POSTED,
                account_id=ids[destination],
                amount_minor=amount_minor,
                currency=currency,
                reason=reason,
                reference=reference,
                payment_ref=payment_ref,
                payment_partner_id=payment_partner_id if payment_ref is not None else None,
                actor=actor,
                occurred_at=now,
                recorded_at=now,
            )
            Entry.objects.bulk_create(
                Entry(
                    transaction=tx,
                    account_id=ids[code],
                    bucket=Entry.Bucket.POSTED,
                    amount_minor=signed,
                    balance_after_minor=None,  # system accounts keep no running balance
                    currency=currency,
                    kind=kind,
                    reason=reason,
                    reference=reference,
                    actor=actor,
                    occurred_at=now,
                    recorded_at=now,
                )
                for code, signed in ((source, -amount_minor), (destination, amount_minor))
            )
    except IntegrityError as exc:
        again = LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()
        if again is not None:  # the same key committed meanwhile by a concurrent retry
            return _replay(again, digest), True
        if payment_ref is not None and "payment_ref" in str(exc):
            raise DuplicateReference(
                gettext("This payment has already been credited."),
                fields={"payment_ref": ["Already used by another payment."]},
            ) from None
        raise
    return tx, False


def system_account_balance(*, code: str, currency: str, reference: str | None = None) -> int:
    """A system account's balance (the sum of its entries), optionally for one reference (e.g.
    one policy's premium held for its insurer)."""
    entries = Entry.objects.filter(
        account__kind=Account.Kind.SYSTEM, account__system_code=code, currency=currency
    )
    if reference is not None:
        entries = entries.filter(reference=reference)
    return entries.aggregate(total=Sum("amount_minor"))["total"] or 0


def _replay(existing: LedgerTransaction, digest: str) -> LedgerTransaction:
    if existing.fingerprint != digest:
        raise IdempotencyKeyReused(
            gettext("This idempotency key was already used for a different operation."),
            fields={"idempotency_key": ["Already used with other parameters."]},
        )
    return existing

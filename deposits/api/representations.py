"""How shops, deposits, entries and holds look to partners (api-v1.md), as plain functions so
list pages and postings build them without a serializer per field. The serializers in
serializers.py declare the same shapes for the OpenAPI schema; the schema-conformance fuzz test
keeps the two in step."""

from __future__ import annotations

from typing import Any

from common.times import utc_iso
from deposits.models import Account, Entry, Hold, Withdrawal
from deposits.selectors import deposit_summary
from shops.models import Shop


def deposit_data(account: Account) -> dict[str, Any]:
    return deposit_summary(account).as_dict()


def entry_data(entry: Entry, *, transaction_id: Any) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "transaction_id": str(transaction_id),
        "kind": entry.kind,
        "bucket": entry.bucket,
        "amount_minor": entry.amount_minor,
        "balance_after_minor": entry.balance_after_minor,
        "currency": entry.currency,
        "reason": entry.reason,
        "reference": entry.reference,
        "occurred_at": utc_iso(entry.occurred_at),
    }


def hold_data(hold: Hold, *, shop_public_id: Any) -> dict[str, Any]:
    return {
        "id": str(hold.public_id),
        "shop": str(shop_public_id),
        "amount_minor": hold.amount_minor,
        "captured_minor": hold.captured_minor,
        "currency": hold.currency,
        "status": hold.status,
        "reason": hold.reason,
        "reference": hold.reference,
        "expires_at": utc_iso(hold.expires_at),
        "created_at": utc_iso(hold.created_at),
        "resolved_at": utc_iso(hold.resolved_at),
    }


def withdrawal_data(withdrawal: Withdrawal, *, shop_public_id: Any) -> dict[str, Any]:
    """A withdrawal's payout: its reference, where it stands and where it goes."""
    return {
        "reference": withdrawal.reference,
        "shop": str(shop_public_id),
        "amount_minor": withdrawal.amount_minor,
        "currency": withdrawal.currency,
        "status": withdrawal.status,
        "bank_account_tail": withdrawal.bank_account_tail,
        "provider_ref": withdrawal.provider_ref,
        "failure_reason": withdrawal.failure_reason,
        "requested_at": utc_iso(withdrawal.requested_at),
        "sent_at": utc_iso(withdrawal.sent_at),
        "paid_at": utc_iso(withdrawal.paid_at),
        "failed_at": utc_iso(withdrawal.failed_at),
    }


def shop_data(
    shop: Shop,
    *,
    account: Account,
    category_codes: list[str],
    restrictions: list[Any],
) -> dict[str, Any]:
    return {
        "id": str(shop.public_id),
        "external_ref": shop.external_ref,
        "name": shop.name,
        "shop_type": shop.shop_type,
        "trademark_status": shop.trademark_status,
        "categories": category_codes,
        "status": shop.status,
        "restrictions": [
            {
                "kind": r.kind,
                "reason": r.reason,
                "since": utc_iso(r.since),
                "lifts_when": r.lifts_when,
            }
            for r in restrictions
        ],
        "deposit": deposit_data(account),
        "created_at": utc_iso(shop.created_at),
        "went_live_at": utc_iso(shop.went_live_at),
    }

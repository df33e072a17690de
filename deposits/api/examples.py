"""Example requests and responses for the OpenAPI schema (and docs/api.md)."""

from __future__ import annotations

SHOP_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
HOLD_ID = "3f2b8c1d-6a4e-4b7f-9c2d-1e0f5a6b7c8d"
TX_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

DEPOSIT_PAID = {
    "currency": "CNY",
    "required_minor": 5000000,
    "posted_minor": 5000000,
    "held_minor": 0,
    "available_minor": 5000000,
    "guaranteed_minor": 0,
    "debt_minor": 0,
    "shortfall_minor": 0,
}
SHOP_CREATE = {
    "external_ref": "tmall-123",
    "name": "云锦旗舰店",
    "shop_type": "FLAGSHIP",
    "trademark_status": "REGISTERED",
    "categories": ["apparel"],
    "merchant": {"email": "owner@yunjin.example", "name": "云锦服饰有限公司"},
}
SHOP_NEW = {
    "id": SHOP_ID,
    "external_ref": "tmall-123",
    "name": "云锦旗舰店",
    "shop_type": "FLAGSHIP",
    "trademark_status": "REGISTERED",
    "categories": ["apparel"],
    "status": "ONBOARDING",
    "restrictions": [],
    "deposit": {
        **DEPOSIT_PAID,
        "posted_minor": 0,
        "available_minor": 0,
        "shortfall_minor": 5000000,
    },
    "created_at": "2026-11-02T06:00:00Z",
    "went_live_at": None,
}
SHOP = {
    **SHOP_NEW,
    "status": "ACTIVE",
    "deposit": DEPOSIT_PAID,
    "went_live_at": "2026-11-02T06:05:00Z",
}
ENTRY = {
    "id": 1042,
    "transaction_id": TX_ID,
    "kind": "DEDUCTION",
    "bucket": "POSTED",
    "amount_minor": -15000,
    "balance_after_minor": 4985000,
    "currency": "CNY",
    "reason": "延迟发货赔付",
    "reference": "order-8812",
    "occurred_at": "2026-11-03T09:30:00Z",
}
TOP_UP = {"amount_minor": 5000000, "currency": "CNY", "payment_ref": "alipay-2026110200001"}
TOP_UP_RESULT = {
    "entry": {
        **ENTRY,
        "id": 1001,
        "kind": "TOP_UP",
        "amount_minor": 5000000,
        "balance_after_minor": 5000000,
        "reason": "充值",
        "reference": "alipay-2026110200001",
    },
    "deposit": DEPOSIT_PAID,
}
DEDUCTION = {
    "amount_minor": 15000,
    "currency": "CNY",
    "reason": "延迟发货赔付",
    "reference": "order-8812",
    "allow_debt": False,
}
DEDUCTION_RESULT = {
    "entry": ENTRY,
    "deposit": {
        **DEPOSIT_PAID,
        "posted_minor": 4985000,
        "available_minor": 4985000,
        "shortfall_minor": 15000,
    },
}
WITHDRAWAL_RESULT = {
    "entry": {
        **ENTRY,
        "kind": "WITHDRAWAL",
        "amount_minor": -100000,
        "balance_after_minor": 5000000,
        "reason": "保证金提现",
        "reference": "",
    },
    "deposit": DEPOSIT_PAID,
    "withdrawal": {
        "reference": "WD-2026-000123",
        "status": "REQUESTED",
        "bank_account_tail": "6789",
        "failure_reason": "",
    },
}
HOLD_PLACE = {
    "amount_minor": 50000,
    "currency": "CNY",
    "reason": "claim C-77: counterfeit complaint",
    "reference": "claim-77",
    "expires_at": "2026-11-20T00:00:00Z",
}
HOLD = {
    "id": HOLD_ID,
    "shop": SHOP_ID,
    "amount_minor": 50000,
    "captured_minor": 0,
    "currency": "CNY",
    "status": "ACTIVE",
    "reason": "claim C-77: counterfeit complaint",
    "reference": "claim-77",
    "expires_at": "2026-11-20T00:00:00Z",
    "created_at": "2026-11-03T09:00:00Z",
    "resolved_at": None,
}
HOLD_CAPTURED = {
    **HOLD,
    "status": "CAPTURED",
    "captured_minor": 30000,
    "resolved_at": "2026-11-05T10:00:00Z",
}
HOLD_RELEASED = {**HOLD, "status": "RELEASED", "resolved_at": "2026-11-05T10:00:00Z"}

WITHDRAWAL_PAYOUT = {
    "reference": "WD-2026-000123",
    "shop": SHOP_ID,
    "amount_minor": 100000,
    "currency": "CNY",
    "status": "SENT",
    "bank_account_tail": "6789",
    "provider_ref": "PO-77",
    "failure_reason": "",
    "requested_at": "2026-11-18T01:00:00+00:00",
    "sent_at": "2026-11-18T03:00:00+00:00",
    "paid_at": None,
    "failed_at": None,
}

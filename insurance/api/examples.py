"""Example requests and responses for the OpenAPI schema."""

from __future__ import annotations

SHOP_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
QUOTE_ID = "5b0e3c52-1f3d-4a0e-9d5c-2b8e7f6a1c90"
APPLICATION_ID = "a1e2c3d4-5b6f-4a7e-8c9d-0e1f2a3b4c5d"
POLICY_ID = "c0ffee00-1234-4abc-9def-00112233aabb"

PRODUCT = {
    "code": "perf-bond",
    "name_zh": "保证金履约险",
    "name_en": "Deposit performance insurance",
    "insurer": "PICC",
    "premium_rate_bps": 300,
    "coverage_share_bps": 10000,
    "term_days": 365,
    "recovery_days": 15,
    "categories": [
        "apparel",
        "digital_3c",
        "food",
        "home_appliances",
        "home_furnishing",
        "jewelry",
        "shoes_bags",
    ],
    "effective_from": "2024-01-01T00:00:00Z",
}
QUOTE = {
    "id": QUOTE_ID,
    "shop": SHOP_ID,
    "product": "perf-bond",
    "eligible": True,
    "reasons": [],
    "requirement_minor": 5000000,
    "coverage_minor": 5000000,
    "premium_minor": 150000,
    "currency": "CNY",
    "starts_on": "2026-11-02",
    "ends_on": "2027-11-01",
    "valid_until": "2026-11-09T06:00:00Z",
    "day_count": "ACT/365",
    "cash_required_minor": 0,
    "computation": (
        "Coverage 50,000.00 CNY = deposit requirement 50,000.00 CNY × coverage share 100.00%, "
        "rounded half up to the fen. Premium 1,500.00 CNY = coverage 50,000.00 CNY × 3.00% a "
        "year × 365 days / 365 (ACT/365: charged by insured day), rounded half up to the fen."
    ),
    "created_at": "2026-11-02T06:00:00Z",
    "renews": None,
}
QUOTE_INELIGIBLE = {
    **QUOTE,
    "eligible": False,
    "reasons": [
        {
            "code": "category_not_eligible",
            "detail": (
                "Categories not covered by this product: Health supplements. Every category of "
                "the shop must be one of the product's."
            ),
            "detail_en": (
                "Categories not covered by this product: Health supplements. Every category of "
                "the shop must be one of the product's."
            ),
            "detail_zh": (
                "以下类目不在本险种承保范围内：保健食品。店铺的所有类目都须在承保范围内。"
            ),
        }
    ],
}
APPLICATION = {
    "id": APPLICATION_ID,
    "quote": QUOTE_ID,
    "shop": SHOP_ID,
    "product": "perf-bond",
    "status": "SUBMITTED",
    "coverage_minor": 5000000,
    "premium_minor": 150000,
    "currency": "CNY",
    "submitted_at": "2026-11-02T06:01:00Z",
    "decided_at": None,
    "decline_reason_code": None,
    "decline_detail": None,
    "policy": None,
    "renews": None,
}
POLICY = {
    "id": POLICY_ID,
    "shop": SHOP_ID,
    "product": "perf-bond",
    "policy_number": "PICC-2026-000123",
    "status": "AWAITING_PREMIUM",
    "coverage_minor": 5000000,
    "limit_remaining_minor": 5000000,
    "premium_minor": 150000,
    "premium_paid_minor": 0,
    "currency": "CNY",
    "starts_on": None,
    "ends_on": None,
    "premium_due_at": "2026-11-09T08:00:00Z",
    "refund_minor": None,
    "renews": None,
    "renewed_by": None,
    "in_force": False,
}
PREMIUM_PAYMENT = {"amount_minor": 150000, "currency": "CNY", "payment_ref": "alipay-2026110300017"}
POLICY_ACTIVE = {
    **POLICY,
    "status": "ACTIVE",
    "premium_paid_minor": 150000,
    "starts_on": "2026-11-03",
    "ends_on": "2027-11-02",
    "in_force": True,
}
RENEWAL_POLICY_ID = "c0ffee00-1234-4abc-9def-00112233aacc"
QUOTE_RENEWAL = {
    **QUOTE,
    "starts_on": "2027-11-03",
    "ends_on": "2028-11-01",
    "valid_until": "2027-10-27T06:00:00Z",
    "created_at": "2027-10-20T06:00:00Z",
    "renews": POLICY_ID,
}
POLICY_RENEWAL_PAID = {
    **POLICY_ACTIVE,
    "id": RENEWAL_POLICY_ID,
    "policy_number": "PICC-2027-000456",
    "starts_on": "2027-11-03",
    "ends_on": "2028-11-01",
    "premium_due_at": "2027-10-27T08:00:00Z",
    "renews": POLICY_ID,
    "in_force": False,
}
POLICY_SURRENDERED = {
    **POLICY_ACTIVE,
    "status": "SURRENDERED",
    "refund_minor": 74795,
    "in_force": False,
}
SURRENDER_QUOTE = {
    "allowed": True,
    "reasons": [],
    "refund_minor": 74795,
    "used_days": 183,
    "term_days": 365,
    "outstanding_recoveries_minor": 0,
    "currency": "CNY",
    "surrender_on": "2027-05-04",
    "computation": (
        "Refund 747.95 CNY = premium 1,500.00 CNY − coverage 50,000.00 CNY × 3.00% × 183 used "
        "days / 365 (752.05 CNY; 2026-11-03 through 2027-05-04, both included), rounded half up "
        "to the fen."
    ),
    "computation_zh": "退还保费 747.95 CNY = …",
}
APPLICATION_ACCEPTED = {
    **APPLICATION,
    "status": "ACCEPTED",
    "decided_at": "2026-11-02T08:00:00Z",
    "policy": POLICY,
}
APPLICATION_DECLINED = {
    **APPLICATION,
    "status": "DECLINED",
    "decided_at": "2026-11-02T08:00:00Z",
    "decline_reason_code": "abnormal_operation",
    "decline_detail": "The merchant is on the abnormal operation register.",
}


ADVANCE_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
RECOVERY_ID = "3f2e1d0c-9b8a-4765-a432-10fedcba9876"
RECOVERY_SUMMARY = {
    "id": RECOVERY_ID,
    "due_on": "2026-11-17",
    "due_at": "2026-11-17T16:00:00Z",
    "amount_minor": 30000,
    "outstanding_minor": 30000,
    "status": "OPEN",
}
ADVANCE = {
    "id": ADVANCE_ID,
    "policy": POLICY_ID,
    "claim": "CLM-2026-0042",
    "amount_minor": 30000,
    "requested_minor": 30000,
    "uncovered_minor": 0,
    "currency": "CNY",
    "advanced_at": "2026-11-02T06:00:00Z",
    "recovery": RECOVERY_SUMMARY,
}
RECOVERY_PARTLY_REPAID = {
    **RECOVERY_SUMMARY,
    "outstanding_minor": 20000,
    "advance": ADVANCE_ID,
    "policy": POLICY_ID,
    "claim": "CLM-2026-0042",
    "currency": "CNY",
    "overdue_at": None,
    "repaid_at": None,
    "repayments": [
        {
            "amount_minor": 10000,
            "payment_ref": "ALIPAY-20261105-77",
            "repaid_at": "2026-11-05T02:00:00Z",
        }
    ],
}
RECOVERY_REPAID = {
    **RECOVERY_PARTLY_REPAID,
    "outstanding_minor": 0,
    "status": "REPAID",
    "repaid_at": "2026-11-06T02:00:00Z",
    "repayments": [
        *RECOVERY_PARTLY_REPAID["repayments"],
        {
            "amount_minor": 20000,
            "payment_ref": "ALIPAY-20261106-12",
            "repaid_at": "2026-11-06T02:00:00Z",
        },
    ],
}

"""Every write to deposits. Import the functions from here: `from deposits import services`."""

from deposits.services.guarantees import (
    guarantee_register,
    guarantee_set_amount,
    guarantee_withdraw,
    guarantees_expire_due,
)
from deposits.services.holds import (
    hold_capture,
    hold_expire,
    hold_place,
    hold_release,
    holds_expire_due,
)
from deposits.services.ledger_check import LedgerCheckResult, ledger_check_run
from deposits.services.onboarding import shop_exit_confirm, shop_register
from deposits.services.operations import (
    adjustment_approve,
    adjustment_reject,
    deposit_adjust,
    deposit_deduct,
    deposit_forfeit,
    deposit_refund_on_exit,
    deposit_top_up,
    deposit_withdraw,
    refund_available_at,
    transaction_reverse,
)
from deposits.services.posting import PostingResult
from deposits.services.requirements import (
    account_open,
    account_set_recent_gmv,
    override_set,
    requirements_recompute,
)
from deposits.services.shortfall import (
    Evaluation,
    PassResult,
    ScanResult,
    shortfall_after_posting,
    shortfall_banner,
    shortfall_candidates,
    shortfall_case_resolve_by_ops,
    shortfall_cases_open_due,
    shortfall_evaluate,
    shortfall_review_decide,
    shortfall_run_pass,
    shortfall_scan,
)

__all__ = [
    "Evaluation",
    "LedgerCheckResult",
    "PassResult",
    "PostingResult",
    "ScanResult",
    "account_open",
    "account_set_recent_gmv",
    "adjustment_approve",
    "adjustment_reject",
    "deposit_adjust",
    "deposit_deduct",
    "deposit_forfeit",
    "deposit_refund_on_exit",
    "deposit_top_up",
    "deposit_withdraw",
    "guarantee_register",
    "guarantee_set_amount",
    "guarantee_withdraw",
    "guarantees_expire_due",
    "hold_capture",
    "hold_expire",
    "hold_place",
    "hold_release",
    "holds_expire_due",
    "ledger_check_run",
    "override_set",
    "refund_available_at",
    "requirements_recompute",
    "shop_exit_confirm",
    "shop_register",
    "shortfall_after_posting",
    "shortfall_banner",
    "shortfall_candidates",
    "shortfall_case_resolve_by_ops",
    "shortfall_cases_open_due",
    "shortfall_evaluate",
    "shortfall_review_decide",
    "shortfall_run_pass",
    "shortfall_scan",
    "transaction_reverse",
]

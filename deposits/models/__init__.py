"""Deposit models: requirement rules (rules.py) and the ledger (ledger.py)."""

from deposits.models.ledger import (
    Account,
    AdjustmentRequest,
    Entry,
    Hold,
    LedgerCheckRun,
    LedgerTransaction,
    SystemAccount,
    TransactionKind,
)
from deposits.models.rules import (
    BaseRequirementRule,
    CategoryRequirementRule,
    GmvRequirementSchedule,
    RuleChange,
    ShopRequirementOverride,
)

__all__ = [
    "Account",
    "AdjustmentRequest",
    "BaseRequirementRule",
    "CategoryRequirementRule",
    "Entry",
    "GmvRequirementSchedule",
    "Hold",
    "LedgerCheckRun",
    "LedgerTransaction",
    "RuleChange",
    "ShopRequirementOverride",
    "SystemAccount",
    "TransactionKind",
]

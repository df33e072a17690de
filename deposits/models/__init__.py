"""Deposit models: requirement rules (rules.py) and the requirement's history (history.py), the
ledger (ledger.py), guarantees (guarantees.py), shortfall enforcement (shortfall.py) and
withdrawals' payouts (payouts.py)."""

from deposits.models.guarantees import Guarantee
from deposits.models.history import RequirementChange
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
from deposits.models.payouts import PayoutAccount, Withdrawal
from deposits.models.rules import (
    BaseRequirementRule,
    CategoryRequirementRule,
    GmvRequirementSchedule,
    RuleChange,
    ShopRequirementOverride,
)
from deposits.models.shortfall import (
    LadderAction,
    ShortfallCase,
    ShortfallLadderStep,
    ShortfallReview,
    ShortfallStep,
)

__all__ = [
    "Account",
    "AdjustmentRequest",
    "BaseRequirementRule",
    "CategoryRequirementRule",
    "Entry",
    "GmvRequirementSchedule",
    "Guarantee",
    "Hold",
    "LadderAction",
    "LedgerCheckRun",
    "PayoutAccount",
    "Withdrawal",
    "LedgerTransaction",
    "RequirementChange",
    "RuleChange",
    "ShopRequirementOverride",
    "ShortfallCase",
    "ShortfallLadderStep",
    "ShortfallReview",
    "ShortfallStep",
    "SystemAccount",
    "TransactionKind",
]

"""Deposit models: requirement rules (rules.py) and the requirement's history (history.py), the
ledger (ledger.py), guarantees (guarantees.py), shortfall enforcement (shortfall.py), withdrawals'
payouts (payouts.py), reconciliation (reconciliation.py), the overview's daily totals (snapshots.py)
and each ledger's day totals (rollups.py)."""

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
from deposits.models.reconciliation import (
    FILE_SOURCES,
    ReconciliationItem,
    ReconciliationItemEvent,
    ReconciliationRun,
    ReconciliationSource,
    SettlementImport,
    SettlementLine,
)
from deposits.models.rollups import EntryDayRollup, EntryRollupMark
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
from deposits.models.snapshots import DailyDepositSnapshot

__all__ = [
    "Account",
    "AdjustmentRequest",
    "BaseRequirementRule",
    "CategoryRequirementRule",
    "DailyDepositSnapshot",
    "Entry",
    "EntryDayRollup",
    "EntryRollupMark",
    "GmvRequirementSchedule",
    "Guarantee",
    "Hold",
    "LadderAction",
    "LedgerCheckRun",
    "PayoutAccount",
    "FILE_SOURCES",
    "ReconciliationItem",
    "ReconciliationItemEvent",
    "ReconciliationRun",
    "ReconciliationSource",
    "SettlementImport",
    "SettlementLine",
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

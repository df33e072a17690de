"""Claims (理赔): tables. Import from here (`from claims.models import Claim`); a module inside
this package imports the module that defines a name, never this package."""

from claims.models.claims import (
    Actor,
    Claim,
    ClaimEvent,
    ClaimFunding,
    ClaimStatus,
    CompensationRule,
    FundingSource,
    Outcome,
    Reason,
    RuleKind,
)
from claims.models.evidence import ClaimEvidence, ConsumerFlag, Party

__all__ = [
    "Actor",
    "Claim",
    "ClaimEvent",
    "ClaimEvidence",
    "ClaimFunding",
    "ClaimStatus",
    "CompensationRule",
    "ConsumerFlag",
    "FundingSource",
    "Outcome",
    "Party",
    "Reason",
    "RuleKind",
]

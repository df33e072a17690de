"""Claims (理赔): tables. Import from here (`from claims.models import Claim`); a module inside
this package imports the module that defines a name, never this package."""

from claims.models.approvals import AgentLimit, ClaimDecisionRequest, DecisionRequestStatus
from claims.models.claims import (
    APPEAL_OUTCOME_CHOICES,
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
from claims.models.queue import QueuedClaim
from claims.models.reversals import ClaimReversal, ReturnedTo

__all__ = [
    "APPEAL_OUTCOME_CHOICES",
    "Actor",
    "AgentLimit",
    "Claim",
    "ClaimEvent",
    "ClaimDecisionRequest",
    "ClaimEvidence",
    "ClaimFunding",
    "ClaimReversal",
    "ClaimStatus",
    "CompensationRule",
    "ConsumerFlag",
    "DecisionRequestStatus",
    "FundingSource",
    "Outcome",
    "Party",
    "QueuedClaim",
    "Reason",
    "ReturnedTo",
    "RuleKind",
]

"""Performance insurance (保证金履约险): its tables, one module per stage of a policy's life.

Import from here (`from insurance.models import Policy`); a module inside this package imports
the module that defines a name, never this package.
"""

from insurance.models.advances import (
    OUTSTANDING_STATUSES,
    Advance,
    Recovery,
    RecoveryRepayment,
    RecoveryStatus,
)
from insurance.models.premiums import PolicyDocument, PolicySurrender, PremiumPayment
from insurance.models.reconciliation import InsurerStatement
from insurance.models.underwriting import (
    ApplicationStatus,
    BenefitWindow,
    InsuranceApplication,
    InsuranceProduct,
    InsuranceQuote,
    Policy,
    PolicyStatus,
    ProductChange,
    TrendTrack,
)

__all__ = [
    "InsuranceProduct",
    "ProductChange",
    "BenefitWindow",
    "TrendTrack",
    "InsuranceQuote",
    "ApplicationStatus",
    "InsuranceApplication",
    "PolicyStatus",
    "Policy",
    "PremiumPayment",
    "PolicyDocument",
    "PolicySurrender",
    "Advance",
    "RecoveryStatus",
    "OUTSTANDING_STATUSES",
    "Recovery",
    "RecoveryRepayment",
    "InsurerStatement",
]

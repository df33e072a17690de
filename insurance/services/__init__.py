"""Every write to insurance. Import the functions from here: `from insurance import services`.
A module inside this package imports the module that defines a name, never this package."""

from insurance.services.advances import (
    AdvanceResult,
    AdvanceReversal,
    advance_data,
    advance_reverse,
    policy_advance,
    recoveries_due_scan,
    recovery_data,
    recovery_process,
    recovery_repay,
)
from insurance.services.policies import (
    ISSUE_POLICY_DOCUMENT_TASK,
    policy_document_issue,
    policy_documents_due_scan,
    policy_surrender,
    premium_pay,
)
from insurance.services.reconciliation import (
    insurer_match_day,
    insurer_statement_import,
    insurers_reconcile_daily,
)
from insurance.services.renewals import policy_term_process, policy_terms_due_scan
from insurance.services.underwriting import (
    application_accept,
    application_close,
    application_decline,
    application_event_data,
    application_submit,
    applications_expire_due,
    policy_event_data,
    policy_renew,
    product_change_record,
    product_insurer_assign,
    product_snapshot,
    quote_create,
    renewal_check,
)

__all__ = [
    "insurer_match_day",
    "insurer_statement_import",
    "insurers_reconcile_daily",
    "quote_create",
    "application_submit",
    "application_accept",
    "application_decline",
    "application_close",
    "product_change_record",
    "product_snapshot",
    "applications_expire_due",
    "application_event_data",
    "policy_event_data",
    "product_insurer_assign",
    "policy_renew",
    "renewal_check",
    "premium_pay",
    "policy_document_issue",
    "policy_documents_due_scan",
    "policy_surrender",
    "ISSUE_POLICY_DOCUMENT_TASK",
    "AdvanceResult",
    "policy_advance",
    "AdvanceReversal",
    "advance_reverse",
    "recovery_repay",
    "recoveries_due_scan",
    "recovery_process",
    "advance_data",
    "recovery_data",
    "policy_terms_due_scan",
    "policy_term_process",
]

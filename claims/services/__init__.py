"""Every write of the claims app. Import the functions from here: `from claims import services`.
A module inside this package imports the module that defines a name, never this package.

Keyword-only, typed, `now` from the caller. Each runs in `transaction.atomic()` (plain, not
durable: the partner API runs it inside its own durable transaction with the idempotency record),
takes its row lock (claims.locks), writes a timeline row and publishes its event to the filing
partner through partners' outbox in the same transaction. Errors are common.errors.DomainError
subclasses with stable codes:

- `claim_file(partner_id, shop, external_ref, reason, order_ref, order_paid_minor, currency,
  order_paid_at, order_shipped_at, consumer_ref, description, now, requested_minor=None)
  -> (Claim, created)`: NEGOTIATING, the estimate computed by the rule in force (the claim keeps
  that rule's row). The same `external_ref` returns the same claim (created=False);
  `duplicate_reference` if it names another. `not_found` (another partner's shop),
  `shop_closed`, `validation_error` naming every bad field. Publishes `claim.filed`.
- `claim_settle(claim, now, actor_label="", note="")`: the merchant settled, nothing deducted.
  `claim.closed`.
- `claim_escalate(claim, now, note="", actor=PARTNER, actor_label="")`: IN_REVIEW (the
  merchant contesting or the deadline task pass their own actor) with a hold for as much of the
  estimate as is available, less what the shop's insurer would advance (the policy's remaining
  limit, `insurer_limit_minor(claim)`): no hold at all when the insurer covers the estimate
  (deposits.services.hold_place; expires 30 days later).
  `claim.escalated`.
- `claim_withdraw(claim, now, note="", actor=PARTNER, actor_label="")`: before a decision;
  the hold released. `claim.closed`.
- `claim_decide(claim, outcome, now, amount_minor=None, note="", ...)`: DECIDED, `appeal_by`
  15 days later; an insured shop's insurer advances first (insurance.services.policy_advance,
  up to the remaining limit: the advance and its recovery), then the hold is captured up to
  what is left (the rest released), beyond it deducted with debt allowed; a rejection releases
  it. Funding rows: INSURER_ADVANCE, DEPOSIT, DEBT with their ledger transactions.
  `claim_already_decided`, `invalid_claim_status`. `claim.decided`.
- `claim_appeal(claim, now, note, actor=MERCHANT, actor_label="")`: DECIDED (upheld or partly)
  → APPEALED, once, before `appeal_by`; `appeal_not_allowed` otherwise (a second appeal, past
  the window, closed, a rejection), `invalid_claim_status` before a decision. `claim.appealed`.
- `claim_appeal_decide(claim, outcome, now, note="", actor=PARTNER, actor_label="")`: APPEALED
  → CLOSED with `appeal_outcome`. UPHELD reverses the payout by new entries (the deposit part
  and the debt through deposits.services.deposit_award_reverse, the insurer's advance through
  insurance.services.advance_reverse: recovery cancelled, what was repaid credited to the
  deposit); `claim.reversed` then `claim.closed`. REJECTED: `claim.closed`.
  `claim_already_decided` once the appeal was decided, `invalid_claim_status` unless APPEALED.
- `claim_close_unappealed(claim, now)`: DECIDED → CLOSED once `appeal_by` has passed (the
  deadline task); an already CLOSED claim is returned unchanged; `invalid_claim_status`
  otherwise (window open, APPEALED, not decided). `claim.closed`.
- `claim_data(claim)`: the claim as the API and the events show it; `current_deadline(claim,
  now=None)`: the deadline people look at (when, whose, what passing it does, both languages),
  `local_time(moment)` as every screen writes it.
- Deadlines (claims.services.deadlines): `claims_due_scan(now, dispatch, page=1000) -> int`,
  `claim_deadline_process(claim_id, now) -> str` (escalated | auto_decided | evidence_closed |
  closed | nothing; exactly once under the pair's locks), `deadlines_run_pass(now) ->
  DeadlinePass`, `claim_request_material(claim, party, note, now, actor_label) -> Claim` (ops).
- Ops decisions with four-eyes (`claim_decision_make`, `claim_decision_approve`,
  `claim_decision_reject`, `claim_decision_requests_expire`): see claims/services/approvals.py.
- `evidence_add(claim, party, upload, note, now, actor_label="") -> ClaimEvidence`: one file
  (JPEG/PNG/GIF/PDF by content, ≤ 5 MiB, ≤ 10 per party) stored privately; `validation_error`
  naming `file`, `invalid_claim_status` once decided or over. New consumer evidence while
  IN_REVIEW gives the merchant 24 h more.
- `claim_mark_malicious(claim, reason, expires_at, now, actor_label) -> Claim`: rejected if
  open, the consumer flagged, their other open claims marked for review.
  `consumer_flag_lift(flag, reason, now, actor_label)`; `claim_review_done(claim, now,
  actor_label, note="")`.
"""

from claims.services.appeals import claim_appeal, claim_appeal_decide, claim_close_unappealed
from claims.services.approvals import (
    claim_decision_approve,
    claim_decision_make,
    claim_decision_reject,
    claim_decision_requests_expire,
    compensation_rule_needs_four_eyes,
    compensation_rule_request,
)
from claims.services.deadlines import (
    DeadlinePass,
    claim_deadline_process,
    claim_request_material,
    claims_due_scan,
    deadlines_run_pass,
)
from claims.services.decisions import DecisionRefused, claim_decide
from claims.services.evidence import evidence_add
from claims.services.lifecycle import (
    claim_escalate,
    claim_file,
    claim_settle,
    claim_withdraw,
    contest_hold_preview,
    insurer_limit_minor,
)
from claims.services.malicious import (
    claim_mark_malicious,
    claim_review_done,
    consumer_flag_lift,
)
from claims.services.records import claim_data, current_deadline, evidence_data, local_time

__all__ = [
    "compensation_rule_needs_four_eyes",
    "compensation_rule_request",
    "DeadlinePass",
    "claim_deadline_process",
    "claim_request_material",
    "claims_due_scan",
    "current_deadline",
    "deadlines_run_pass",
    "local_time",
    "claim_appeal",
    "claim_appeal_decide",
    "claim_close_unappealed",
    "claim_data",
    "claim_decide",
    "DecisionRefused",
    "claim_decision_approve",
    "claim_decision_make",
    "claim_decision_reject",
    "claim_decision_requests_expire",
    "claim_escalate",
    "contest_hold_preview",
    "claim_mark_malicious",
    "claim_review_done",
    "claim_file",
    "claim_settle",
    "claim_withdraw",
    "consumer_flag_lift",
    "evidence_add",
    "evidence_data",
    "insurer_limit_minor",
]

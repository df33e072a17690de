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
  estimate as is available (deposits.services.hold_place; expires 30 days later).
  `claim.escalated`.
- `claim_withdraw(claim, now, note="", actor=PARTNER, actor_label="")`: before a decision;
  the hold released. `claim.closed`.
- `claim_decide(claim, outcome, now, amount_minor=None, note="", ...)`: DECIDED; the hold
  captured up to the award (the rest released), beyond it deducted with debt allowed; a
  rejection releases it. `claim_already_decided`, `invalid_claim_status`. `claim.decided`.
- `claim_data(claim)`: the claim as the API and the events show it.
- `evidence_add(claim, party, upload, note, now, actor_label="") -> ClaimEvidence`: one file
  (JPEG/PNG/GIF/PDF by content, ≤ 5 MiB, ≤ 10 per party) stored privately; `validation_error`
  naming `file`, `invalid_claim_status` once decided or over. New consumer evidence while
  IN_REVIEW gives the merchant 24 h more.
- `claim_mark_malicious(claim, reason, expires_at, now, actor_label) -> Claim`: rejected if
  open, the consumer flagged, their other open claims marked for review.
  `consumer_flag_lift(flag, reason, now, actor_label)`; `claim_review_done(claim, now,
  actor_label, note="")`.
"""

from claims.services.decisions import claim_decide, insurer_limit_minor
from claims.services.evidence import evidence_add
from claims.services.lifecycle import claim_escalate, claim_file, claim_settle, claim_withdraw
from claims.services.malicious import (
    claim_mark_malicious,
    claim_review_done,
    consumer_flag_lift,
)
from claims.services.records import claim_data, evidence_data

__all__ = [
    "claim_data",
    "claim_decide",
    "claim_escalate",
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

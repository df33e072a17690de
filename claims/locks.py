"""Every row lock the claims app takes, in one place (like deposits.locks, insurance.locks).

Order: the claims of one (shop, consumer) pair, ascending pk, then deposits' own locks, which
deposits' services take inside (account → hold). This crosses the guide's "account, then
claim" on purpose and in one direction only: a decision must see every earlier award of the
pair before it computes the 24-hour cap, and nothing locks a claim while holding an account
(deposits does not know claims; no claims code locks a claim after calling deposits). Keep it so.

A claim's decision requests (four-eyes rows of approvals, claims.models.approvals) come before
its claims: approving one locks the request (approvals.locks), then claim_decide locks the pair;
making one locks the claim's pending requests first for the same reason.

With insurance (an insured shop's award, an upheld appeal's reversal), the combined order is

    decision request → claim(s) → deposit account → policy → recovery → hold → guarantee → shop

- the claim first (this module: the pair for a decision, the one claim for an appeal, its
  decision, the closing and a withdrawal; the pair's lock includes that one row, so a single
  claim lock and a pair lock serialise without a cycle);
- then `insurance.services.policy_advance` / `advance_reverse`, which take insurance.locks'
  order: the shop's deposit account (deposits.services.guarantee_account_lock), the policy,
  the recovery, and resize the guarantee (deposits: account → guarantee) while holding them;
- then deposits' postings on the same account (hold capture: account → hold; the deduction
  and the reversal: account), which find the account already locked by this transaction;
- the shop's row last (restrictions lifted or added, going live), as everywhere.

The advance comes before the capture in a decision, so the hold is locked after the policy;
nothing locks a policy after a hold (deposits never locks a policy), so no cycle forms.
Insurance and deposits never lock a claim.

Mode FOR NO KEY UPDATE, as deposits.locks: rows that point at a claim by foreign key (timeline,
funding) take KEY SHARE on insert and must not queue behind the lock.
"""

from __future__ import annotations

from approvals import locks as approval_locks
from claims.models import Claim, ClaimDecisionRequest


def lock_claim_with_pair(claim_id: int) -> Claim:
    """Lock every claim of this claim's (shop, consumer) pair, in pk order, and return this one
    as locked (its status is the truth from here to the commit)."""
    shop_id, consumer_ref = Claim.objects.values_list("shop_id", "consumer_ref").get(pk=claim_id)
    locked = list(
        Claim.objects.filter(shop_id=shop_id, consumer_ref=consumer_ref)
        .select_for_update(no_key=True, of=("self",))
        .order_by("pk")
    )
    return next(c for c in locked if c.pk == claim_id)


def lock_consumer_claims(*, partner_id: int, consumer_ref: str) -> list[Claim]:
    """Lock every claim of one partner's consumer, across shops, in pk order (marking a consumer
    malicious). A superset of each of the consumer's pairs taken in the same pk order, so it
    cannot deadlock with a decision holding one pair; take it before lock_claim_with_pair."""
    return list(
        Claim.objects.filter(partner_id=partner_id, consumer_ref=consumer_ref)
        .select_for_update(no_key=True, of=("self",))
        .order_by("pk")
    )


def lock_claim(claim_id: int) -> Claim:
    return Claim.objects.select_for_update(no_key=True, of=("self",)).get(pk=claim_id)


def lock_decision_request(request_id: int) -> ClaimDecisionRequest:
    request = approval_locks.lock_request(request_id)
    request.__class__ = ClaimDecisionRequest
    return request  # type: ignore[return-value]


def lock_pending_decision_requests(claim_id: int) -> list[ClaimDecisionRequest]:
    pending = approval_locks.lock_pending_for_subject(ClaimDecisionRequest.ACTION, claim_id)
    for request in pending:
        request.__class__ = ClaimDecisionRequest
    return pending  # type: ignore[return-value]

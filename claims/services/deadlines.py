"""Deadlines moving claims on by themselves (domain.md §6.1 "Flow and deadlines"), and ops asking
a side for more material.

- `claims_due_scan(now, dispatch, page=1000) -> int`: the ids of claims whose deadline passed,
  one indexed statement on `next_deadline_at` streamed through a server-side cursor
  (claims.selectors), handed to `dispatch` a page at a time (Celery: one task per claim). Reads
  only; never locks.
- `claim_deadline_process(claim_id, now) -> str`: one claim, exactly once: locks the claims of
  its (shop, consumer) pair (the order claim_decide uses), re-reads the rule
  (claims.domain.deadlines.due_action) under the lock and acts: "escalated", "auto_decided",
  "evidence_closed", or "nothing" (not due, or a second worker / a re-delivered message that
  finds it done).
- `deadlines_run_pass(now) -> DeadlinePass`: the scan and every claim processed in this process
  (the management command `claims_deadlines`).
- `claim_request_material(claim, party, note, now, actor_label) -> Claim`: ops restart one
  side's evidence window (3 days from now) and the review target moves with it.

- The appeal window's end: a DECIDED claim past `appeal_by` is closed, the decision final
  (claims.services.appeals.claim_close_unappealed), "closed".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext

from claims import locks, selectors
from claims.domain import deadlines as rules
from claims.domain.event_texts import note as system_note
from claims.models import Actor, Claim, ClaimStatus, Outcome
from claims.services import records
from claims.services.appeals import claim_close_unappealed
from claims.services.decisions import claim_decide
from claims.services.lifecycle import claim_escalate, refuse_when_decided
from common.errors import InvalidClaimStatus, InvalidInput

logger = logging.getLogger(__name__)

SYSTEM_LABEL = "deadline task"
# Timeline notes are records in English like every other claims service's; screens translate by
# the row's `action` (escalated, decided:UPHELD, evidence_closed, material_requested:<party>).
SCAN_PAGE = 1000
SCANNED_STATUSES = [ClaimStatus.NEGOTIATING, ClaimStatus.IN_REVIEW, ClaimStatus.DECIDED]

ESCALATED = "escalated"
AUTO_DECIDED = "auto_decided"
EVIDENCE_CLOSED = "evidence_closed"
CLOSED = "closed"
NOTHING = "nothing"


def claims_due_scan(
    *, now: datetime, dispatch: Callable[[list[int]], None], page: int = SCAN_PAGE
) -> int:
    """Hand the ids of every claim with a passed deadline to `dispatch`, `page` at a time, from
    one streamed statement (memory stays flat whatever the backlog). Returns how many."""
    total = 0
    batch: list[int] = []
    for claim_id in selectors.claims_deadline_due(
        now=now, statuses=SCANNED_STATUSES, chunk_size=page
    ):
        batch.append(claim_id)
        if len(batch) == page:
            dispatch(batch)
            total += len(batch)
            batch = []
    if batch:
        dispatch(batch)
        total += len(batch)
    return total


def _escalate(claim: Claim, *, now: datetime) -> None:
    claim_escalate(
        claim=claim,
        now=now,
        actor=Actor.SYSTEM,
        actor_label=SYSTEM_LABEL,
        system=[system_note("no_answer", respond_by=claim.respond_by)],
    )


def _auto_decide(claim: Claim, *, now: datetime) -> str:
    """Escalate and decide UPHELD by the rule, in the caller's one transaction: the claim never
    shows ops an escalated late-shipment claim the rule has already answered, and a failure
    leaves it NEGOTIATING for the next scan rather than half-done. If the rule awards nothing
    (the 24-hour cap is used up), it stays escalated for ops."""
    _escalate(claim, now=now)
    ship_by = claim.order_paid_at + rules.SHIP_WITHIN
    why = system_note(
        "auto_decided",
        rule=claim.rule.code,
        paid_at=claim.order_paid_at,
        ship_by=ship_by,
        shipped_at=claim.order_shipped_at,
        respond_by=claim.respond_by,
    )
    try:
        claim_decide(
            claim=claim,
            outcome=Outcome.UPHELD,
            now=now,
            system=[why],
            actor=Actor.SYSTEM,
            actor_label=SYSTEM_LABEL,
        )
    except InvalidInput as error:
        # claim_decide ran in its own savepoint: the escalation stands, ops decide.
        records.timeline_add(
            claim=claim,
            actor=Actor.SYSTEM,
            actor_label=SYSTEM_LABEL,
            action="auto_decision_skipped",
            now=now,
            # The refusal in English is for ops' logs (the task runs in the site's language,
            # Chinese); the row says what happens next.
            system=[
                system_note("auto_decision_skipped", error=getattr(error, "english", str(error)))
            ],
        )
        return ESCALATED
    return AUTO_DECIDED


def _close_evidence(claim: Claim, *, now: datetime) -> None:
    claim.evidence_closed_at = now
    claim.save(update_fields=["evidence_closed_at"])
    records.timeline_add(
        claim=claim,
        actor=Actor.SYSTEM,
        actor_label=SYSTEM_LABEL,
        action="evidence_closed",
        now=now,
        system=[
            system_note(
                "evidence_closed",
                consumer_by=claim.consumer_evidence_by,
                merchant_by=claim.merchant_evidence_by,
                decide_by=claim.decide_by,
            )
        ],
    )


def close_unappealed(*, claim: Claim, now: datetime) -> str:
    """DECIDED → CLOSED once `appeal_by` passed, under the pair's locks already held."""
    claim_close_unappealed(claim=claim, now=now)
    return CLOSED


def claim_deadline_process(*, claim_id: int, now: datetime) -> str:
    """Do what the claim's passed deadline calls for, exactly once (see the module docstring)."""
    with transaction.atomic(durable=True):
        if not Claim.objects.filter(pk=claim_id).exists():
            return NOTHING
        # The pair first, in pk order, as claim_decide takes it: the automatic decision then
        # re-takes locks it already holds and never waits on a decision of a sibling claim while
        # holding this one.
        claim = locks.lock_claim_with_pair(claim_id)
        action = rules.due_action(claim.deadline_state(), now=now)
        if action == rules.NOTHING:
            return NOTHING
        claim = selectors.claim_with_details(claim_id)
        if action == rules.ESCALATE:
            _escalate(claim, now=now)
            return ESCALATED
        if action == rules.AUTO_DECIDE:
            return _auto_decide(claim, now=now)
        if action == rules.CLOSE_EVIDENCE:
            _close_evidence(claim, now=now)
            return EVIDENCE_CLOSED
        return close_unappealed(claim=claim, now=now)


@dataclass
class DeadlinePass:
    due: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    def summary(self, seconds: float) -> str:
        done = ", ".join(
            f"{self.counts.get(k, 0)} {k.replace('_', ' ')}"
            for k in (ESCALATED, AUTO_DECIDED, EVIDENCE_CLOSED, NOTHING)
        )
        return f"claims deadlines: {self.due} due, {done}, {self.errors} errors in {seconds:.2f} s"


def deadlines_run_pass(*, now: datetime) -> DeadlinePass:
    """One synchronous pass: the scan, then each claim in its own transaction. A claim that
    fails is logged and counted; the others go on."""
    result = DeadlinePass()

    def process(ids: list[int]) -> None:
        for claim_id in ids:
            result.due += 1
            try:
                outcome = claim_deadline_process(claim_id=claim_id, now=now)
            except Exception:
                logger.exception("claim deadline failed", extra={"claim_id": claim_id})
                result.errors += 1
                continue
            result.counts[outcome] = result.counts.get(outcome, 0) + 1

    claims_due_scan(now=now, dispatch=process)
    return result


def claim_request_material(
    *, claim: Claim, party: str, note: str, now: datetime, actor_label: str
) -> Claim:
    """Ops ask one side (CONSUMER or MERCHANT) for more material: that side's evidence window
    restarts (3 days from now, never shortened), the review target moves to 4 working days after
    the last window, and the evidence is open again. Only IN_REVIEW (`claim_already_decided`,
    `invalid_claim_status`); `validation_error` naming `party` or `note`."""
    if party not in (records.CONSUMER, records.MERCHANT):
        raise InvalidInput(
            gettext("party: must be CONSUMER or MERCHANT."),
            fields={"party": ["CONSUMER or MERCHANT."]},
        )
    if not note.strip():
        raise InvalidInput(
            gettext("note: say what material is needed."), fields={"note": ["Say what is needed."]}
        )
    with transaction.atomic():
        locked = locks.lock_claim(claim.pk)
        refuse_when_decided(locked)
        if locked.status != ClaimStatus.IN_REVIEW:
            raise InvalidClaimStatus(
                gettext("A %(status)s claim has no evidence window; escalate it first.")
                % {"status": locked.status}
            )
        restart = now + rules.EVIDENCE_WINDOW
        if party == records.CONSUMER:
            current = locked.consumer_evidence_by
            fields = records.set_evidence_windows(
                locked, consumer_by=max(restart, current) if current else restart
            )
            window = locked.consumer_evidence_by
        else:
            current = locked.merchant_evidence_by
            fields = records.set_evidence_windows(
                locked, merchant_by=max(restart, current) if current else restart
            )
            window = locked.merchant_evidence_by
        locked.save(update_fields=fields)
        records.timeline_add(
            claim=locked,
            actor=Actor.OPS,
            actor_label=actor_label,
            action=f"material_requested:{party}",
            now=now,
            note=note.strip(),
            system=[
                system_note(
                    "material_requested",
                    party=str(party),
                    window=window,
                    decide_by=locked.decide_by,
                )
            ],
        )
    return selectors.claim_with_details(claim.pk)


__all__ = [
    "DeadlinePass",
    "claim_deadline_process",
    "claim_request_material",
    "claims_due_scan",
    "close_unappealed",
    "deadlines_run_pass",
]

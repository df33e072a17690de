"""What every claim service writes besides the claim: the timeline row, the partner event, and
the claim as partners see it (the API's body and the events' data are the same dict)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone, translation

from claims import selectors
from claims.domain import deadlines as deadline_rules
from claims.domain.event_texts import SystemNote
from claims.models import Claim, ClaimEvent, ClaimEvidence
from common.times import utc_iso
from partners import services as partner_services

# The deadlines themselves live in claims.domain.deadlines (pure); re-exported for the services.
RESPOND_WITHIN = deadline_rules.RESPOND_WITHIN
EVIDENCE_WINDOW = deadline_rules.EVIDENCE_WINDOW
# New consumer evidence gives the merchant this much more to answer it.
MERCHANT_EXTRA_AFTER_NEW_EVIDENCE = timedelta(hours=24)
APPEAL_WINDOW = deadline_rules.APPEAL_WINDOW

EVENT_FILED = "claim.filed"
EVENT_ESCALATED = "claim.escalated"
EVENT_DECIDED = "claim.decided"
EVENT_CLOSED = "claim.closed"
EVENT_APPEALED = "claim.appealed"
EVENT_REVERSED = "claim.reversed"

CONSUMER = "CONSUMER"
MERCHANT = "MERCHANT"


def set_evidence_windows(
    claim: Claim, *, consumer_by: datetime | None = None, merchant_by: datetime | None = None
) -> list[str]:
    """Set one or both sides' evidence window and move the review target with them (4 working
    days after the last window closes). Returns the fields to save. Every service that opens,
    restarts or extends an evidence window goes through here, so `decide_by` never lags (the
    model's save() then keeps `next_deadline_at`)."""
    if consumer_by is not None:
        claim.consumer_evidence_by = consumer_by
    if merchant_by is not None:
        claim.merchant_evidence_by = merchant_by
    closes = deadline_rules.evidence_closes_at(claim.deadline_state())
    claim.decide_by = deadline_rules.decide_by_after(closes) if closes else None
    return ["consumer_evidence_by", "merchant_evidence_by", "decide_by"]


def current_deadline(
    claim: Claim, *, now: datetime | None = None
) -> deadline_rules.Deadline | None:
    """The claim's deadline people should look at: when (absolute), whose move, what happens
    when it passes (both languages), and whether it has passed."""
    return deadline_rules.current_deadline(
        claim.deadline_state(), now=now if now is not None else timezone.now()
    )


def local_time(value: datetime) -> str:
    """An absolute local time as every screen writes it: `2026-11-05 14:00 (Asia/Shanghai)`."""
    return f"{value.astimezone(deadline_rules.MARKET_TZ):%Y-%m-%d %H:%M} (Asia/Shanghai)"


def deadlines_data(claim: Claim, *, chinese: bool) -> dict[str, Any]:
    """The API's `deadlines` object: the current deadline (`respond_by` is its moment, kept from
    the first slice), whose it is and what passing it does, and every deadline of the claim."""
    deadline = current_deadline(claim)
    return {
        "respond_by": utc_iso(deadline.at) if deadline else None,
        "kind": deadline.kind if deadline else None,
        "at_local": local_time(deadline.at) if deadline else None,
        "party": deadline.party if deadline else None,
        "consequence": (
            (deadline.consequence_zh if chinese else deadline.consequence_en) if deadline else None
        ),
        "consequence_en": deadline.consequence_en if deadline else None,
        "consequence_zh": deadline.consequence_zh if deadline else None,
        "consumer_evidence_by": utc_iso(claim.consumer_evidence_by),
        "merchant_evidence_by": utc_iso(claim.merchant_evidence_by),
        "evidence_closed_at": utc_iso(claim.evidence_closed_at),
        "decide_by": utc_iso(claim.decide_by),
        "appeal_by": utc_iso(claim.appeal_by),
    }


def timeline_add(
    *,
    claim: Claim,
    actor: str,
    action: str,
    now: datetime,
    note: str = "",
    actor_label: str = "",
    system: Sequence[SystemNote] = (),
) -> ClaimEvent:
    """A timeline row: `note` as a person typed it, `system` the service's own lines as codes
    (claims.domain.event_texts.note), rendered in each reader's language when read."""
    return ClaimEvent.objects.create(
        claim=claim,
        at=now,
        actor=actor,
        actor_label=actor_label,
        action=action,
        note=note,
        system_notes=list(system),
    )


def _english(make: Callable[[], str]) -> str:
    with translation.override("en"):
        return make()


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def claim_data(claim: Claim, *, chinese: bool | None = None) -> dict[str, Any]:
    """The claim as api-v1.md shapes it; `claim` comes from claims.selectors (events, funding
    prefetched)."""
    zh = _chinese() if chinese is None else chinese
    return {
        "id": str(claim.public_id),
        "external_ref": claim.external_ref,
        "shop": str(claim.shop.public_id),
        "reason": claim.reason,
        "status": claim.status,
        "outcome": claim.outcome,
        "order": {
            "ref": claim.order_ref,
            "paid_minor": claim.order_paid_minor,
            "currency": claim.currency,
            "paid_at": utc_iso(claim.order_paid_at),
            "shipped_at": utc_iso(claim.order_shipped_at),
        },
        "consumer": {"ref": claim.consumer_ref},
        "description": claim.description,
        "requested_minor": claim.requested_minor,
        "compensation_minor": claim.compensation_minor,
        "currency": claim.currency,
        "rule": {
            "code": claim.rule.code,
            "kind": claim.rule.kind,
            "computation": claim.computation_zh if zh else claim.computation_en,
            "computation_en": claim.computation_en,
            "computation_zh": claim.computation_zh,
        },
        "funding": [
            {
                "source": f.source,
                "amount_minor": f.amount_minor,
                "transaction": str(f.transaction_public_id),
            }
            for f in claim.funding.all()
        ],
        "hold": str(claim.hold_public_id) if claim.hold_public_id else None,
        "deadlines": deadlines_data(claim, chinese=zh),
        "timeline": [
            {
                "at": utc_iso(e.at),
                "actor": e.actor,
                "actor_label": e.actor_label,
                "action": e.action,
                # The API's note stays one English text, as partners have always read it.
                "note": _english(e.text),
            }
            for e in claim.events.all()
        ],
        "filed_at": utc_iso(claim.filed_at),
        "escalated_at": utc_iso(claim.escalated_at),
        "decided_at": utc_iso(claim.decided_at),
        "appealed_at": utc_iso(claim.appealed_at),
        "appeal_note": claim.appeal_note,
        "appeal_outcome": claim.appeal_outcome,
        "closed_at": utc_iso(claim.closed_at),
        "reversed": _reversed(claim),
        # Beyond the contract's fixed fields: every side's files (downloads: the evidence URL).
        "evidence": [evidence_data(e) for e in claim.evidence.all()],
    }


def _reversed(claim: Claim) -> dict[str, Any] | None:
    """An upheld appeal's reversal: where each funded part went back, by which new transaction;
    None unless the payout was reversed."""
    rows = list(claim.reversals.all())
    if not rows:
        return None
    return {
        "at": utc_iso(rows[0].created_at),
        "amount_minor": sum(r.amount_minor for r in rows),
        "entries": [
            {
                "source": r.source,
                "returned_to": r.returned_to,
                "amount_minor": r.amount_minor,
                "transaction": str(r.transaction_public_id),
            }
            for r in rows
        ],
    }


def evidence_data(evidence: ClaimEvidence) -> dict[str, Any]:
    """One evidence file as api-v1.md shapes it (exactly these fields)."""
    return {
        "id": str(evidence.public_id),
        "party": evidence.party,
        "filename": evidence.filename,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "note": evidence.note,
        "submitted_at": utc_iso(evidence.submitted_at),
    }


def publish(*, claim: Claim, type: str, now: datetime) -> Claim:
    """The event to the filing partner, in the caller's transaction (partners' outbox), ordered
    per shop like every other event. Returns the claim as the event shows it, with its details:
    when publishing is the operation's last write, that is what the operation answers, without
    reading the claim and its five relations again after the commit."""
    fresh = selectors.claim_with_details(claim.pk)
    partner_services.event_publish(
        partner_id=claim.partner_id,
        type=type,
        data=claim_data(fresh, chinese=False),
        now=now,
        ordering_key=str(fresh.shop.public_id),
    )
    return fresh

"""What every claim service writes besides the claim: the timeline row, the partner event, and
the claim as partners see it (the API's body and the events' data are the same dict)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import translation

from claims import selectors
from claims.models import Claim, ClaimEvent, ClaimEvidence, ClaimStatus
from common.times import utc_iso
from partners import services as partner_services

# The merchant's first answer (domain.md §6.1); then each side's evidence window once escalated.
RESPOND_WITHIN = timedelta(hours=48)
EVIDENCE_WINDOW = timedelta(days=3)
# New consumer evidence gives the merchant this much more to answer it.
MERCHANT_EXTRA_AFTER_NEW_EVIDENCE = timedelta(hours=24)
# The review target after the evidence windows close (4 working days; calendar days until the
# deadline slice counts working days).
DECIDE_WITHIN = timedelta(days=4)
APPEAL_WINDOW = timedelta(days=15)

EVENT_FILED = "claim.filed"
EVENT_ESCALATED = "claim.escalated"
EVENT_DECIDED = "claim.decided"
EVENT_CLOSED = "claim.closed"

_DEADLINES = {
    ClaimStatus.NEGOTIATING: (
        "MERCHANT",
        "If the merchant neither settles nor answers by then, the consumer may escalate and "
        "the platform intervenes.",
        "商家须在此前和解或答复,否则消费者可申请平台介入。",
    ),
    ClaimStatus.IN_REVIEW: (
        "BOTH",
        "The evidence window closes; the platform decides on what it has (target: 4 working days).",
        "举证期届满,平台依据已有材料裁定(目标 4 个工作日)。",
    ),
}


def timeline_add(
    *, claim: Claim, actor: str, action: str, now: datetime, note: str = "", actor_label: str = ""
) -> ClaimEvent:
    return ClaimEvent.objects.create(
        claim=claim, at=now, actor=actor, actor_label=actor_label, action=action, note=note
    )


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def claim_data(claim: Claim, *, chinese: bool | None = None) -> dict[str, Any]:
    """The claim as api-v1.md shapes it; `claim` comes from claims.selectors (events, funding
    prefetched)."""
    zh = _chinese() if chinese is None else chinese
    deadline = _DEADLINES.get(ClaimStatus(claim.status)) if claim.respond_by else None
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
        "deadlines": {
            "respond_by": utc_iso(claim.respond_by) if deadline else None,
            "party": deadline[0] if deadline else None,
            "consequence": (deadline[2] if zh else deadline[1]) if deadline else None,
        },
        "timeline": [
            {
                "at": utc_iso(e.at),
                "actor": e.actor,
                "actor_label": e.actor_label,
                "action": e.action,
                "note": e.note,
            }
            for e in claim.events.all()
        ],
        "filed_at": utc_iso(claim.filed_at),
        "escalated_at": utc_iso(claim.escalated_at),
        "decided_at": utc_iso(claim.decided_at),
        # Beyond the contract's fixed fields: every side's files (downloads: the evidence URL).
        "evidence": [evidence_data(e) for e in claim.evidence.all()],
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


def publish(*, claim: Claim, type: str, now: datetime) -> None:
    """The event to the filing partner, in the caller's transaction (partners' outbox), ordered
    per shop like every other event."""
    fresh = selectors.claim_with_details(claim.pk)
    partner_services.event_publish(
        partner_id=claim.partner_id,
        type=type,
        data=claim_data(fresh, chinese=False),
        now=now,
        ordering_key=str(fresh.shop.public_id),
    )

"""Malicious complaints and the blacklist (domain.md §6.1 "Malicious complaints").

Ops mark a claim malicious: it is rejected if not yet decided, its consumer is flagged (with a
reason and an expiry) and every other open claim of that consumer with the same partner is
marked for ops review; claims the consumer files while the flag stands are marked at filing
(claims.services.lifecycle.claim_file). Consumer references are the partner's ids, so a flag is
per partner.

A NEGOTIATING claim is rejected by the same two steps any claim takes: escalated by ops (the
platform intervenes, without a hold: nothing will be captured) and decided REJECTED through the
public claim_decide, in one transaction. The partner sees `claim.escalated` then `claim.decided`,
the timeline says why, and no status or ledger path exists only for this case.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext

from claims import locks, selectors
from claims.domain.event_texts import note as system_note
from claims.models import Actor, Claim, ClaimStatus, ConsumerFlag, Outcome
from claims.services import records
from claims.services.decisions import claim_decide
from claims.services.lifecycle import claim_escalate
from common.errors import InvalidInput, InvalidTransition

# Claims still to be decided: these are the ones ops must look at before acting.
OPEN_STATUSES = (ClaimStatus.NEGOTIATING, ClaimStatus.IN_REVIEW)


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", fields={field: [message]})


def claim_mark_malicious(
    *, claim: Claim, reason: str, expires_at: datetime, now: datetime, actor_label: str
) -> Claim:
    """Mark `claim` a malicious complaint: rejected if still open (its hold released), the
    consumer flagged until `expires_at`, their other open claims marked for ops review.

    `validation_error` naming `reason` (required) or `expires_at` (must be in the future).
    Locks every claim of the consumer (claims.locks.lock_consumer_claims) first, then the
    decision takes the pair's locks it already holds."""
    reason = reason.strip()
    if not reason:
        raise _bad("reason", gettext("Say why the complaint is malicious."))
    if expires_at <= now:
        raise _bad("expires_at", gettext("Must be in the future."))
    with transaction.atomic():
        consumer_claims = locks.lock_consumer_claims(
            partner_id=claim.partner_id, consumer_ref=claim.consumer_ref
        )
        locked = next(c for c in consumer_claims if c.pk == claim.pk)
        why = [system_note("malicious", reason=reason)]
        if locked.status == ClaimStatus.NEGOTIATING:
            claim_escalate(
                claim=locked,
                now=now,
                system=why,
                actor=Actor.OPS,
                actor_label=actor_label,
                place_hold=False,
            )
            locked.refresh_from_db()
        if locked.status == ClaimStatus.IN_REVIEW:
            claim_decide(
                claim=locked,
                outcome=Outcome.REJECTED,
                now=now,
                system=why,
                actor=Actor.OPS,
                actor_label=actor_label,
            )
        flag = ConsumerFlag.objects.create(
            partner_id=locked.partner_id,
            consumer_ref=locked.consumer_ref,
            claim=locked,
            reason=reason,
            flagged_by=actor_label,
            flagged_at=now,
            expires_at=expires_at,
        )
        records.timeline_add(
            claim=locked,
            actor=Actor.OPS,
            actor_label=actor_label,
            action="marked malicious",
            now=now,
            system=[
                *why,
                system_note("consumer_flagged", consumer=locked.consumer_ref, until=expires_at),
            ],
        )
        review_reason = (
            f"Consumer flagged for malicious complaints (claim {locked.external_ref}) until "
            f"{flag.expires_at:%Y-%m-%d %H:%M} UTC."
        )[:300]
        for other in consumer_claims:
            if other.pk == locked.pk or other.status not in OPEN_STATUSES:
                continue
            Claim.objects.filter(pk=other.pk).update(needs_review=True, review_reason=review_reason)
            records.timeline_add(
                claim=other,
                actor=Actor.OPS,
                actor_label=actor_label,
                action="marked for review",
                now=now,
                system=[
                    system_note("review_flagged", claim=locked.external_ref, until=flag.expires_at)
                ],
            )
    return selectors.claim_with_details(claim.pk)


def consumer_flag_lift(
    *, flag: ConsumerFlag, reason: str, now: datetime, actor_label: str
) -> ConsumerFlag:
    """Lift a flag before it expires, saying why. `invalid_state` when already lifted;
    `validation_error` naming `reason` when empty. Claims already marked for review stay
    marked: ops finish looking at them. The claim the flag came from records the lifting."""
    reason = reason.strip()
    if not reason:
        raise _bad("reason", gettext("Say why the flag is lifted."))
    with transaction.atomic():
        locked = ConsumerFlag.objects.select_for_update().get(pk=flag.pk)
        if locked.lifted_at is not None:
            raise InvalidTransition(gettext("This flag was already lifted."))
        locked.lifted_at = now
        locked.lifted_by = actor_label
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        if locked.claim_id is not None:
            records.timeline_add(
                claim=locked.claim,
                actor=Actor.OPS,
                actor_label=actor_label,
                action="consumer flag lifted",
                now=now,
                note=reason,
            )
    return locked


def claim_review_done(*, claim: Claim, now: datetime, actor_label: str, note: str = "") -> Claim:
    """Ops looked at a claim marked for review: the mark comes off, the timeline says who."""
    with transaction.atomic():
        locked = locks.lock_claim(claim.pk)
        if not locked.needs_review:
            raise InvalidTransition(gettext("This claim is not marked for review."))
        locked.needs_review = False
        locked.save(update_fields=["needs_review"])
        records.timeline_add(
            claim=locked,
            actor=Actor.OPS,
            actor_label=actor_label,
            action="reviewed",
            now=now,
            note=note,
        )
    return locked

"""Ops decisions with four-eyes (issue 13, item 9; claims.models.approvals).

- `claim_decision_make(claim, outcome, note, maker, now, amount_minor=None)
  -> Claim | ClaimDecisionRequest`: ops decide a claim in review. An award up to
  `settings.CLAIMS_FOUR_EYES_ABOVE_MINOR` is decided at once (claim_decide, actor OPS, the maker
  named); above it nothing moves: a PENDING request waits 72 h for a second person. The
  decision is checked as claim_decide would check it before the request is kept, so a second
  person is never asked to approve what cannot be carried out. `decision_awaiting_approval`
  while another request waits; `validation_error` naming `note`, `outcome` or `amount_minor`;
  `claim_already_decided`, `invalid_claim_status`.
- `claim_decision_approve(request_id, checker, now, note="") -> Claim`: a different person
  approves; claim_decide runs with the maker's outcome, amount and note, both names on the
  timeline. Under the request's row lock: two approvers at once carry it out once (the second
  gets `invalid_state`). `approval_required` for the maker; `decision_request_expired` from
  `expires_at` on (the request is then EXPIRED); a claim no longer in review rejects the request
  (recorded) and answers `invalid_claim_status`.
- `claim_decision_reject(request_id, checker, now, note) -> ClaimDecisionRequest`: the reason is
  required and kept; the maker may withdraw their own request this way.
- `claim_decision_requests_expire(now) -> int`: PENDING requests past `expires_at` become EXPIRED
  (set-based; each on its claim's timeline).

Permissions (claims.decide_claim, claims.approve_claim_decision) are the admin's to check: the
services take the users as who acted.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from claims import locks, ops_selectors, selectors
from claims.models import (
    Actor,
    Claim,
    ClaimDecisionRequest,
    ClaimStatus,
    DecisionRequestStatus,
    Outcome,
)
from claims.ops_selectors import four_eyes_above_minor
from claims.services import records

# The award as claim_decide computes and checks it: one place, so a request kept for a second
# person is exactly the decision that will be carried out.
from claims.services.decisions import _award as decision_award
from claims.services.decisions import claim_decide
from claims.services.lifecycle import refuse_when_decided
from common.errors import (
    ApprovalRequired,
    DecisionAwaitingApproval,
    DecisionRequestExpired,
    InvalidClaimStatus,
    InvalidInput,
    InvalidTransition,
)
from common.money import format_minor

REQUEST_EXPIRES_AFTER = timedelta(hours=72)


def _at(value: datetime) -> str:
    """Times in timeline notes as people read them: the platform's local time (Asia/Shanghai)."""
    local = timezone.localtime(value)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _who(user: Any) -> str:
    return user.get_username()


def _required(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{field}: {message}", fields={field: [message]})
    return text


def _expire(request: ClaimDecisionRequest, *, now: datetime) -> None:
    request.status = DecisionRequestStatus.EXPIRED
    request.checked_at = now
    request.save(update_fields=["status", "checked_at"])
    records.timeline_add(
        claim=request.claim,
        actor=Actor.SYSTEM,
        actor_label="four-eyes",
        action="decision_request_expired",
        now=now,
        note=f"The {request.outcome} decision made by {_who(request.maker)} was not approved "
        f"within {REQUEST_EXPIRES_AFTER.total_seconds() / 3600:.0f} h.",
    )


def claim_decision_make(
    *,
    claim: Claim,
    outcome: str,
    note: str,
    maker: Any,
    now: datetime,
    amount_minor: int | None = None,
) -> Claim | ClaimDecisionRequest:
    """Decide at once, or keep the decision for a second person when its award is above the
    four-eyes amount (see the module)."""
    note = _required(note, "note", "Say why: the note is on the claim's timeline.")
    if outcome not in Outcome.values:
        raise InvalidInput(
            f"outcome: {outcome!r} is not an outcome.", fields={"outcome": ["Choose an outcome."]}
        )
    with transaction.atomic():
        for stale in locks.lock_pending_decision_requests(claim.pk):
            if stale.expires_at <= now:
                _expire(stale, now=now)
            else:
                raise DecisionAwaitingApproval(
                    f"{_who(stale.maker)} decided {stale.outcome} on "
                    f"{_at(stale.made_at)}; it waits for a second person."
                )
        locked = locks.lock_claim_with_pair(claim.pk)
        # Another maker may have kept a request while this one waited for the claim's lock
        # (there was no pending row to lock above): look again under the lock.
        waiting = ops_selectors.pending_decision_request(locked)
        if waiting is not None:
            raise DecisionAwaitingApproval(
                f"{_who(waiting.maker)} decided {waiting.outcome} meanwhile; it waits for a "
                "second person."
            )
        refuse_when_decided(locked)
        if locked.status != ClaimStatus.IN_REVIEW:
            raise InvalidClaimStatus(
                f"A {locked.status} claim cannot be decided; it must be escalated first."
            )
        detailed = selectors.claim_with_details(locked.pk)
        award_minor, _, _ = decision_award(detailed, outcome=outcome, amount_minor=amount_minor)
        if award_minor <= four_eyes_above_minor():
            return claim_decide(
                claim=detailed,
                outcome=outcome,
                now=now,
                amount_minor=amount_minor,
                note=note,
                actor=Actor.OPS,
                actor_label=_who(maker),
            )
        request = ClaimDecisionRequest.objects.create(
            claim=detailed,
            outcome=outcome,
            amount_minor=amount_minor,
            award_minor=award_minor,
            currency=detailed.currency,
            note=note,
            maker=maker,
            made_at=now,
            expires_at=now + REQUEST_EXPIRES_AFTER,
        )
        records.timeline_add(
            claim=detailed,
            actor=Actor.OPS,
            actor_label=_who(maker),
            action="decision_requested",
            now=now,
            note=(
                f"{outcome}, award {format_minor(award_minor, detailed.currency)} "
                f"{detailed.currency}: above the four-eyes amount "
                f"{format_minor(four_eyes_above_minor(), detailed.currency)}, it waits for a "
                f"second person until {_at(request.expires_at)}.\n{note}"
            ),
        )
    return request


def claim_decision_approve(
    *, request_id: int, checker: Any, now: datetime, note: str = ""
) -> Claim:
    """A second person approves: the maker's decision is carried out (see the module)."""
    refusal: Exception | None = None
    with transaction.atomic():
        request = locks.lock_decision_request(request_id)
        if request.status != DecisionRequestStatus.PENDING:
            raise InvalidTransition(
                f"This decision request is already {request.get_status_display()}."
            )
        if request.maker_id == checker.pk:
            raise ApprovalRequired(
                "A different person must approve a decision you made (four-eyes)."
            )
        claim = locks.lock_claim_with_pair(request.claim_id)
        if now >= request.expires_at:
            _expire(request, now=now)
            refusal = DecisionRequestExpired(
                f"The request expired at {_at(request.expires_at)}; make the decision again."
            )
        elif claim.status != ClaimStatus.IN_REVIEW:
            _close(
                request,
                checker=checker,
                now=now,
                note=f"The claim is no longer in review ({claim.status}); nothing was carried out.",
            )
            refusal = InvalidClaimStatus(
                f"The claim is {claim.status}; the request was closed without effect."
            )
        else:
            maker, approver = _who(request.maker), _who(checker)
            records.timeline_add(
                claim=claim,
                actor=Actor.OPS,
                actor_label=approver,
                action="decision_approved",
                now=now,
                note="\n".join(
                    t
                    for t in (
                        f"Approves the {request.outcome} decision made by {maker} on "
                        f"{_at(request.made_at)}.",
                        note.strip(),
                    )
                    if t
                ),
            )
            decided = claim_decide(
                claim=claim,
                outcome=request.outcome,
                now=now,
                amount_minor=request.amount_minor,
                note=f"{request.note}\nFour-eyes: made by {maker}, approved by {approver}.",
                actor=Actor.OPS,
                actor_label=f"{maker} + {approver}",
            )
            request.status = DecisionRequestStatus.APPROVED
            request.checker = checker
            request.checked_at = now
            request.check_note = note.strip()
            request.save(update_fields=["status", "checker", "checked_at", "check_note"])
    if refusal is not None:
        raise refusal
    return decided


def _close(request: ClaimDecisionRequest, *, checker: Any, now: datetime, note: str) -> None:
    request.status = DecisionRequestStatus.REJECTED
    request.checker = checker
    request.checked_at = now
    request.check_note = note
    request.save(update_fields=["status", "checker", "checked_at", "check_note"])
    withdrawn = request.maker_id == checker.pk
    records.timeline_add(
        claim=request.claim,
        actor=Actor.OPS,
        actor_label=_who(checker),
        action="decision_request_withdrawn" if withdrawn else "decision_rejected",
        now=now,
        note=f"The {request.outcome} decision made by {_who(request.maker)}: {note}",
    )


def claim_decision_reject(
    *, request_id: int, checker: Any, now: datetime, note: str
) -> ClaimDecisionRequest:
    """The second person refuses the decision (or the maker withdraws it), with the reason."""
    note = _required(note, "note", "Say why the decision is rejected.")
    with transaction.atomic():
        request = locks.lock_decision_request(request_id)
        if request.status != DecisionRequestStatus.PENDING:
            raise InvalidTransition(
                f"This decision request is already {request.get_status_display()}."
            )
        _close(request, checker=checker, now=now, note=note)
    return request


def claim_decision_requests_expire(*, now: datetime) -> int:
    """Every PENDING request past its expiry becomes EXPIRED (for a periodic sweep; approving or
    making a decision expires the claim's own request on the way)."""
    expired = 0
    ids = list(
        ClaimDecisionRequest.objects.filter(
            status=DecisionRequestStatus.PENDING, expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    for request_id in ids:
        with transaction.atomic():
            request = locks.lock_decision_request(request_id)
            if request.status == DecisionRequestStatus.PENDING and request.expires_at <= now:
                _expire(request, now=now)
                expired += 1
    return expired

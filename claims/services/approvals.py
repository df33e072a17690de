"""Ops decisions with four-eyes (issue 13, item 9; claims.models.approvals).

One mechanism: the requests are four-eyes requests of the approvals app (action
"claims.decision", registered in `ClaimsConfig.ready()` through `register_four_eyes`); this
module adds what is the claim's own (the award computed as claim_decide computes it, the
timeline, the claim's status).

- `claim_decision_make(claim, outcome, note, maker, now, amount_minor=None)
  -> Claim | ClaimDecisionRequest`: ops decide a claim in review. An award up to the maker's
  limit (`ops_selectors.agent_limit_minor`: their own, or the default, never above the
  four-eyes amount, 10,000.00) is decided at once (claim_decide, actor OPS, the maker named);
  above it nothing moves: a PENDING request waits 72 h for a second person. The
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

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from approvals import registry as approvals_registry
from approvals import services as four_eyes
from approvals.models import FourEyesRequest, RequestWhy
from approvals.payloads import row_from_payload, row_payload
from claims import locks, ops_selectors, selectors
from claims.domain.event_texts import note as system_note
from claims.models import (
    Actor,
    Claim,
    ClaimDecisionRequest,
    ClaimStatus,
    CompensationRule,
    Outcome,
)
from claims.ops_selectors import agent_limit_minor, four_eyes_above_minor
from claims.services import records

# The award as claim_decide computes and checks it: one place, so a request kept for a second
# person is exactly the decision that will be carried out.
from claims.services.decisions import _award as decision_award
from claims.services.decisions import claim_decide
from claims.services.lifecycle import refuse_when_decided
from common.errors import (
    DecisionAwaitingApproval,
    DecisionRequestExpired,
    FourEyesRequestExpired,
    InvalidClaimStatus,
    InvalidInput,
    InvalidTransition,
)
from common.templatetags.money import money

REQUEST_EXPIRES_AFTER = four_eyes.REQUEST_EXPIRES_AFTER


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


def _on_expire(*, request: FourEyesRequest, now: datetime) -> None:
    """The claim's timeline says the decision expired (approvals marks the request)."""
    assert isinstance(request, ClaimDecisionRequest)
    records.timeline_add(
        claim=request.claim,
        actor=Actor.SYSTEM,
        actor_label="four-eyes",
        action="decision_request_expired",
        now=now,
        system=[
            system_note(
                "decision_expired",
                outcome=request.outcome,
                maker=_who(request.maker),
                hours=f"{REQUEST_EXPIRES_AFTER.total_seconds() / 3600:.0f}",
            )
        ],
    )


def _on_reject(*, request: FourEyesRequest, checker: Any, now: datetime) -> None:
    assert isinstance(request, ClaimDecisionRequest)
    withdrawn = request.maker_id == checker.pk
    records.timeline_add(
        claim=request.claim,
        actor=Actor.OPS,
        actor_label=_who(checker),
        action="decision_request_withdrawn" if withdrawn else "decision_rejected",
        now=now,
        note=request.check_note,
        system=[
            system_note("decision_not_approved", outcome=request.outcome, maker=_who(request.maker))
        ],
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
    maker's limit (see the module)."""
    note = _required(note, "note", gettext("Say why: the note is on the claim's timeline."))
    if outcome not in Outcome.values:
        raise InvalidInput(
            gettext("outcome: %(outcome)r is not an outcome.") % {"outcome": outcome},
            fields={"outcome": [gettext("Choose an outcome.")]},
        )
    with transaction.atomic():
        for stale in locks.lock_pending_decision_requests(claim.pk):
            if stale.expires_at <= now:
                four_eyes.request_expire_locked(stale, now=now)
            else:
                raise DecisionAwaitingApproval(
                    gettext(
                        "%(maker)s decided %(outcome)s on %(at)s; it waits for a second person."
                    )
                    % {
                        "maker": _who(stale.maker),
                        "outcome": stale.outcome,
                        "at": _at(stale.made_at),
                    }
                )
        locked = locks.lock_claim_with_pair(claim.pk)
        # Another maker may have kept a request while this one waited for the claim's lock
        # (there was no pending row to lock above): look again under the lock.
        waiting = ops_selectors.pending_decision_request(locked)
        if waiting is not None:
            raise DecisionAwaitingApproval(
                gettext("%(maker)s decided %(outcome)s meanwhile; it waits for a second person.")
                % {"maker": _who(waiting.maker), "outcome": waiting.outcome}
            )
        refuse_when_decided(locked)
        if locked.status != ClaimStatus.IN_REVIEW:
            raise InvalidClaimStatus(
                gettext("A %(status)s claim cannot be decided; it must be escalated first.")
                % {"status": locked.status}
            )
        detailed = selectors.claim_with_details(locked.pk)
        award_minor, *_ = decision_award(detailed, outcome=outcome, amount_minor=amount_minor)
        limit = agent_limit_minor(maker)
        if award_minor <= limit:
            return claim_decide(
                claim=detailed,
                outcome=outcome,
                now=now,
                amount_minor=amount_minor,
                note=note,
                actor=Actor.OPS,
                actor_label=_who(maker),
            )
        above_four_eyes = award_minor > four_eyes_above_minor()
        request = four_eyes.request_create(
            action=ClaimDecisionRequest.ACTION,
            maker=maker,
            reason=note,
            now=now,
            payload={"claim_id": detailed.pk, "outcome": outcome, "amount_minor": amount_minor},
            amount_minor=award_minor,
            currency=detailed.currency,
            subject=detailed,
            subject_label=detailed.external_ref,
            why=RequestWhy.THRESHOLD if above_four_eyes else RequestWhy.OWN_LIMIT,
        )
        records.timeline_add(
            claim=detailed,
            actor=Actor.OPS,
            actor_label=_who(maker),
            action="decision_requested",
            now=now,
            note=note,
            system=[
                system_note(
                    "decision_requested",
                    outcome=outcome,
                    award_minor=award_minor,
                    currency=detailed.currency,
                    four_eyes=above_four_eyes,
                    maker=_who(maker),
                    limit_minor=limit,
                    until=request.expires_at,
                )
            ],
        )
    assert isinstance(request, ClaimDecisionRequest)
    return request


def _carry_out(*, request: FourEyesRequest, checker: Any, now: datetime, note: str = "") -> Claim:
    """The executor of an approved decision (approvals calls it under the request's lock)."""
    assert isinstance(request, ClaimDecisionRequest)
    claim = locks.lock_claim_with_pair(request.claim_id)  # type: ignore[arg-type]
    if claim.status != ClaimStatus.IN_REVIEW:
        raise four_eyes.RequestVoid(
            InvalidClaimStatus(
                gettext("The claim is %(status)s; the request was closed without effect.")
                % {"status": claim.status}
            ),
            note=f"The claim is no longer in review ({claim.status}); nothing was carried out.",
        )
    maker, approver = _who(request.maker), _who(checker)
    records.timeline_add(
        claim=claim,
        actor=Actor.OPS,
        actor_label=approver,
        action="decision_approved",
        now=now,
        note=note.strip(),
        system=[
            system_note(
                "decision_approves", outcome=request.outcome, maker=maker, made_at=request.made_at
            )
        ],
    )
    return claim_decide(
        claim=claim,
        outcome=request.outcome,
        now=now,
        amount_minor=request.typed_amount_minor,
        note=request.note,
        system=[system_note("four_eyes", maker=maker, approver=approver)],
        actor=Actor.OPS,
        actor_label=f"{maker} + {approver}",
    )


def claim_decision_approve(
    *, request_id: int, checker: Any, now: datetime, note: str = ""
) -> Claim:
    """A second person approves: the maker's decision is carried out (see the module)."""
    _claims_request(request_id)
    try:
        return four_eyes.request_approve(  # type: ignore[no-any-return]
            request_id=request_id, checker=checker, now=now, note=note
        )
    except FourEyesRequestExpired:
        expires_at = ClaimDecisionRequest.objects.values_list("expires_at", flat=True).get(
            pk=request_id
        )
        raise DecisionRequestExpired(
            gettext("The request expired at %(at)s UTC; make the decision again.")
            % {"at": f"{expires_at:%Y-%m-%d %H:%M}"}
        ) from None


def _claims_request(request_id: int) -> None:
    """Refuse, as not found, a request id of another kind (the claim's pages pass ids)."""
    ClaimDecisionRequest.objects.only("pk").get(pk=request_id)


def claim_decision_reject(
    *, request_id: int, checker: Any, now: datetime, note: str
) -> ClaimDecisionRequest:
    """The second person refuses the decision (or the maker withdraws it), with the reason."""
    _required(note, "note", gettext("Say why the decision is rejected."))
    _claims_request(request_id)
    request = four_eyes.request_reject(request_id=request_id, checker=checker, now=now, note=note)
    assert isinstance(request, ClaimDecisionRequest)
    return request


def claim_decision_requests_expire(*, now: datetime) -> int:
    """Every PENDING decision request past its expiry becomes EXPIRED (the approvals sweep does
    every kind; approving or making a decision expires the claim's own request on the way)."""
    return four_eyes.requests_expire(now=now, action=ClaimDecisionRequest.ACTION)


def compensation_rule_needs_four_eyes() -> bool:
    return approvals_registry.above_threshold(COMPENSATION_RULE_ACTION, None)


COMPENSATION_RULE_ACTION = "claims.compensation_rule"


def compensation_rule_request(
    *, rule: CompensationRule, actor: Any, now: datetime, reason: str, changed_fields: list[str]
) -> FourEyesRequest:
    """A new or changed compensation rule (as typed in the admin) kept for a second person."""
    return four_eyes.request_create(
        action=COMPENSATION_RULE_ACTION,
        maker=actor,
        reason=reason,
        now=now,
        payload=row_payload(rule, changed_fields=changed_fields),
        currency=rule.currency,
        subject=rule if rule.pk else None,
        subject_label=(
            f"{rule.get_reason_display()} · {rule.currency} · {rule.effective_from:%Y-%m-%d}"
        ),
    )


def _rule_carry_out(
    *, request: FourEyesRequest, checker: Any, now: datetime, note: str = ""
) -> CompensationRule:
    rule = row_from_payload(request.payload)
    assert isinstance(rule, CompensationRule)
    if (
        rule.pk
        and rule.effective_from <= now
        and "effective_from" not in (request.payload.get("changed_fields") or [])
    ):
        # A version in force is never edited (claims cite it): a change is a newer version.
        original = CompensationRule.objects.get(pk=rule.pk)
        if original.effective_from <= now:
            raise four_eyes.RequestVoid(
                InvalidTransition(gettext("The rule took effect meanwhile; add a newer version.")),
                note="The rule took effect before approval; nothing was changed.",
            )
    rule.save()
    return rule


def _describe_rule(request: FourEyesRequest) -> list[tuple[Any, str]]:
    fields = request.payload.get("fields", {})
    currency = fields.get("currency") or "CNY"
    lines: list[tuple[Any, str]] = [(gettext_lazy("rule"), request.subject_label)]
    for name, value in sorted(fields.items()):
        if name == "created_at":
            continue
        if name.endswith("_minor") and isinstance(value, int):
            text = money(value, currency)
        else:
            text = "—" if value in (None, "") else str(value)
        lines.append((name.removesuffix("_minor").replace("_", " "), text))
    return lines


def register_four_eyes() -> None:
    approvals_registry.register(
        approvals_registry.ActionKind(
            action=COMPENSATION_RULE_ACTION,
            label=gettext_lazy("Compensation rule change"),
            execute=_rule_carry_out,
            threshold_key="claims.compensation_rule",
            describe=_describe_rule,
        )
    )
    approvals_registry.register(
        approvals_registry.ActionKind(
            action=ClaimDecisionRequest.ACTION,
            label=gettext_lazy("Claim decision"),
            execute=_carry_out,
            threshold_key="claims.decision",
            approve_permission="claims.approve_claim_decision",
            exclusive=True,
            on_expire=_on_expire,
            on_reject=_on_reject,
            model=ClaimDecisionRequest,
            describe=_describe,
        )
    )


def _describe(request: FourEyesRequest) -> list[tuple[Any, str]]:
    assert isinstance(request, ClaimDecisionRequest)
    typed = request.typed_amount_minor
    return [
        (gettext_lazy("claim"), request.subject_label),
        (gettext_lazy("outcome"), request.outcome),
        (
            gettext_lazy("award when requested"),
            money(request.award_minor, request.currency),
        ),
        (
            gettext_lazy("amount"),
            gettext_lazy("the rule's") if typed is None else money(typed, request.currency),
        ),
    ]

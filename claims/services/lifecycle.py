"""Filing, settling, escalating and withdrawing a claim (domain.md §6.1 "Flow")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext, gettext_lazy

from claims import locks, selectors
from claims.domain.compensation import RuleTerms, compensation_award
from claims.domain.event_texts import SystemNote
from claims.domain.event_texts import note as system_note
from claims.models import Actor, Claim, ClaimStatus, CompensationRule
from claims.models.claims import DECIDED_STATUSES
from claims.services import records
from common.errors import (
    ClaimAlreadyDecided,
    DuplicateReference,
    InsufficientFunds,
    InvalidClaimStatus,
    InvalidInput,
    NotFound,
    ShopClosed,
)
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from deposits.services.shortfall import HoldPreview, shortfall_preview_after_hold
from insurance import selectors as insurance_selectors
from shops.models import Shop, ShopStatus

# A hold outlives the review (3-day evidence window, ~4 working days to decide) with room for
# requests for more material; the expiry sweeper releases it if the claim is forgotten.
HOLD_EXPIRES_AFTER = timedelta(days=30)
HOLD_ATTEMPTS = 3


def rule_terms(rule: CompensationRule) -> RuleTerms:
    return RuleTerms(
        code=rule.code,
        kind=rule.kind,
        rate_bps=rule.rate_bps,
        multiplier=rule.multiplier,
        minimum_minor=rule.minimum_minor,
        maximum_minor=rule.maximum_minor,
        window_hours=rule.window_hours,
    )


def claim_key(claim: Claim, step: str) -> str:
    """Ledger idempotency keys derived from the claim: one operation per step per claim."""
    return f"claim:{claim.public_id}:{step}"


def _same_filing(claim: Claim, *, shop: Shop, reason: str, order_ref: str) -> bool:
    return claim.shop_id == shop.pk and claim.reason == reason and claim.order_ref == order_ref


def claim_file(
    *,
    partner_id: int,
    shop: Shop,
    external_ref: str,
    reason: str,
    order_ref: str,
    order_paid_minor: int,
    currency: str,
    order_paid_at: datetime,
    order_shipped_at: datetime | None,
    consumer_ref: str,
    description: str,
    now: datetime,
    requested_minor: int | None = None,
) -> tuple[Claim, bool]:
    """File a consumer's claim: NEGOTIATING, the merchant to answer within 48 hours. Returns the
    claim and whether it was created (False: the same `external_ref` filed before, same claim).

    `not_found` for another partner's shop; `shop_closed`; `duplicate_reference` when the
    `external_ref` names a different claim; `validation_error` naming every bad field."""
    if shop.partner_id != partner_id:
        raise NotFound(gettext("No such shop."))
    existing = selectors.claim_by_external_ref(partner_id, external_ref)
    if existing is not None:
        if not _same_filing(existing, shop=shop, reason=reason, order_ref=order_ref):
            raise DuplicateReference(
                gettext("external_ref %(ref)r already names another claim.")
                % {"ref": external_ref},
                fields={"external_ref": ["Already used for another claim."]},
            )
        return existing, False
    errors: dict[str, list[str]] = {}
    if currency != shop.currency:
        errors["order.currency"] = [f"Must be the shop's deposit currency, {shop.currency}."]
    if order_paid_at > now:
        errors["order.paid_at"] = ["Must not be in the future."]
    if order_shipped_at is not None and order_shipped_at < order_paid_at:
        errors["order.shipped_at"] = ["Must not be before the order was paid."]
    rule = selectors.rule_in_force(reason=reason, currency=currency, now=now)
    if rule is None and "order.currency" not in errors:
        errors["reason"] = [f"No compensation rule for {reason} in {currency} is in force."]
    if errors:
        raise InvalidInput(
            gettext("Invalid claim: %(fields)s.") % {"fields": ", ".join(sorted(errors))},
            fields=errors,
        )
    if shop.status == ShopStatus.CLOSED:
        raise ShopClosed(
            gettext("The shop has exited; claims against it go to the marketplace directly.")
        )
    assert rule is not None
    terms = rule_terms(rule)
    # The estimate before any decision: the cap counts what was already awarded at filing.
    probe = Claim(
        shop=shop, consumer_ref=consumer_ref, currency=currency, order_paid_at=order_paid_at
    )
    earlier = (
        selectors.earlier_awards_minor(probe, window_hours=rule.window_hours)
        if rule.window_hours
        else 0
    )
    award = compensation_award(
        terms=terms,
        paid_minor=order_paid_minor,
        currency=currency,
        requested_minor=requested_minor,
        earlier_awards_minor=earlier,
    )
    # A consumer flagged for malicious complaints: the new claim waits for ops to look at it.
    flag = selectors.active_consumer_flag(partner_id=partner_id, consumer_ref=consumer_ref, now=now)
    review_reason = (
        f"Consumer flagged for malicious complaints until {flag.expires_at:%Y-%m-%d %H:%M} UTC."
        if flag is not None
        else ""
    )
    try:
        with transaction.atomic():
            claim = Claim.objects.create(
                needs_review=flag is not None,
                review_reason=review_reason,
                partner_id=partner_id,
                external_ref=external_ref,
                shop=shop,
                reason=reason,
                status=ClaimStatus.NEGOTIATING,
                order_ref=order_ref,
                order_paid_minor=order_paid_minor,
                currency=currency,
                order_paid_at=order_paid_at,
                order_shipped_at=order_shipped_at,
                consumer_ref=consumer_ref,
                description=description,
                requested_minor=requested_minor,
                compensation_minor=award.amount_minor,
                rule=rule,
                computation_en=award.computation_en,
                computation_zh=award.computation_zh,
                computation_facts=award.facts,
                respond_by=now + records.RESPOND_WITHIN,
                filed_at=now,
            )
            records.timeline_add(
                claim=claim,
                actor=Actor.PARTNER,
                action="filed",
                now=now,
                system=[
                    system_note(
                        "estimate",
                        en=award.computation_en,
                        zh=award.computation_zh,
                        facts=award.facts,
                    )
                ],
            )
            if flag is not None:
                records.timeline_add(
                    claim=claim,
                    actor=Actor.SYSTEM,
                    action="marked for review",
                    now=now,
                    system=[system_note("review_flagged", until=flag.expires_at)],
                )
            filed = records.publish(claim=claim, type=records.EVENT_FILED, now=now)
    except IntegrityError:
        # A concurrent filing of the same external_ref committed first: answer with its claim.
        raced = selectors.claim_by_external_ref(partner_id, external_ref)
        if raced is None:
            raise
        if not _same_filing(raced, shop=shop, reason=reason, order_ref=order_ref):
            raise DuplicateReference(
                gettext("external_ref %(ref)r already names another claim.")
                % {"ref": external_ref},
                fields={"external_ref": ["Already used for another claim."]},
            ) from None
        return raced, False
    return filed, True


def refuse_when_decided(claim: Claim) -> None:
    if claim.status in DECIDED_STATUSES:
        raise ClaimAlreadyDecided(
            gettext("The claim was decided (%(outcome)s).") % {"outcome": claim.outcome}
        )


# One sentence per action, so that a translation can put the status and the verb where its
# language wants them.
_CANNOT_BE = {
    "settled": gettext_lazy("A %(status)s claim cannot be settled."),
    "escalated": gettext_lazy("A %(status)s claim cannot be escalated."),
    "withdrawn": gettext_lazy("A %(status)s claim cannot be withdrawn."),
}


def _require_status(claim: Claim, *allowed: str, action: str) -> None:
    if claim.status not in allowed:
        raise InvalidClaimStatus(_CANNOT_BE[action] % {"status": claim.status})


def claim_settle(*, claim: Claim, now: datetime, actor_label: str = "", note: str = "") -> Claim:
    """The merchant settled with the consumer directly: SETTLED, nothing deducted. Only while
    NEGOTIATING (`invalid_claim_status` otherwise). Locks the claim."""
    with transaction.atomic():
        locked = locks.lock_claim(claim.pk)
        _require_status(locked, ClaimStatus.NEGOTIATING, action="settled")
        locked.status = ClaimStatus.SETTLED
        locked.ended_at = now
        locked.respond_by = None
        locked.save(update_fields=["status", "ended_at", "respond_by"])
        records.timeline_add(
            claim=locked,
            actor=Actor.MERCHANT,
            actor_label=actor_label,
            action="settled",
            now=now,
            note=note,
        )
        records.publish(claim=locked, type=records.EVENT_CLOSED, now=now)
    return selectors.claim_with_details(claim.pk)


def insurer_limit_minor(claim: Claim) -> int:
    """How much of an award the shop's insurer would advance now: the ACTIVE policy's remaining
    limit (coverage − outstanding recoveries), 0 for a cash shop. A read without locks, to size
    the escalation's hold; the decision's advance recomputes it under the policy's lock."""
    return insurance_selectors.limit_remaining_for_shop(claim.shop_id)


def _uncovered_minor(claim: Claim) -> int:
    """The part of the estimate the insurer would not advance: what a contest holds."""
    return max(0, claim.compensation_minor - insurer_limit_minor(claim))


def _hold_size_minor(*, uncovered: int, available_minor: int) -> int:
    """As much of the uncovered estimate as the deposit has available."""
    return min(uncovered, max(available_minor, 0))


def contest_hold_preview(*, claim: Claim, now: datetime) -> HoldPreview | None:
    """What contesting would hold on the deposit now and where that leaves the shop (the claim
    page's warning before the merchant confirms): the same sizing as the escalation's hold and
    the coverage rule's arithmetic, read without locks and without writing anything. None when
    nothing would be held (no account, no estimate, or the insurer covers it)."""
    if claim.compensation_minor <= 0:
        return None
    account = deposit_selectors.account_for_shop(claim.shop)
    if account is None:
        return None
    amount = _hold_size_minor(
        uncovered=_uncovered_minor(claim), available_minor=account.available_minor
    )
    if amount <= 0:
        return None
    return shortfall_preview_after_hold(
        shop=claim.shop, account=account, held_minor=amount, now=now
    )


def _place_hold(*, claim: Claim, now: datetime) -> str | None:
    """Hold as much of the estimate as the deposit has available, less what the shop's insurer
    would advance (domain.md §5: no cash is frozen for the covered part; §6.1: insured shops pay
    through the advance); None when nothing is to be held."""
    account = deposit_selectors.account_for_shop(claim.shop)
    if account is None or claim.compensation_minor <= 0:
        return None
    uncovered = _uncovered_minor(claim)
    if uncovered <= 0:
        return None
    for attempt in range(1, HOLD_ATTEMPTS + 1):
        snapshot = deposit_selectors.account_snapshot(account.pk)
        available = snapshot.available_minor if snapshot is not None else 0
        amount = _hold_size_minor(uncovered=uncovered, available_minor=available)
        if amount <= 0:
            return None
        try:
            hold = deposit_services.hold_place(
                account_id=account.pk,
                amount_minor=amount,
                currency=claim.currency,
                reason=f"Claim {claim.external_ref} ({claim.reason})",
                reference=f"claim:{claim.public_id}",
                expires_at=now + HOLD_EXPIRES_AFTER,
                idempotency_key=claim_key(claim, f"hold:{attempt}"),
                now=now,
            )
        except InsufficientFunds:
            # Another posting took part of the deposit between the read and the hold (the refusal
            # stays recorded under its key); read again and hold what is left.
            continue
        return str(hold.public_id)
    return None


def claim_escalate(
    *,
    claim: Claim,
    now: datetime,
    note: str = "",
    actor: str = Actor.PARTNER,
    actor_label: str = "",
    place_hold: bool = True,
    system: Sequence[SystemNote] = (),
) -> Claim:
    """The platform intervenes: IN_REVIEW, both sides get the evidence window, and a hold for the
    estimate (as much of it as is available) waits for the decision. Only from NEGOTIATING
    (`invalid_claim_status`). Locks the claim, then deposits locks the account (claims.locks).
    `place_hold=False` when ops intervene only to reject (a malicious complaint): holding money
    to release it in the same transaction would only add two ledger entries."""
    with transaction.atomic():
        locked = locks.lock_claim(claim.pk)
        _require_status(locked, ClaimStatus.NEGOTIATING, action="escalated")
        locked.shop = claim.shop
        hold_id = _place_hold(claim=locked, now=now) if place_hold else None
        locked.status = ClaimStatus.IN_REVIEW
        locked.escalated_at = now
        locked.respond_by = now + records.EVIDENCE_WINDOW
        windows = records.set_evidence_windows(
            locked,
            consumer_by=now + records.EVIDENCE_WINDOW,
            merchant_by=now + records.EVIDENCE_WINDOW,
        )
        locked.hold_public_id = hold_id
        locked.save(
            update_fields=["status", "escalated_at", "respond_by", *windows, "hold_public_id"]
        )
        limit = insurer_limit_minor(locked)
        if hold_id:
            held = system_note("hold_placed", hold=str(hold_id))
        elif not place_hold:
            held = system_note("no_hold_ops")
        elif limit >= locked.compensation_minor > 0:
            held = system_note("no_hold_insurer")
        else:
            held = system_note("nothing_to_hold")
        records.timeline_add(
            claim=locked,
            actor=actor,
            actor_label=actor_label,
            action="escalated",
            now=now,
            note=note,
            system=[*system, held],
        )
        escalated = records.publish(claim=locked, type=records.EVENT_ESCALATED, now=now)
    return escalated


def release_hold(*, claim: Claim, now: datetime, step: str) -> bool:
    """Release the claim's hold if it is still active (an expired one has come back already)."""
    if not claim.hold_public_id:
        return False
    hold = deposit_selectors.hold_by_public_id(claim.hold_public_id)
    if hold is None or hold.status != hold.Status.ACTIVE:
        return False
    deposit_services.hold_release(hold_id=hold.pk, idempotency_key=claim_key(claim, step), now=now)
    return True


def claim_withdraw(
    *,
    claim: Claim,
    now: datetime,
    note: str = "",
    actor: str = Actor.PARTNER,
    actor_label: str = "",
) -> Claim:
    """The consumer withdraws before a decision: WITHDRAWN, the hold released. From NEGOTIATING
    or IN_REVIEW (`claim_already_decided` once decided, `invalid_claim_status` otherwise)."""
    with transaction.atomic():
        locked = locks.lock_claim(claim.pk)
        refuse_when_decided(locked)
        _require_status(locked, ClaimStatus.NEGOTIATING, ClaimStatus.IN_REVIEW, action="withdrawn")
        released = release_hold(claim=locked, now=now, step="release")
        locked.status = ClaimStatus.WITHDRAWN
        locked.ended_at = now
        locked.respond_by = None
        locked.save(update_fields=["status", "ended_at", "respond_by"])
        records.timeline_add(
            claim=locked,
            actor=actor,
            actor_label=actor_label,
            action="withdrawn",
            now=now,
            note=note,
            system=[system_note("hold_released")] if released else [],
        )
        records.publish(claim=locked, type=records.EVENT_CLOSED, now=now)
    return selectors.claim_with_details(claim.pk)

"""The merchant's one appeal, its decision, and the decision becoming final (domain.md §6.1
"Flow", "Appeal upheld"; api-v1.md "Claims").

An upheld appeal gives the award back by NEW ledger postings; nothing earlier is edited:

- what the deposit paid (the hold's capture and the deduction's cash part) and the debt the
  award created: one REVERSAL posting on the deposit account from compensation payable
  (deposits.services.deposit_award_reverse): the debt cancelled as far as the merchant still
  owes it, the rest (cash, and debt a top-up has paid since) credited to the posted balance;
- the insurer's advance (insurance.services.advance_reverse): what the merchant still owed goes
  back to the insurer from compensation payable and the recovery is CANCELLED; what the
  merchant had already repaid is credited to the merchant's deposit in the same REVERSAL
  posting as the rest. The deposit is the merchant's money in this product (visible in its
  ledger, withdrawable as surplus like any cash), and crediting it needs no payout channel we
  do not have; the insurer ends whole (advanced A, got back r from the merchant and A − r from
  the payable).

Compensation payable gives back the whole award: the marketplace, which paid the consumer from
it, settles that with the consumer outside this product.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext

from claims import locks, selectors
from claims.domain.event_texts import note as system_note
from claims.models import (
    Actor,
    Claim,
    ClaimReversal,
    ClaimStatus,
    FundingSource,
    Outcome,
    ReturnedTo,
)
from claims.services import records
from claims.services.lifecycle import claim_key
from common.errors import AppealNotAllowed, ClaimAlreadyDecided, InvalidClaimStatus, InvalidInput
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from insurance import selectors as insurance_selectors
from insurance import services as insurance_services

APPEAL_OUTCOMES = (Outcome.UPHELD, Outcome.REJECTED)


def claim_appeal(
    *,
    claim: Claim,
    now: datetime,
    note: str,
    actor: str = Actor.MERCHANT,
    actor_label: str = "",
) -> Claim:
    """The merchant appeals the decision, once, before `appeal_by`: APPEALED.

    `appeal_not_allowed` for a second appeal, one at or after `appeal_by`, a claim closed after
    its decision, and a rejection (it awarded nothing against the merchant);
    `invalid_claim_status` before a decision; `validation_error` naming `note` (the grounds).
    Locks the claim, so an appeal racing `claim_close_unappealed` at the window's end sees
    either DECIDED (and wins) or CLOSED (and is refused)."""
    note = (note or "").strip()
    if not note:
        raise InvalidInput(
            gettext("note: give the merchant's grounds."),
            fields={"note": ["Give the merchant's grounds for the appeal."]},
        )
    with transaction.atomic():
        locked = locks.lock_claim(claim.pk)
        if locked.outcome is None:
            raise InvalidClaimStatus(
                gettext("A %(status)s claim has no decision to appeal yet.")
                % {"status": locked.status}
            )
        if locked.status != ClaimStatus.DECIDED or locked.appealed_at is not None:
            raise AppealNotAllowed(
                gettext("The claim was already appealed.")
                if locked.appealed_at is not None
                else gettext("The decision is final: the appeal window has closed.")
            )
        if locked.outcome == Outcome.REJECTED:
            raise AppealNotAllowed(
                gettext("A rejected claim awarded nothing: there is nothing to appeal.")
            )
        assert locked.appeal_by is not None
        if now >= locked.appeal_by:
            raise AppealNotAllowed(
                gettext("The appeal window closed at %(at)s.")
                % {"at": locked.appeal_by.isoformat()}
            )
        locked.status = ClaimStatus.APPEALED
        locked.appealed_at = now
        locked.appeal_note = note
        locked.save(update_fields=["status", "appealed_at", "appeal_note"])
        records.timeline_add(
            claim=locked,
            actor=actor,
            actor_label=actor_label,
            action="appealed",
            now=now,
            note=note,
        )
        records.publish(claim=locked, type=records.EVENT_APPEALED, now=now)
    return selectors.claim_with_details(claim.pk)


def _reverse_payout(claim: Claim, *, now: datetime, note: str) -> list[ClaimReversal]:
    """Give the award back by new postings (module docstring); one ClaimReversal per (source,
    where it went)."""
    funded = {source: 0 for source in FundingSource.values}
    for f in claim.funding.all():
        funded[f.source] += f.amount_minor
    why = f"claim {claim.external_ref}: appeal upheld" + (f" ({note})" if note else "")
    rows: list[tuple[str, str, int, object]] = []

    refund = 0
    if funded[FundingSource.INSURER_ADVANCE]:
        advance = insurance_selectors.advance_for_claim(str(claim.public_id))
        assert advance is not None, "an INSURER_ADVANCE funding row has its advance"
        reversal = insurance_services.advance_reverse(advance_id=advance.pk, reason=why, now=now)
        if reversal.returned_minor:
            assert reversal.transaction is not None
            rows.append(
                (
                    FundingSource.INSURER_ADVANCE,
                    ReturnedTo.INSURER,
                    reversal.returned_minor,
                    reversal.transaction.public_id,
                )
            )
        refund = reversal.refund_minor

    cash, debt = funded[FundingSource.DEPOSIT], funded[FundingSource.DEBT]
    credit = cash + debt + refund
    if credit:
        account = deposit_selectors.account_for_shop(claim.shop)
        assert account is not None
        result = deposit_services.deposit_award_reverse(
            account_id=account.pk,
            amount_minor=credit,
            currency=claim.currency,
            reason=why[:300],
            reference=f"claim:{claim.public_id}",
            idempotency_key=claim_key(claim, "reverse"),
            debt_cancel_minor=debt,
            now=now,
        )
        cancelled = sum(
            e.amount_minor
            for e in result.transaction.entries.all()
            if e.account_id == result.account.pk and e.bucket == "DEBT"
        )
        tx_id = result.transaction.public_id
        rows += [
            (FundingSource.DEPOSIT, ReturnedTo.DEPOSIT, cash, tx_id),
            (FundingSource.DEBT, ReturnedTo.DEBT_CANCELLED, cancelled, tx_id),
            # Debt a top-up paid since: the merchant's money, back as cash.
            (FundingSource.DEBT, ReturnedTo.DEPOSIT, debt - cancelled, tx_id),
            (FundingSource.INSURER_ADVANCE, ReturnedTo.DEPOSIT, refund, tx_id),
        ]
    return [
        ClaimReversal.objects.create(
            claim=claim,
            source=source,
            returned_to=returned_to,
            amount_minor=amount,
            currency=claim.currency,
            transaction_public_id=tx_id,
            created_at=now,
        )
        for source, returned_to, amount, tx_id in rows
        if amount > 0
    ]


def claim_appeal_decide(
    *,
    claim: Claim,
    outcome: str,
    now: datetime,
    note: str = "",
    actor: str = Actor.PARTNER,
    actor_label: str = "",
) -> Claim:
    """Decide the merchant's appeal: CLOSED with `appeal_outcome`. UPHELD reverses the payout by
    new entries (module docstring) and publishes `claim.reversed`, then `claim.closed`;
    REJECTED only closes.

    `claim_already_decided` once the appeal was decided; `invalid_claim_status` unless
    APPEALED; `validation_error` naming `outcome`. Locks the claim first, then deposits' and
    insurance's own order (account → policy → recovery), as claims.locks writes down."""
    if outcome not in APPEAL_OUTCOMES:
        raise InvalidInput(
            gettext("outcome: UPHELD or REJECTED."),
            fields={"outcome": ["Must be UPHELD or REJECTED."]},
        )
    with transaction.atomic():
        locked = locks.lock_claim(claim.pk)
        if locked.appeal_outcome is not None:
            raise ClaimAlreadyDecided(
                gettext("The appeal was already decided (%(outcome)s).")
                % {"outcome": locked.appeal_outcome}
            )
        if locked.status != ClaimStatus.APPEALED:
            raise InvalidClaimStatus(
                gettext("A %(status)s claim has no appeal to decide; only an APPEALED one has.")
                % {"status": locked.status}
            )
        locked = selectors.claim_with_details(locked.pk)
        reversals = _reverse_payout(locked, now=now, note=note) if outcome == Outcome.UPHELD else []
        locked.status = ClaimStatus.CLOSED
        locked.appeal_outcome = outcome
        locked.closed_at = now
        locked.save(update_fields=["status", "appeal_outcome", "closed_at"])
        records.timeline_add(
            claim=locked,
            actor=actor,
            actor_label=actor_label,
            action=f"appeal_decided:{outcome}",
            now=now,
            note=note,
            system=[
                system_note(
                    "reversed",
                    rows=[[r.source, r.amount_minor, r.returned_to] for r in reversals],
                    currency=locked.currency,
                )
            ]
            if outcome == Outcome.UPHELD
            else [],
        )
        if outcome == Outcome.UPHELD:
            records.publish(claim=locked, type=records.EVENT_REVERSED, now=now)
        records.publish(claim=locked, type=records.EVENT_CLOSED, now=now)
    return selectors.claim_with_details(claim.pk)


def claim_close_unappealed(*, claim: Claim, now: datetime) -> Claim:
    """The appeal window is over without an appeal: DECIDED → CLOSED, the decision final
    (`claim.closed`). For the deadline task: an already CLOSED claim comes back unchanged (a
    second run, or the task after an appeal decision); `invalid_claim_status` while the window
    is open, once APPEALED, or before a decision. Locks the claim."""
    with transaction.atomic():
        locked = locks.lock_claim(claim.pk)
        if locked.status == ClaimStatus.CLOSED:
            return selectors.claim_with_details(claim.pk)
        if locked.status != ClaimStatus.DECIDED:
            raise InvalidClaimStatus(
                gettext("A %(status)s claim is not waiting for its appeal window to end.")
                % {"status": locked.status}
            )
        assert locked.appeal_by is not None
        if now < locked.appeal_by:
            raise InvalidClaimStatus(
                gettext("The appeal window is open until %(at)s.")
                % {"at": locked.appeal_by.isoformat()}
            )
        locked.status = ClaimStatus.CLOSED
        locked.closed_at = now
        locked.save(update_fields=["status", "closed_at"])
        records.timeline_add(
            claim=locked,
            actor=Actor.SYSTEM,
            action="closed",
            now=now,
            system=[system_note("closed_unappealed")],
        )
        records.publish(claim=locked, type=records.EVENT_CLOSED, now=now)
    return selectors.claim_with_details(claim.pk)

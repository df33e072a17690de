"""Deciding a claim and paying the award (domain.md §6.1 "Payout", api-v1.md "Claims")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from claims import locks, selectors
from claims.domain.compensation import OPS_DECIDES, compensation_award
from claims.domain.event_texts import SystemNote
from claims.domain.event_texts import note as system_note
from claims.domain.funding import ADVANCE, CAPTURE, DEDUCT, FundingStep, funding_order
from claims.models import Actor, Claim, ClaimFunding, ClaimStatus, FundingSource, Outcome
from claims.services import records
from claims.services.lifecycle import (
    claim_key,
    refuse_when_decided,
    release_hold,
    rule_terms,
)
from common.errors import InvalidClaimStatus, InvalidInput
from common.money import format_minor
from common.templatetags.money import money, money_and_minor
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from insurance import services as insurance_services


class DecisionRefused(InvalidInput):
    """A decision the rule does not allow. The partner API shows `detail` and `fields` (its field
    names and outcome codes, api.md's error format): `message`, in English, under `fields`, and
    after the field's name as `detail`, in the request's language (`detail`, translated where it
    is raised; a refusal that names an amount says it as money and minor units there, as the
    API's other refusals with an amount do, and `message` the bare minor units). `english` is
    the field's name and `message`, whatever the active language, for logs. The admin shows
    `ops_text` instead: the same sentence in the staff user's language, outcomes by their labels
    and amounts as money, under the form field ops typed into (`field` names the API's)."""

    def __init__(self, field: str, message: str, ops_text: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}", fields={field: [message]})
        self.field = field
        self.ops_text = ops_text
        self.english = f"{field}: {message}"


def _bad(field: str, message: str, ops_text: Any, detail: Any) -> DecisionRefused:
    return DecisionRefused(field, message, str(ops_text), str(detail))


def _award(
    claim: Claim, *, outcome: str, amount_minor: int | None
) -> tuple[int, str, str, dict[str, Any]]:
    """The amount awarded, the computation in words (English, Chinese), and the same as facts
    (claims.domain.computation_texts) that the pages render in the reader's language."""
    rule = claim.rule
    earlier = (
        selectors.earlier_awards_minor(claim, window_hours=rule.window_hours)
        if rule.window_hours
        else 0
    )
    award = compensation_award(
        terms=rule_terms(rule),
        paid_minor=claim.order_paid_minor,
        currency=claim.currency,
        requested_minor=claim.requested_minor,
        earlier_awards_minor=earlier,
    )

    def m(amount: int) -> str:
        return f"{format_minor(amount, claim.currency)} {claim.currency}"

    if outcome == Outcome.REJECTED:
        if amount_minor:
            raise _bad(
                "amount_minor",
                "A rejection awards nothing; leave it out.",
                gettext("A rejection awards nothing; leave the amount empty."),
                gettext("A rejection awards nothing; leave it out."),
            )
        return (
            0,
            f"{award.computation_en} Rejected: nothing awarded.",
            f"{award.computation_zh}驳回:不予赔付。",
            {**award.facts, "decision": {"outcome": outcome, "amount": 0}},
        )
    if rule.kind == OPS_DECIDES:
        if amount_minor is None:
            required = gettext("Required: rule %(rule)s leaves the amount to ops.")
            raise _bad(
                "amount_minor",
                f"Required: rule {rule.code} leaves the amount to ops.",
                required % {"rule": rule.code},
                required % {"rule": rule.code},
            )
        return (
            amount_minor,
            f"Rule {rule.code}: ops decided {m(amount_minor)} ({outcome}).",
            f"规则 {rule.code}:平台裁定赔付 {m(amount_minor)}({outcome})。",
            {**award.facts, "decision": {"outcome": outcome, "amount": amount_minor}},
        )
    if award.amount_minor <= 0:
        raise _bad(
            "outcome",
            "The 24-hour cap leaves nothing to award for this order; decide REJECTED.",
            gettext(
                "The 24-hour cap leaves nothing to award for this order; decide “%(rejected)s”."
            )
            % {"rejected": Outcome.REJECTED.label},
            gettext("The 24-hour cap leaves nothing to award for this order; decide %(rejected)s.")
            % {"rejected": Outcome.REJECTED.value},
        )
    if outcome == Outcome.UPHELD:
        if amount_minor is not None and amount_minor != award.amount_minor:
            raise _bad(
                "amount_minor",
                f"UPHELD awards the rule amount {award.amount_minor}; for another amount "
                "decide PARTLY_UPHELD.",
                gettext(
                    "“%(upheld)s” awards the rule amount %(amount)s; for another amount "
                    "decide “%(partly)s”."
                )
                % {
                    "upheld": Outcome.UPHELD.label,
                    "partly": Outcome.PARTLY_UPHELD.label,
                    "amount": money(award.amount_minor, claim.currency),
                },
                # Partners send integer minor units: name both, so nobody reads 640000 as yuan.
                gettext(
                    "%(upheld)s awards the rule amount %(amount)s; for another amount "
                    "decide %(partly)s."
                )
                % {
                    "upheld": Outcome.UPHELD.value,
                    "partly": Outcome.PARTLY_UPHELD.value,
                    "amount": money_and_minor(award.amount_minor, claim.currency),
                },
            )
        return (
            award.amount_minor,
            award.computation_en,
            award.computation_zh,
            {**award.facts, "decision": {"outcome": outcome, "amount": award.amount_minor}},
        )
    if amount_minor is None:
        raise _bad(
            "amount_minor",
            "Required for PARTLY_UPHELD.",
            gettext("Required for “%(partly)s”.") % {"partly": Outcome.PARTLY_UPHELD.label},
            gettext("Required for %(partly)s.") % {"partly": Outcome.PARTLY_UPHELD.value},
        )
    if amount_minor >= award.amount_minor:
        raise _bad(
            "amount_minor",
            f"PARTLY_UPHELD awards less than the rule amount {award.amount_minor}.",
            gettext("“%(partly)s” awards less than the rule amount %(amount)s.")
            % {
                "partly": Outcome.PARTLY_UPHELD.label,
                "amount": money(award.amount_minor, claim.currency),
            },
            gettext("%(partly)s awards less than the rule amount %(amount)s.")
            % {
                "partly": Outcome.PARTLY_UPHELD.value,
                "amount": money_and_minor(award.amount_minor, claim.currency),
            },
        )
    return (
        amount_minor,
        f"{award.computation_en} Partly upheld: {m(amount_minor)} of the rule's "
        f"{m(award.amount_minor)}.",
        f"{award.computation_zh}部分支持:按规则应赔 {m(award.amount_minor)},裁定赔付 "
        f"{m(amount_minor)}。",
        {**award.facts, "decision": {"outcome": outcome, "amount": amount_minor}},
    )


def _advance(claim: Claim, *, award_minor: int, now: datetime) -> insurance_services.AdvanceResult:
    """Ask the shop's insurer to advance the whole award: it advances up to its remaining limit
    under the policy's lock and answers with the rest (nothing is written for a shop without an
    ACTIVE policy). insurance.locks' order follows claims': the claim is already locked, then the
    deposit account, the policy and the new recovery (claims.locks)."""
    return insurance_services.policy_advance(
        claim_ref=str(claim.public_id),
        amount_minor=award_minor,
        currency=claim.currency,
        idempotency_key=claim_key(claim, "advance"),
        now=now,
        shop_id=claim.shop_id,
    )


def _fund(claim: Claim, *, award_minor: int, now: datetime) -> list[ClaimFunding]:
    hold = (
        deposit_selectors.hold_by_public_id(claim.hold_public_id) if claim.hold_public_id else None
    )
    held = hold.amount_minor if hold is not None and hold.status == hold.Status.ACTIVE else 0
    advance = _advance(claim, award_minor=award_minor, now=now) if award_minor > 0 else None
    advanced = advance.advanced_minor if advance is not None else 0
    # The advance has happened (funding_order puts it first); the hold, then cash, then debt
    # pay what the insurer's limit did not cover.
    steps: list[FundingStep] = funding_order(
        award_minor=award_minor, held_minor=held, insurer_limit_minor=advanced
    )
    rows: list[ClaimFunding] = []

    def row(source: str, amount: int, tx_id: Any) -> None:
        if amount <= 0:
            return
        assert tx_id is not None
        rows.append(
            ClaimFunding.objects.create(
                claim=claim,
                source=source,
                amount_minor=amount,
                currency=claim.currency,
                transaction_public_id=tx_id,
                created_at=now,
            )
        )

    for step in steps:
        if step.step == ADVANCE:
            assert advance is not None and advance.advance is not None
            assert advance.advance.ledger_transaction is not None
            row(
                FundingSource.INSURER_ADVANCE,
                step.amount_minor,
                advance.advance.ledger_transaction.public_id,
            )
        elif step.step == CAPTURE:
            assert hold is not None
            key = claim_key(claim, "capture")
            deposit_services.hold_capture(
                hold_id=hold.pk, idempotency_key=key, now=now, amount_minor=step.amount_minor
            )
            row(
                FundingSource.DEPOSIT,
                step.amount_minor,
                deposit_selectors.transaction_public_id_for_key(key),
            )
        elif step.step == DEDUCT:
            key = claim_key(claim, "deduct")
            result = deposit_services.deposit_deduct(
                account_id=deposit_selectors.account_for_shop(claim.shop).pk,  # type: ignore[union-attr]
                amount_minor=step.amount_minor,
                currency=claim.currency,
                reason=f"Claim {claim.external_ref} ({claim.reason}) beyond its hold",
                reference=f"claim:{claim.public_id}",
                idempotency_key=key,
                now=now,
                allow_debt=True,
            )
            debt = -sum(
                e.amount_minor
                for e in result.transaction.entries.all()
                if e.account_id == result.account.pk and e.bucket == "DEBT"
            )
            tx_id = result.transaction.public_id
            row(FundingSource.DEPOSIT, step.amount_minor - debt, tx_id)
            row(FundingSource.DEBT, debt, tx_id)
    if not any(s.step == CAPTURE for s in steps):
        release_hold(claim=claim, now=now, step="release")
    return rows


def claim_decide(
    *,
    claim: Claim,
    outcome: str,
    now: datetime,
    amount_minor: int | None = None,
    note: str = "",
    actor: str = Actor.PARTNER,
    actor_label: str = "",
    system: Sequence[SystemNote] = (),
) -> Claim:
    """Decide an IN_REVIEW claim and pay the award: an insured shop's insurer advances first, up
    to its policy's remaining limit; then the hold is captured up to what is left (the rest
    released), more than was held deducted with debt allowed; a rejection releases the hold.

    `claim_already_decided` for a second decision, `invalid_claim_status` before escalation or
    after it ended; `validation_error` naming `amount_minor` (required for PARTLY_UPHELD and for
    reasons ops decide; less than the rule amount for PARTLY_UPHELD; absent when REJECTED).
    Locks the claims of the pair (claims.locks), so the 24-hour cap sees every earlier award."""
    with transaction.atomic():
        locked = locks.lock_claim_with_pair(claim.pk)
        refuse_when_decided(locked)
        if locked.status != ClaimStatus.IN_REVIEW:
            raise InvalidClaimStatus(
                gettext("A %(status)s claim cannot be decided; it must be escalated first.")
                % {"status": locked.status}
            )
        locked = selectors.claim_with_details(locked.pk)
        award_minor, computation_en, computation_zh, facts = _award(
            locked, outcome=outcome, amount_minor=amount_minor
        )
        rows = _fund(locked, award_minor=award_minor, now=now)
        locked.status = ClaimStatus.DECIDED
        locked.outcome = outcome
        locked.compensation_minor = award_minor
        locked.computation_en = computation_en
        locked.computation_zh = computation_zh
        locked.computation_facts = facts
        locked.decided_at = now
        locked.respond_by = None
        locked.appeal_by = now + records.APPEAL_WINDOW
        locked.save(
            update_fields=[
                "status",
                "outcome",
                "compensation_minor",
                "computation_en",
                "computation_zh",
                "computation_facts",
                "decided_at",
                "respond_by",
                "appeal_by",
            ]
        )
        records.timeline_add(
            claim=locked,
            actor=actor,
            actor_label=actor_label,
            action=f"decided:{outcome}",
            now=now,
            note=note,
            system=[
                *system,
                system_note("computation", en=computation_en, zh=computation_zh, facts=facts),
                system_note(
                    "funding",
                    rows=[[r.source, r.amount_minor] for r in rows],
                    currency=locked.currency,
                ),
            ],
        )
        decided = records.publish(claim=locked, type=records.EVENT_DECIDED, now=now)
    return decided

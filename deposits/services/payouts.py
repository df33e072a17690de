"""The payout of a withdrawal, after the ledger posting: the payment provider sends it to the
shop's bound account, then it is paid, or it fails and the money goes back into the deposit.

The withdrawal itself (`operations.deposit_withdraw`) records the `Withdrawal` row with its
reference; these services move its status (models/payouts.py has the states). Each is a
compare-and-set on the row, so a repeated report of the same step changes nothing and answers
the row as it is; a report that does not fit the state (paid after failed) is `invalid_state`.
Lock order: the withdrawal row (by the UPDATE), then the account (the reversal's posting), as
for an adjustment request.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext

from common.errors import InvalidInput, InvalidTransition, NotFound
from deposits.models import PayoutAccount, Withdrawal
from deposits.services.operations import transaction_reverse

Status = Withdrawal.Status
TAIL = re.compile(r"^[0-9]{4}$")


def _get(reference: str) -> Withdrawal:
    withdrawal = Withdrawal.objects.filter(reference=reference.strip().upper()).first()
    if withdrawal is None:
        raise NotFound(gettext("No withdrawal %(reference)s.") % {"reference": reference})
    return withdrawal


def _status_refusal(withdrawal: Withdrawal) -> str:
    return gettext("Withdrawal %(reference)s has status “%(status)s”.") % {
        "reference": withdrawal.reference,
        "status": withdrawal.get_status_display(),
    }


def _check_tail(tail: str, field: str) -> str:
    tail = (tail or "").strip()
    if tail and not TAIL.match(tail):
        raise InvalidInput(fields={field: ["The last four digits of the account, e.g. 6789."]})
    return tail


def payout_account_bind(
    *, shop_id: int, account_tail: str, now: datetime, bank_name: str = ""
) -> PayoutAccount:
    """Record the account the provider pays this shop's withdrawals to (only its last four
    digits). Binding again replaces it; withdrawals already requested keep the tail they had."""
    tail = _check_tail(account_tail, "account_tail")
    if not tail:
        raise InvalidInput(fields={"account_tail": ["Give the last four digits of the account."]})
    account, _ = PayoutAccount.objects.update_or_create(
        shop_id=shop_id,
        defaults={"account_tail": tail, "bank_name": bank_name.strip()[:100], "bound_at": now},
    )
    return account


def withdrawal_payout_sent(
    *, reference: str, now: datetime, provider_ref: str = "", bank_account_tail: str = ""
) -> Withdrawal:
    """The provider has sent the money to the bank (REQUESTED → SENT)."""
    tail = _check_tail(bank_account_tail, "bank_account_tail")
    withdrawal = _get(reference)
    changes: dict[str, object] = {"status": Status.SENT, "sent_at": now}
    if provider_ref:
        changes["provider_ref"] = provider_ref.strip()[:100]
    if tail:
        changes["bank_account_tail"] = tail
    moved = Withdrawal.objects.filter(pk=withdrawal.pk, status=Status.REQUESTED).update(**changes)
    withdrawal.refresh_from_db()
    if not moved and withdrawal.status != Status.SENT:
        raise InvalidTransition(_status_refusal(withdrawal))
    return withdrawal


def withdrawal_payout_paid(*, reference: str, now: datetime) -> Withdrawal:
    """The bank has credited the merchant (REQUESTED or SENT → PAID; final)."""
    withdrawal = _get(reference)
    moved = Withdrawal.objects.filter(
        pk=withdrawal.pk, status__in=[Status.REQUESTED, Status.SENT]
    ).update(status=Status.PAID, paid_at=now)
    withdrawal.refresh_from_db()
    if not moved and withdrawal.status != Status.PAID:
        raise InvalidTransition(_status_refusal(withdrawal))
    return withdrawal


def withdrawal_payout_failed(
    *, reference: str, reason: str, now: datetime, actor: AbstractBaseUser | None = None
) -> Withdrawal:
    """The payout failed (REQUESTED or SENT → FAILED; final): the reason is kept for the
    merchant and the withdrawal is reversed in the same transaction, so the money is back in the
    deposit (and counts for its coverage) the moment the failure is recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": ["Say why the payout failed: the merchant reads it."]})
    withdrawal = _get(reference)
    with transaction.atomic():
        moved = Withdrawal.objects.filter(
            pk=withdrawal.pk, status__in=[Status.REQUESTED, Status.SENT]
        ).update(status=Status.FAILED, failed_at=now, failure_reason=reason[:300])
        if moved:
            reversal = transaction_reverse(
                transaction_id=withdrawal.transaction_id,
                reason=f"提现失败 {withdrawal.reference}: {reason}"[:250],
                actor=actor,
                idempotency_key=f"payout-failed:{withdrawal.reference}",
                now=now,
            )
            Withdrawal.objects.filter(pk=withdrawal.pk).update(reversal=reversal.transaction)
    withdrawal.refresh_from_db()
    if not moved and withdrawal.status != Status.FAILED:
        raise InvalidTransition(_status_refusal(withdrawal))
    return withdrawal

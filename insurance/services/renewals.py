"""The end of a policy's term (domain.md §5.1 "Renewal and expiry"): renewal reminders 30, 7 and
1 days before `ends_on`, then expiry.

- `policy_terms_due_scan(now, limit) -> list[int]`: the periodic scan, one set-based query
  (insurance.selectors.policies_term_due on the Asia/Shanghai date of `now`).
- `policy_term_process(policy_id, now) -> str`: what is due for one policy, exactly once, under
  the locks (the deposit account, then the policy; insurance.locks):
  - "expired" from 00:00 Shanghai the day after `ends_on`: ACTIVE → EXPIRED by compare-and-set,
    the guarantee withdrawn through `deposits.services.guarantee_withdraw(source_ref=...)`
    (idempotent: the deposits sweeper may already have ended it at its `valid_to`, the same
    moment), `policy.expired` published to the shop's partner and the insurer, a notice and
    e-mail. The shortfall ladder takes over by itself (deposits evaluates the shop after the
    guarantee ends).
  - "reminder_30d" / "reminder_7d" / "reminder_1d": marked sent on the policy in the same
    transaction as the notice + e-mail (dedupe key "<policy ref>:renewal_<n>d") and
    `policy.expiring` (the policy with `reminder_days`, `cash_required_minor` and
    `cash_required_from`: the cash the deposit needs without this policy's guarantee, and from
    when). A late reminder is not sent once a nearer one has gone; a scan that first runs 5
    days before the end sends only the 7-day one.
  - "nothing" otherwise (a duplicate message, a second worker that waited on the lock).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from common.errors import NotFound
from common.times import utc_iso
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from insurance import locks, selectors
from insurance.models import Policy, PolicyStatus
from insurance.services import renewal_texts as texts
from insurance.services.advances import _notify, _publish
from insurance.services.underwriting import policy_event_data

EVENT_EXPIRING = "policy.expiring"
EVENT_EXPIRED = "policy.expired"
SCAN_LIMIT = 1000
# (days before ends_on, marker field), nearest first.
_REMINDERS = ((1, "reminded_1d_at"), (7, "reminded_7d_at"), (30, "reminded_30d_at"))


def policy_terms_due_scan(*, now: datetime, limit: int = SCAN_LIMIT) -> list[int]:
    return selectors.policies_term_due(today=selectors.market_date(now), limit=limit)


def _expiring_data(
    policy: Policy, cash: selectors.CashWithoutPolicy, days: int, now: datetime
) -> dict[str, Any]:
    return policy_event_data(policy, now=now) | {
        "reminder_days": days,
        "cash_required_minor": cash.cash_needed_minor,
        "cash_required_from": utc_iso(cash.from_at),
    }


def policy_term_process(*, policy_id: int, now: datetime) -> str:
    shop_id = Policy.objects.filter(pk=policy_id).values_list("shop_id", flat=True).first()
    if shop_id is None:
        return "nothing"
    with transaction.atomic(durable=True):
        account_id = deposit_selectors.account_id_for_shop_id(shop_id)
        if account_id is not None:
            deposit_services.guarantee_account_lock(account_id=account_id)
        policy = locks.lock_policy(policy_id)
        if policy.status != PolicyStatus.ACTIVE or policy.ends_on is None:
            return "nothing"
        today = selectors.market_date(now)
        ref = selectors.policy_guarantee_ref(policy)
        if today > policy.ends_on:
            return _expire(policy, now=now, ref=ref)
        days_left = (policy.ends_on - today).days
        if _paid_renewal(policy) is not None:
            # Renewed and paid: no cash will be needed, so no reminder. Mark them all so the
            # scan stops picking this policy until its expiry (the handover) is due.
            marks = {f: now for _d, f in _REMINDERS if getattr(policy, f) is None}
            if marks:
                Policy.objects.filter(pk=policy.pk).update(**marks)
            return "renewed"
        sent_nearer = False
        for days, field in _REMINDERS:
            if getattr(policy, field) is not None:
                sent_nearer = True
                continue
            if days_left <= days and not sent_nearer:
                # Mark this one and every farther one (a late farther reminder is moot).
                marks = {f: now for d, f in _REMINDERS if d >= days and getattr(policy, f) is None}
                Policy.objects.filter(pk=policy.pk).update(**marks)
                for f, value in marks.items():
                    setattr(policy, f, value)
                cash = selectors.cash_without_policy(policy)
                _notify(
                    policy,
                    f"{ref}:renewal_{days}d",
                    "insurance_renewal_reminder",
                    lambda language, cash=cash: texts.renewal_reminder(
                        language=language, policy=policy, cash=cash, days=days_left
                    ),
                    now,
                )
                _publish(policy, EVENT_EXPIRING, _expiring_data(policy, cash, days, now), now=now)
                return f"reminder_{days}d"
        return "nothing"


def _paid_renewal(policy: Policy) -> Policy | None:
    """The renewal of `policy` whose premium is paid (ACTIVE, starting after it), if any."""
    renewal = selectors.renewal_of(policy)
    return renewal if renewal is not None and renewal.status == PolicyStatus.ACTIVE else None


def _expire(policy: Policy, *, now: datetime, ref: str) -> str:
    moved = Policy.objects.filter(pk=policy.pk, status=PolicyStatus.ACTIVE).update(
        status=PolicyStatus.EXPIRED, expired_at=now
    )
    if not moved:  # pragma: no cover - the lock makes this unreachable
        return "nothing"
    policy.status, policy.expired_at = PolicyStatus.EXPIRED, now
    renewal = _paid_renewal(policy)
    try:
        # With a paid renewal this one recount (under the account's lock, which we hold) ends
        # the old guarantee and counts the renewal's in: its valid_from is this guarantee's
        # valid_to, so the deposit's coverage goes from one to the other without a gap, and
        # the shortfall evaluation after commit finds nothing to open.
        deposit_services.guarantee_withdraw(
            source_ref=ref,
            reason=(
                f"policy {policy.policy_number} expired"
                + (f", renewed by {renewal.policy_number}" if renewal is not None else "")
            ),
            now=now,
        )
    except NotFound:  # a policy activated before guarantees were registered: nothing to end
        pass
    _publish(policy, EVENT_EXPIRED, policy_event_data(policy, now=now), now=now)
    if renewal is not None:
        _notify(
            policy,
            f"{ref}:expired",
            "insurance_policy_renewed",
            lambda language: texts.renewed_handover(
                language=language, policy=policy, renewal=renewal
            ),
            now,
        )
        return "renewed"
    cash = selectors.cash_without_policy(policy)
    _notify(
        policy,
        f"{ref}:expired",
        "insurance_policy_expired",
        lambda language: texts.expired(language=language, policy=policy, cash=cash),
        now,
    )
    return "expired"

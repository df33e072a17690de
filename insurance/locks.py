"""Every row lock the insurance app takes, in one place (like deposits.locks).

Order, deadlock-free only if every transaction follows it:

    deposits' account  →  quote  →  application  →  policy  →  recovery  →  (shop, last)

- The shop's deposit account first (architecture.md: account, then policy, then claim). Every
  insurance transaction that will touch the deposit (a premium payment that may activate the
  policy and register its guarantee, a surrender that withdraws it, an advance or a repayment
  that resizes it, the overdue step that supervises the shop) locks the account first through
  `deposits.services.guarantee_account_lock`, then its own rows; the guarantee services it
  calls under both lock the same account again (a no-op). Deposits never locks a policy, and
  no insurance transaction takes the account after a policy, so no cycle can form. (The first
  advances slice took the policy first; it changed when the premium slice, written at the same
  time, took the account first: two orders on one pair of rows can deadlock.)
- An application before its policy: acceptance creates the policy under the application's
  lock; expiry locks the policy and then moves its application, which nothing else holds once
  it is ACCEPTED.
- A recovery after its policy: repayment, reminders and the overdue step lock the policy, then
  the recovery, so a repayment and the overdue step of the same recovery serialise, and two
  advances or repayments under one policy compute the guarantee from the same view of the
  remaining limit (it is resized while the policy is still locked).
- The shop's row last of all, as in deposits (restriction_add / restrictions_lift lock it).
- Several rows of one kind: ascending primary key. Sweepers skip rows another transaction holds
  (SKIP LOCKED): the next sweep takes them.

Mode FOR NO KEY UPDATE (as deposits.locks, for the same reason: rows that point at these by
foreign key take KEY SHARE on insert, which must not queue behind a lock holder). No key column
of a locked row is ever changed.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from insurance.models import InsuranceApplication, Policy, Recovery
from insurance.selectors import policies_due_for_expiry


def _locked(queryset: QuerySet, *, skip_locked: bool = False) -> QuerySet:
    return queryset.select_for_update(no_key=True, of=("self",), skip_locked=skip_locked)


def lock_application(application_id: int) -> InsuranceApplication:
    return _locked(
        InsuranceApplication.objects.select_related("shop", "product__insurer", "quote")
    ).get(pk=application_id)


def lock_policy(policy_id: int) -> Policy:
    """A policy, with its shop, product and insurer read (not locked)."""
    return _locked(Policy.objects.select_related("shop__merchant", "product", "insurer")).get(
        pk=policy_id
    )


def try_lock_policies_due(now: datetime, *, limit: int) -> list[Policy]:
    """Up to `limit` policies past their premium due time, locked in pk order, skipping any
    another transaction holds."""
    return list(_locked(policies_due_for_expiry(now), skip_locked=True).order_by("pk")[:limit])


def lock_recovery(recovery_id: int) -> Recovery:
    """One recovery, under its policy's lock (taken first)."""
    return _locked(Recovery.objects.select_related("advance")).get(pk=recovery_id)

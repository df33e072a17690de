"""Every row lock the insurance app takes, in one place (like deposits.locks).

Order, deadlock-free only if every transaction follows it:

    quote  →  application  →  policy  →  recovery  →  (deposits' rows: account → … → shop)

- An application before its policy: acceptance creates the policy under the application's
  lock; expiry locks the policy (the row the premium payment will lock) and then moves its
  application, which nothing else holds once it is ACCEPTED.
- The policy before deposits' rows. This is the one crossing deposits.locks allows ("a caller
  that holds its policy and then calls a deposits service crosses that order, and must be the
  only kind of caller that does"): insurance is that caller, and every insurance transaction
  that needs both takes the policy first. An advance or a repayment must hold the policy while
  it reads the outstanding recoveries and computes the new remaining limit, then resize the
  guarantee to it (`guarantee_set_amount`: account → guarantee); taking the account first would
  need deposits' private lock functions, and releasing the policy before the resize would let
  two advances set the guarantee from two different views of the limit. It cannot deadlock:
  deposits never locks a policy, so nothing holds an account and waits for a policy. The
  activation and surrender slice follows the same rule (lock the policy, then
  guarantee_register / guarantee_withdraw). Shops' row comes last of all, as in deposits
  (restriction_add / restrictions_lift lock it).
- A recovery after its policy: repayment, reminders and the overdue step lock the policy, then
  the recovery, so a repayment and the overdue step of the same recovery serialise, and two
  repayments of two recoveries of one policy compute the guarantee from the same view.
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


def try_lock_policies_due(now: datetime, *, limit: int) -> list[Policy]:
    """Up to `limit` policies past their premium due time, locked in pk order, skipping any
    another transaction holds."""
    return list(_locked(policies_due_for_expiry(now), skip_locked=True).order_by("pk")[:limit])


def lock_policy(policy_id: int) -> Policy:
    """The policy, with its shop (and merchant), product and insurer read, not locked."""
    return _locked(Policy.objects.select_related("shop__merchant", "product", "insurer")).get(
        pk=policy_id
    )


def lock_recovery(recovery_id: int) -> Recovery:
    """One recovery, under its policy's lock (taken first)."""
    return _locked(Recovery.objects.select_related("advance")).get(pk=recovery_id)

"""Every row lock the insurance app takes, in one place (like deposits.locks).

Order, deadlock-free only if every transaction follows it:

    (deposits' rows: account → … → shop)  →  quote  →  application  →  policy

- Deposits' rows come first (guide: account, then policy, then claim). A quote only reads the
  deposit, and acceptance and expiry touch insurance rows alone. A premium payment (which may
  activate the policy and register its guarantee) and a surrender (which withdraws it) lock the
  shop's deposit account first, through `deposits.services.guarantee_account_lock`, then the
  policy; the guarantee services they call under both lock the same account again (a no-op).
- An application before its policy: acceptance creates the policy under the application's
  lock; expiry locks the policy (the row the premium payment will lock) and then moves its
  application, which nothing else holds once it is ACCEPTED.
- Several rows of one kind: ascending primary key. Sweepers skip rows another transaction holds
  (SKIP LOCKED): the next sweep takes them.

Mode FOR NO KEY UPDATE (as deposits.locks, for the same reason: rows that point at these by
foreign key take KEY SHARE on insert, which must not queue behind a lock holder). No key column
of a locked row is ever changed.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from insurance.models import InsuranceApplication, Policy
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

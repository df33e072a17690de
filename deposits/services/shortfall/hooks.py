"""Evaluate a shop after the change that may have moved its coverage commits: a posting, a
requirement change, a guarantee change."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import structlog
from django.conf import settings
from django.db import transaction

from deposits.models import (
    ShortfallCase,
    TransactionKind,
)
from deposits.services.shortfall.evaluate import OPEN, TRIGGER_REQUIREMENT, shortfall_evaluate
from deposits.services.shortfall.scan import shortfall_cases_open_due

log = structlog.get_logger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

# Postings after which coverage may have come back although the account is not short now: an open
# case may be waiting to resolve. (A posting that leaves the account short always evaluates.)
_COVERAGE_RAISING = frozenset(
    {
        TransactionKind.TOP_UP,
        TransactionKind.HOLD_RELEASE,
        TransactionKind.HOLD_EXPIRY,
        TransactionKind.HOLD_CAPTURE,
        TransactionKind.REVERSAL,
        TransactionKind.ADJUSTMENT,
    }
)
# More shops than this after a requirement change: open their cases set-based, announce at the
# next scan, rather than evaluating each one inside the request that changed the rules.
ON_COMMIT_MAX_SHOPS = 100


def shortfall_after_posting(result: Any) -> Any:
    """Called by the ledger services with their PostingResult; returns it unchanged.

    Costs nothing inside the posting's transaction: it only registers an on-commit callback, and
    only when the posting may matter: the account is short now (evaluate), or it may have been
    short just before this posting raised its coverage by at most the posting's amount (then one
    indexed query after commit looks for an open case to resolve). A covered shop's postings cost
    nothing at all. (A case left open on a covered shop by a failed evaluation is the scan's.)
    """
    if result.replayed:
        return result
    account = result.account
    if account.shop_id is None:
        return result
    kind = result.transaction.kind
    coverage = account.coverage
    short = not coverage.is_covered
    # The posting's amount bounds the coverage it added, except for a partial capture, whose
    # amount is what was paid out while the rest of the hold came back: always look then.
    at_most_before = coverage.after(posted_delta=-abs(result.transaction.amount_minor))
    may_have_been_short = kind == TransactionKind.HOLD_CAPTURE or not at_most_before.is_covered
    if short or (kind in _COVERAGE_RAISING and may_have_been_short):
        shortfall_evaluate_on_commit(
            shop_ids=[account.shop_id],
            now=result.transaction.occurred_at,
            trigger=kind,
            only_if_case_open=not short,
        )
    return result


def evaluates_shortfall(service: Callable[P, R]) -> Callable[P, R]:
    """Decorate a ledger service returning a PostingResult: after its posting commits, the shop's
    shortfall is evaluated (see `shortfall_after_posting`). One line per service, no change to
    its body or to the posting path."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return shortfall_after_posting(service(*args, **kwargs))  # type: ignore[no-any-return]

    return wrapper


def shortfall_after_requirement_change(*, shop_ids: Iterable[int] | None, now: datetime) -> None:
    """Called by requirements_recompute. A handful of shops are evaluated after commit; a rule
    change for many shops opens their cases with one set-based statement after commit, and the
    next scan (≤ 5 minutes) announces them and applies their first step."""
    ids = None if shop_ids is None else list(shop_ids)
    if ids is not None and len(ids) <= ON_COMMIT_MAX_SHOPS:
        shortfall_evaluate_on_commit(shop_ids=ids, now=now, trigger=TRIGGER_REQUIREMENT)
        return
    if not getattr(settings, "SHORTFALL_EVALUATE_ON_COMMIT", True):
        return
    transaction.on_commit(lambda: shortfall_cases_open_due(now=now), robust=True)


def shortfall_evaluate_on_commit(
    *, shop_ids: list[int], now: datetime, trigger: str = "", only_if_case_open: bool = False
) -> None:
    """After the caller's transaction commits, evaluate these shops in this process.

    Robust: a failure is logged and left to the periodic scan, never turned into an error for a
    caller whose change has already committed. Set SHORTFALL_EVALUATE_ON_COMMIT = False to leave
    everything to the scan.
    """
    if not shop_ids or not getattr(settings, "SHORTFALL_EVALUATE_ON_COMMIT", True):
        return

    def run() -> None:
        ids = shop_ids
        if only_if_case_open:
            ids = list(
                ShortfallCase.objects.filter(shop_id__in=shop_ids, status=OPEN).values_list(
                    "shop_id", flat=True
                )
            )
        for shop_id in ids:
            try:
                shortfall_evaluate(shop_id=shop_id, now=now, trigger=trigger)
            except Exception:
                log.exception("shortfall.evaluate_on_commit_failed", shop_id=shop_id)

    transaction.on_commit(run, robust=True)

"""Shortfall enforcement (保证金不足, domain.md §4): open a case when a live shop's coverage drops
below its requirement, walk the ladder step by step on time, resolve as soon as coverage is back.

Shortfall = max(0, required − (available + guaranteed) + debt), read from the account's cached
columns (`Account.shortfall_minor`).

Locking (deposits.locks): every write to a case happens under the deposit account's row lock,
taken first, then the case's, then the shop row that `shops.services` locks to refresh its
status (the project's order: account, …, case, shop). All FOR NO KEY UPDATE: the scan's
set-based INSERT, whose foreign-key checks take KEY SHARE on the accounts of the cases it opens,
must not wait on an evaluation (with plain FOR UPDATE an evaluation waiting on the scan's new
case row and the scan waiting on the evaluation's account row deadlocked, found by
test_shortfall_concurrency). A posting and an evaluation of the same shop therefore serialise,
and two workers evaluating the same shop run one after the other; the second finds the work
done. Evaluation runs after the change that moved coverage commits, never inside it.
On top of the lock, each step is a compare-and-set on `ShortfallCase.step` and a unique
(case, position) row, each notice has a unique dedupe key and each restriction is unique per
cause, so nothing is applied or sent twice even if a caller forgets the lock.

How work reaches `shortfall_evaluate`:
- after a posting, a requirement change or a guarantee change commits (the hooks below; the
  ledger services call `shortfall_after_posting`, the guarantee services
  `shortfall_evaluate_on_commit`), for that one shop, in the same process;
- every 5 minutes, `shortfall_scan`: one set-based INSERT opens the missing cases, then one
  keyset-paginated query lists the shops with work due, handed to `dispatch` in batches (Celery
  fans out one task per shop; `enforce_shortfalls` evaluates them in-line).

E-mails are never sent here: notices are rows (shops.Notification) delivered after commit.

Modules: evaluate (one shop), scan (set-based), hooks (after-commit), texts (what the merchant
reads), events (what partners hear), ops (admin actions), reads (the dashboard banner). The
synchronous pass of `manage.py enforce_shortfalls` is deposits.services.enforcement (it drives
the guarantee sweeper too, which imports this package).
"""

from deposits.services.shortfall.evaluate import (
    OPEN,
    TRIGGER_GUARANTEE,
    TRIGGER_REQUIREMENT,
    TRIGGER_SCAN,
    Evaluation,
    Resolution,
    ladder_plan,
    shortfall_evaluate,
)
from deposits.services.shortfall.hooks import (
    evaluates_shortfall,
    shortfall_after_posting,
    shortfall_after_requirement_change,
    shortfall_evaluate_on_commit,
)
from deposits.services.shortfall.ops import (
    ladder_step_save,
    shortfall_case_resolve_by_ops,
    shortfall_review_decide,
)
from deposits.services.shortfall.reads import (
    HoldPreview,
    shortfall_banner,
    shortfall_cases_for_page,
    shortfall_latest_deduction,
    shortfall_open_case,
    shortfall_open_cases_by_shop,
    shortfall_preview_after_hold,
    shortfall_restriction_texts,
)
from deposits.services.shortfall.scan import (
    CANDIDATES_SQL,
    SHORTFALL_SQL,
    ScanResult,
    shortfall_candidates,
    shortfall_cases_open_due,
    shortfall_scan,
)
from deposits.services.shortfall.texts import step_description, when_text

__all__ = [
    "CANDIDATES_SQL",
    "OPEN",
    "SHORTFALL_SQL",
    "TRIGGER_GUARANTEE",
    "TRIGGER_REQUIREMENT",
    "TRIGGER_SCAN",
    "Evaluation",
    "HoldPreview",
    "Resolution",
    "ScanResult",
    "evaluates_shortfall",
    "ladder_plan",
    "shortfall_after_posting",
    "shortfall_after_requirement_change",
    "shortfall_banner",
    "shortfall_cases_for_page",
    "shortfall_restriction_texts",
    "shortfall_candidates",
    "shortfall_case_resolve_by_ops",
    "shortfall_cases_open_due",
    "shortfall_evaluate",
    "shortfall_evaluate_on_commit",
    "shortfall_latest_deduction",
    "shortfall_open_case",
    "shortfall_open_cases_by_shop",
    "shortfall_preview_after_hold",
    "ladder_step_save",
    "shortfall_review_decide",
    "shortfall_scan",
    "step_description",
    "when_text",
]

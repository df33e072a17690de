"""Every write to deposits. Import the functions from here: `from deposits import services`.

Entry points for other apps (insurance, claims, the partner API). Their names and contracts are
stable; everything else here is for deposits' own views, admin and tasks. All are keyword-only,
take `now` from the caller and raise `common.errors.DomainError` subclasses whose `code` is
given below (every one may also raise `validation_error` naming the bad field, and `not_found`).
Locks are deposits.locks' (order: account → holds → guarantees → case → shop, FOR NO KEY
UPDATE); a caller may run them inside its own transaction, and then their "after commit" work
waits for that transaction's commit (and never happens if it rolls back).

Ledger postings share one contract (deposits.services.posting): `idempotency_key` is unique; a
replay with the same arguments returns the first result (`PostingResult.replayed`), with other
arguments raises `idempotency_key_reused`; a refusal is stored, so its key keeps failing the
same way. Each writes its partner event to the outbox in its transaction; after commit the
webhook deliveries are enqueued and, when coverage may have moved, the shop's shortfall is
evaluated (`shortfall_after_posting`).

- `deposit_top_up(account_id, amount_minor, currency, payment_ref, idempotency_key, now)`:
  credits a confirmed payment, paying off debt first. Locks the account; the first payment that
  covers the requirement takes the shop live in the same transaction (then the shop row).
  `payment_ref` credits once: `duplicate_reference`.
- `deposit_deduct(account_id, amount_minor, currency, reason, reference, idempotency_key, now,
  allow_debt=False)`: pays a consumer out of the deposit. Locks the account.
  `insufficient_funds` unless `allow_debt` (then the rest becomes the merchant's debt).
- `deposit_award_reverse(account_id, amount_minor, currency, reason, reference, idempotency_key,
  now, debt_cancel_minor=0)`: gives back what a consumer's award took (an upheld appeal), as a
  new REVERSAL posting from compensation payable: up to `debt_cancel_minor` cancels the debt
  the award created (as far as it is still owed), the rest is credited to posted. Posts on a
  closed shop too. Locks the account.
- `deposit_withdraw(account_id, amount_minor, currency, idempotency_key, now)`: pays surplus
  back. Locks the account. `shop_frozen`, `insufficient_funds`, `would_cause_shortfall`.
  Records the payout (`Withdrawal`, reference "WD-<year>-<number>", status REQUESTED, the bound
  account's last four digits) in the same transaction; `result.transaction.withdrawal`.
- `withdrawal_payout_sent(reference, now, provider_ref="", bank_account_tail="")`,
  `withdrawal_payout_paid(reference, now)`, `withdrawal_payout_failed(reference, reason, now)`:
  the payout's progress (REQUESTED → SENT → PAID, or → FAILED with the reason, which reverses the
  withdrawal so the money is back in the deposit). A repeated report is a no-op; one that does
  not fit is `invalid_state`. `payout_account_bind(shop_id, account_tail, now, bank_name="")`.
- `deposit_adjust(account_id, amount_minor, reason, actor, idempotency_key, now)`: signed ops
  correction; above the four-eyes threshold, or past the maker's daily limit of adjustments made
  alone, returns a pending `AdjustmentRequest` (a four-eyes request, approvals) instead, which
  `adjustment_approve(request_id, actor, now)` posts (locks the request, then the account;
  `approval_required` for the requester, `invalid_state` once decided). `insufficient_funds`.
- `deposit_forfeit_or_request`, `override_set_or_request`, `requirement_rule_request`: the ops
  entry points of a forfeiture, a requirement override and a rule change under four-eyes
  (`deposits/services/four_eyes.py`; below the threshold they act at once).
- `hold_place(account_id, amount_minor, currency, reason, reference, expires_at,
  idempotency_key, now) -> Hold`: reserves part of the available deposit for a claim. Locks the
  account. `insufficient_funds`.
- `hold_capture(hold_id, idempotency_key, now, amount_minor=None) -> Hold` /
  `hold_release(hold_id, idempotency_key, now) -> Hold`: resolve a hold once (capture pays all
  or part to the consumer, the rest comes back). Lock the account, then the hold.
  `hold_not_active` once it is resolved (captured, released or expired by the sweeper).
- `guarantee_register(account_id, amount_minor, currency, valid_from, source_kind, source_ref,
  now, valid_to=None) -> Guarantee`: idempotent on `source_ref` (same terms replay, other terms
  `duplicate_reference`). Locks the account. An onboarding shop that it leaves paid in full
  (`Coverage.is_paid_in_full`) goes live in the same transaction, as on a first full top-up.
- `guarantee_account_lock(account_id) -> Account`: locks the account for the caller's
  transaction, so a source that must also lock its own row (insurance's policy) takes deposits'
  row first and then calls the guarantee services under both.
- `guarantee_set_amount(source_ref, amount_minor, reason, now) -> Guarantee`: resizes an active
  guarantee (insurance's cover shrinks with each advance, grows back with each repayment);
  setting the amount it has changes nothing. Locks the account, then the guarantee.
  `invalid_state` once the guarantee has ended.
- `guarantee_withdraw(now, reason, guarantee_id=None | source_ref=None) -> Guarantee`: ends it;
  withdrawing an ended guarantee returns it unchanged. Locks the account.
  The three guarantee services refresh the cached guaranteed balance under the account lock,
  write no ledger entry, and evaluate the shop's shortfall after commit.
- `system_transfer(source, destination, amount_minor, currency, kind, reason, reference,
  idempotency_key, now, payment_ref=None) -> (LedgerTransaction, replayed)`: money between
  system accounts that never touches a deposit (insurance premiums, premium refunds, insurer
  advances and their repayment, and an advance given back to the insurer when an appeal
  reverses the award, kind REVERSAL). Idempotent on the key (`idempotency_key_reused` with other
  terms); a `payment_ref` credits once (`duplicate_reference`). No row lock (system accounts
  cache no balance); joins the caller's transaction. `system_account_balance(code, currency,
  reference=None)` reads the sum of one account's entries (one policy's, with `reference`).
- Reconciliation (`deposits.services.reconciliation`, its docstring has the contracts):
  `settlement_file_import`, `partner_file_import`, `partner_match_day`, `ledger_reconcile`,
  `reconciliation_daily`, `MatchPass`/`Side` (insurance matches its statements with them), and
  the item actions `reconciliation_item_assign`/`_investigate`/`_resolve`/`_write_off`.
- `daily_snapshot_take(now)`: today's totals per currency (cash, holds, debt, guarantees, open
  shortfalls, shops by standing) into `DailyDepositSnapshot`, for the ops overview's figures
  over every shop and its charts (every 5 minutes, beat);
  `daily_snapshots_backfill(now, days=90)` derives missing earlier days from the ledger once.
- Ledger day totals (`deposits.services.rollups`, for the coverage chart and the statement's
  balances): `entry_rollup_advance(account_id, now)` rolls an account's entries above its mark
  (idempotent, safe in two workers), `entry_rollup_rebuild(account_id, now)`,
  `entry_rollup_verify(account_id)` (differences, empty when exact) and
  `entry_rollups_due(dispatch)` (the nightly scan's fan-out).
"""

from deposits.services.enforcement import PassResult, shortfall_run_pass
from deposits.services.four_eyes import (
    override_set_or_request,
    requirement_rule_needs_four_eyes,
    requirement_rule_request,
)
from deposits.services.guarantees import (
    guarantee_account_lock,
    guarantee_register,
    guarantee_set_amount,
    guarantee_withdraw,
    guarantees_expire_due,
)
from deposits.services.holds import (
    hold_capture,
    hold_expire,
    hold_place,
    hold_release,
    holds_expire_due,
)
from deposits.services.ledger_check import LedgerCheckResult, ledger_check_run
from deposits.services.onboarding import shop_exit_confirm, shop_register
from deposits.services.operations import (
    adjustment_approve,
    adjustment_reject,
    deposit_adjust,
    deposit_award_reverse,
    deposit_deduct,
    deposit_forfeit,
    deposit_forfeit_or_request,
    deposit_refund_on_exit,
    deposit_top_up,
    deposit_withdraw,
    refund_available_at,
    transaction_reverse,
)
from deposits.services.payouts import (
    payout_account_bind,
    withdrawal_payout_failed,
    withdrawal_payout_paid,
    withdrawal_payout_sent,
)
from deposits.services.posting import PostingResult
from deposits.services.posting_receipt import Receipt, ReceiptConflict
from deposits.services.reconciliation import (
    ImportResult,
    MatchPass,
    Side,
    insurer_stream,
    ledger_reconcile,
    partner_file_import,
    partner_match_day,
    reconciliation_daily,
    reconciliation_item_assign,
    reconciliation_item_investigate,
    reconciliation_item_resolve,
    reconciliation_item_write_off,
    settlement_file_import,
)
from deposits.services.requirements import (
    ProfileChange,
    WhatIf,
    account_open,
    account_set_recent_gmv,
    override_set,
    requirement_rule_delete,
    requirement_rule_save,
    requirement_what_if,
    requirements_recompute,
)
from deposits.services.rollups import (
    entry_rollup_advance,
    entry_rollup_rebuild,
    entry_rollup_verify,
    entry_rollups_due,
)
from deposits.services.shortfall import (
    Evaluation,
    ScanResult,
    ladder_step_save,
    shortfall_after_posting,
    shortfall_banner,
    shortfall_candidates,
    shortfall_case_resolve_by_ops,
    shortfall_cases_open_due,
    shortfall_evaluate,
    shortfall_review_decide,
    shortfall_scan,
)
from deposits.services.snapshots import daily_snapshot_take, daily_snapshots_backfill
from deposits.services.transfers import system_account_balance, system_transfer

__all__ = [
    "deposit_forfeit_or_request",
    "override_set_or_request",
    "requirement_rule_needs_four_eyes",
    "requirement_rule_request",
    "ImportResult",
    "MatchPass",
    "Side",
    "insurer_stream",
    "ledger_reconcile",
    "partner_file_import",
    "partner_match_day",
    "reconciliation_daily",
    "reconciliation_item_assign",
    "reconciliation_item_investigate",
    "reconciliation_item_resolve",
    "reconciliation_item_write_off",
    "settlement_file_import",
    "payout_account_bind",
    "withdrawal_payout_failed",
    "withdrawal_payout_paid",
    "withdrawal_payout_sent",
    "Evaluation",
    "LedgerCheckResult",
    "PassResult",
    "PostingResult",
    "Receipt",
    "ReceiptConflict",
    "ScanResult",
    "account_open",
    "account_set_recent_gmv",
    "adjustment_approve",
    "adjustment_reject",
    "deposit_adjust",
    "deposit_award_reverse",
    "deposit_deduct",
    "deposit_forfeit",
    "deposit_refund_on_exit",
    "deposit_top_up",
    "deposit_withdraw",
    "guarantee_account_lock",
    "guarantee_register",
    "daily_snapshot_take",
    "entry_rollup_advance",
    "entry_rollup_rebuild",
    "entry_rollup_verify",
    "entry_rollups_due",
    "daily_snapshots_backfill",
    "guarantee_set_amount",
    "guarantee_withdraw",
    "guarantees_expire_due",
    "hold_capture",
    "hold_expire",
    "hold_place",
    "hold_release",
    "holds_expire_due",
    "ledger_check_run",
    "override_set",
    "refund_available_at",
    "requirement_rule_delete",
    "requirement_rule_save",
    "requirements_recompute",
    "requirement_what_if",
    "ProfileChange",
    "WhatIf",
    "shop_exit_confirm",
    "shop_register",
    "shortfall_after_posting",
    "shortfall_banner",
    "shortfall_candidates",
    "shortfall_case_resolve_by_ops",
    "shortfall_cases_open_due",
    "shortfall_evaluate",
    "ladder_step_save",
    "shortfall_review_decide",
    "shortfall_run_pass",
    "shortfall_scan",
    "system_account_balance",
    "system_transfer",
    "transaction_reverse",
]

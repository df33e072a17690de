"""The coverage rule: is a shop's deposit covered, how short is it, what may be withdrawn.

The one place this arithmetic lives in Python (domain.md §3, api-v1.md "deposit"). Its twin in
SQL is `deposits_shortfall_v1` (deposits/sql/coverage_v1.sql), which the posting function and the
shortfall scan use; `tests/deposits/test_coverage.py` draws balances with Hypothesis and checks
that the two agree to the fen. Change both, or neither, and version the SQL.

    available   = posted − held                         cash not reserved by an open claim
    coverage    = available + guaranteed                what stands behind the requirement
    shortfall   = max(0, required − coverage + debt)    a debt is a shortfall too (§3)
    cash needed = max(0, required − guaranteed)         what the cash alone must still cover
    withdrawable = 0 while a debt is owed, else max(0, available − cash needed)

A guarantee (insurance) stands in for cash, so it lowers the cash needed; but it is not cash, so
nothing above `available` is ever withdrawable. While the merchant owes a debt nothing is paid
back to them: the debt is settled first (the next top-up pays it off).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class WithdrawLimit(StrEnum):
    """Why the withdrawable amount is what it is (the first that applies, in this order)."""

    DEBT = "debt"  # a debt is owed: nothing until it is repaid
    SHORTFALL = "shortfall"  # coverage is below the requirement
    HELD = "held"  # cash above the requirement is reserved by open claims
    REQUIRED = "required"  # every fen of cash is needed for the requirement
    SURPLUS = "surplus"  # something can be withdrawn


@dataclass(frozen=True)
class Coverage:
    """One deposit's position, every figure in minor units of `currency`."""

    currency: str
    required_minor: int
    posted_minor: int
    held_minor: int
    guaranteed_minor: int
    debt_minor: int

    @property
    def available_minor(self) -> int:
        return self.posted_minor - self.held_minor

    @property
    def coverage_minor(self) -> int:
        return self.available_minor + self.guaranteed_minor

    @property
    def shortfall_minor(self) -> int:
        return shortfall_minor(
            required_minor=self.required_minor,
            posted_minor=self.posted_minor,
            held_minor=self.held_minor,
            guaranteed_minor=self.guaranteed_minor,
            debt_minor=self.debt_minor,
        )

    @property
    def is_covered(self) -> bool:
        """Exactly covered counts as covered: one fen short does not."""
        return self.shortfall_minor == 0

    @property
    def is_paid_in_full(self) -> bool:
        """What takes an onboarding shop live: covered, and nothing owed (domain.md §3)."""
        return self.is_covered and self.debt_minor == 0

    @property
    def cash_needed_minor(self) -> int:
        return max(0, self.required_minor - self.guaranteed_minor)

    @property
    def withdrawable_minor(self) -> int:
        if self.debt_minor > 0:
            return 0
        return max(0, self.available_minor - self.cash_needed_minor)

    @property
    def withdraw_limit(self) -> WithdrawLimit:
        if self.debt_minor > 0:
            return WithdrawLimit.DEBT
        if self.shortfall_minor > 0:
            return WithdrawLimit.SHORTFALL
        if self.withdrawable_minor > 0:
            return WithdrawLimit.SURPLUS
        # Covered, nothing above the requirement: say whether holds are what stands in the way
        # (the cash would be withdrawable once the claims are resolved in the merchant's favour).
        if self.held_minor > 0 and self.posted_minor - self.cash_needed_minor > 0:
            return WithdrawLimit.HELD
        return WithdrawLimit.REQUIRED

    def after(self, *, posted_delta: int = 0, held_delta: int = 0, debt_delta: int = 0) -> Coverage:
        """The position after a movement (e.g. a withdrawal's −amount on posted)."""
        return Coverage(
            currency=self.currency,
            required_minor=self.required_minor,
            posted_minor=self.posted_minor + posted_delta,
            held_minor=self.held_minor + held_delta,
            guaranteed_minor=self.guaranteed_minor,
            debt_minor=self.debt_minor + debt_delta,
        )

    def as_dict(self) -> dict[str, int | str]:
        """The API's `deposit` object (api-v1.md), in its field order."""
        return {
            "currency": self.currency,
            "required_minor": self.required_minor,
            "posted_minor": self.posted_minor,
            "held_minor": self.held_minor,
            "available_minor": self.available_minor,
            "guaranteed_minor": self.guaranteed_minor,
            "debt_minor": self.debt_minor,
            "shortfall_minor": self.shortfall_minor,
        }


def shortfall_minor(
    *,
    required_minor: int,
    posted_minor: int,
    held_minor: int,
    guaranteed_minor: int,
    debt_minor: int,
) -> int:
    """max(0, required − (posted − held) − guaranteed + debt): the SQL function's exact twin."""
    return max(0, required_minor - (posted_minor - held_minor) - guaranteed_minor + debt_minor)


def coverage_of(account: Any) -> Coverage:
    """The coverage of anything with the five balances and a currency (an Account row, a
    snapshot): the one way Python code reads a deposit's position."""
    return Coverage(
        currency=account.currency,
        required_minor=account.required_minor,
        posted_minor=account.posted_minor,
        held_minor=account.held_minor,
        guaranteed_minor=account.guaranteed_minor,
        debt_minor=account.debt_minor,
    )

"""Who pays an award, in which order (domain.md §6.1 "Payout"; api-v1.md "Claims").

Pure: the services ask it for the order, then move the money through deposits' services.
"""

from __future__ import annotations

from dataclasses import dataclass

DEPOSIT = "DEPOSIT"
INSURER_ADVANCE = "INSURER_ADVANCE"
DEBT = "DEBT"
# Steps: how the money moves (a step may give rows of two sources: a deduction beyond the deposit
# gives DEPOSIT for what it took and DEBT for the rest).
ADVANCE = "ADVANCE"
CAPTURE = "CAPTURE"
DEDUCT = "DEDUCT"


@dataclass(frozen=True)
class FundingStep:
    """One step in order, for `amount_minor`."""

    step: str
    amount_minor: int


def funding_order(
    *, award_minor: int, held_minor: int, insurer_limit_minor: int = 0
) -> list[FundingStep]:
    """The sources an award is paid from, in order.

    A cash shop: the claim's hold first (captured up to the award), then the rest is deducted
    from the deposit with debt allowed, so what the deposit cannot pay becomes the merchant's
    debt (the deduction itself tells DEPOSIT from DEBT).

    An insured shop: the insurer advances first, up to the policy's remaining limit
    (`insurer_limit_minor`), then the hold, then the deposit, then debt. The decision passes what
    `insurance.services.policy_advance(...)` actually advanced under the policy's lock (0 for a
    cash shop), so the rest is exactly what the hold, cash and debt must pay.
    """
    steps: list[FundingStep] = []
    left = award_minor
    if insurer_limit_minor > 0 and left > 0:
        take = min(insurer_limit_minor, left)
        steps.append(FundingStep(ADVANCE, take))
        left -= take
    if held_minor > 0 and left > 0:
        take = min(held_minor, left)
        steps.append(FundingStep(CAPTURE, take))
        left -= take
    if left > 0:
        steps.append(FundingStep(DEDUCT, left))
    return steps

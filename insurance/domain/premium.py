"""The money of performance insurance, in integers only (domain.md §5.1, api-v1.md).

    coverage = requirement × coverage_share_bps / 10,000                 half up at the fen
    premium  = coverage × premium_rate_bps / 10,000 × term_days / 365     half up at the fen
    refund   = premium − coverage × premium_rate_bps / 10,000 × used_days / 365   (half up)
    used_days = surrender day − start day + 1   (both included: day 1 is paid for)

The day count is ACT/365: a leap year's term of 366 days costs 366/365 of the annual premium,
never /366. Every figure is computed as one exact fraction of integers and rounded once, half up
(no float, no intermediate rounding), so 50,000.00 at 3% for 365 days is exactly 1,500.00.
Each function has a twin that says the same arithmetic in words, in English and Chinese, with the
figures: the quote shows it to the merchant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from common.money import format_minor

BPS = 10_000  # basis points in one
DAYS_IN_YEAR = 365  # ACT/365 (fixed): the divisor never changes with leap years
DAY_COUNT = "ACT/365"


def div_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (away from zero at .5), exactly, for integers."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator < 0:
        return -div_half_up(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


def coverage_minor(*, requirement_minor: int, coverage_share_bps: int) -> int:
    _non_negative(requirement_minor=requirement_minor, coverage_share_bps=coverage_share_bps)
    return div_half_up(requirement_minor * coverage_share_bps, BPS)


def premium_for_days_minor(*, coverage_minor: int, premium_rate_bps: int, days: int) -> int:
    """The premium for `days` insured days: coverage × rate × days / 365, half up at the fen."""
    _non_negative(coverage_minor=coverage_minor, premium_rate_bps=premium_rate_bps, days=days)
    return div_half_up(coverage_minor * premium_rate_bps * days, BPS * DAYS_IN_YEAR)


def used_days(*, starts_on: date, on: date) -> int:
    """Insured days from the start day through `on`, both included (0 before the start)."""
    return max(0, (on - starts_on).days + 1)


def surrender_refund_minor(
    *, premium_minor: int, coverage_minor: int, premium_rate_bps: int, used_days: int
) -> int:
    """premium − the premium for the used days; never below zero, never above the premium."""
    used = premium_for_days_minor(
        coverage_minor=coverage_minor, premium_rate_bps=premium_rate_bps, days=used_days
    )
    return max(0, min(premium_minor, premium_minor - used))


@dataclass(frozen=True)
class Computation:
    """A figure with the sentence that explains it, in both languages."""

    amount_minor: int
    en: str
    zh: str


def _percent(bps: int) -> str:
    whole, frac = divmod(bps, 100)
    return f"{whole}.{frac:02d}%"


def quote_figures(
    *,
    requirement_minor: int,
    coverage_share_bps: int,
    premium_rate_bps: int,
    term_days: int,
    currency: str,
) -> tuple[Computation, Computation]:
    """Coverage and premium of a quote, each with its sentence."""
    coverage = coverage_minor(
        requirement_minor=requirement_minor, coverage_share_bps=coverage_share_bps
    )
    premium = premium_for_days_minor(
        coverage_minor=coverage, premium_rate_bps=premium_rate_bps, days=term_days
    )

    def m(amount: int) -> str:
        return f"{format_minor(amount, currency)} {currency}"

    share, rate = _percent(coverage_share_bps), _percent(premium_rate_bps)
    cov = Computation(
        amount_minor=coverage,
        en=(
            f"Coverage {m(coverage)} = deposit requirement {m(requirement_minor)} × coverage "
            f"share {share}, rounded half up to the fen."
        ),
        zh=(
            f"保障额度 {m(coverage)} = 保证金要求 {m(requirement_minor)} × 保障比例 {share}，"
            "四舍五入到分。"
        ),
    )
    prem = Computation(
        amount_minor=premium,
        en=(
            f"Premium {m(premium)} = coverage {m(coverage)} × {rate} a year × {term_days} days "
            f"/ 365 ({DAY_COUNT}: charged by insured day), rounded half up to the fen."
        ),
        zh=(
            f"保费 {m(premium)} = 保障额度 {m(coverage)} × 年费率 {rate} × {term_days} 天 / 365"
            f"（{DAY_COUNT}，按保障天数计费），四舍五入到分。"
        ),
    )
    return cov, prem


def refund_figure(
    *,
    premium_minor: int,
    coverage_minor: int,
    premium_rate_bps: int,
    starts_on: date,
    on: date,
    currency: str,
) -> Computation:
    """The surrender refund on `on` with its sentence (start day and `on` both charged)."""
    days = used_days(starts_on=starts_on, on=on)
    used = premium_for_days_minor(
        coverage_minor=coverage_minor, premium_rate_bps=premium_rate_bps, days=days
    )
    refund = surrender_refund_minor(
        premium_minor=premium_minor,
        coverage_minor=coverage_minor,
        premium_rate_bps=premium_rate_bps,
        used_days=days,
    )

    def m(amount: int) -> str:
        return f"{format_minor(amount, currency)} {currency}"

    rate = _percent(premium_rate_bps)
    return Computation(
        amount_minor=refund,
        en=(
            f"Refund {m(refund)} = premium {m(premium_minor)} − coverage {m(coverage_minor)} × "
            f"{rate} × {days} used days / 365 ({m(used)}; {starts_on.isoformat()} through "
            f"{on.isoformat()}, both included), rounded half up to the fen."
        ),
        zh=(
            f"退还保费 {m(refund)} = 已付保费 {m(premium_minor)} − 保障额度 {m(coverage_minor)} × "
            f"{rate} × 已用 {days} 天 / 365（{m(used)}；{starts_on.isoformat()} 至 "
            f"{on.isoformat()}，首尾两天均计），四舍五入到分。"
        ),
    )


def _non_negative(**values: int) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must not be negative")

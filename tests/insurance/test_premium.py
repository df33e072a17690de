"""insurance.domain.premium: ACT/365, half up at the fen, integers only."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from insurance.domain.premium import (
    coverage_minor,
    div_half_up,
    premium_for_days_minor,
    quote_figures,
    refund_figure,
    surrender_refund_minor,
    used_days,
)


def exact_half_up(value: Fraction) -> int:
    whole = value.numerator // value.denominator
    return whole + (1 if value - whole >= Fraction(1, 2) else 0)


class TestPremium:
    def test_fifty_thousand_at_three_percent_for_a_year_is_fifteen_hundred(self):
        assert premium_for_days_minor(coverage_minor=5_000_000, premium_rate_bps=300, days=365) == (
            150_000
        )

    def test_half_cover_at_two_and_a_half_percent(self):
        cover = coverage_minor(requirement_minor=5_000_000, coverage_share_bps=5_000)

        assert cover == 2_500_000
        half = premium_for_days_minor(coverage_minor=cover, premium_rate_bps=250, days=365)
        assert half == 62_500

    def test_a_leap_year_term_of_366_days_stays_divided_by_365(self):
        # 1,500.00 × 366 / 365 = 1,504.1095… → 1,504.11
        assert premium_for_days_minor(coverage_minor=5_000_000, premium_rate_bps=300, days=366) == (
            150_411
        )

    def test_half_a_fen_rounds_up(self):
        # 1 fen × 5000 bps = 0.5 fen → 1; 0.49 → 0
        assert coverage_minor(requirement_minor=1, coverage_share_bps=5_000) == 1
        assert coverage_minor(requirement_minor=1, coverage_share_bps=4_999) == 0
        # 18,250.00 × 1 bp × 1 day / 365 = exactly 0.5 fen → 1; a fen less → 0
        assert premium_for_days_minor(coverage_minor=1_825_000, premium_rate_bps=1, days=1) == 1
        assert premium_for_days_minor(coverage_minor=1_824_999, premium_rate_bps=1, days=1) == 0

    def test_div_half_up_is_exact_at_the_half(self):
        assert div_half_up(5, 10) == 1
        assert div_half_up(4, 10) == 0
        assert div_half_up(15, 10) == 2
        assert div_half_up(-5, 10) == -1

    @given(
        coverage=st.integers(min_value=0, max_value=10**13),
        rate=st.integers(min_value=1, max_value=10_000),
        days=st.integers(min_value=0, max_value=3_660),
    )
    def test_premium_is_the_exact_fraction_rounded_half_up_once(self, coverage, rate, days):
        exact = Fraction(coverage * rate * days, 10_000 * 365)

        assert premium_for_days_minor(
            coverage_minor=coverage, premium_rate_bps=rate, days=days
        ) == exact_half_up(exact)

    @given(
        requirement=st.integers(min_value=0, max_value=10**13),
        share=st.integers(min_value=1, max_value=10_000),
    )
    def test_coverage_never_exceeds_the_requirement(self, requirement, share):
        assert (
            0
            <= coverage_minor(requirement_minor=requirement, coverage_share_bps=share)
            <= (requirement)
        )

    def test_the_quote_says_the_arithmetic_in_both_languages(self):
        coverage, premium = quote_figures(
            requirement_minor=5_000_000,
            coverage_share_bps=10_000,
            premium_rate_bps=300,
            term_days=365,
            currency="CNY",
        )

        assert premium.amount_minor == 150_000
        assert "1,500.00 CNY" in premium.en and "50,000.00 CNY × 3.00%" in premium.en
        assert "ACT/365" in premium.en
        assert "保费 1,500.00 CNY" in premium.zh and "四舍五入到分" in premium.zh
        assert "100.00%" in coverage.en and "保障比例 100.00%" in coverage.zh


class TestSurrenderRefund:
    def test_used_days_count_the_start_and_the_surrender_day(self):
        assert used_days(starts_on=date(2026, 1, 1), on=date(2026, 1, 1)) == 1
        assert used_days(starts_on=date(2026, 1, 1), on=date(2026, 12, 31)) == 365
        assert used_days(starts_on=date(2026, 1, 2), on=date(2026, 1, 1)) == 0

    def test_surrendering_on_the_first_day_still_pays_for_that_day(self):
        refund = refund_figure(
            premium_minor=150_000,
            coverage_minor=5_000_000,
            premium_rate_bps=300,
            starts_on=date(2026, 1, 1),
            on=date(2026, 1, 1),
            currency="CNY",
        )

        # one day: 1,500.00 / 365 = 4.1095… → 4.11; refund 1,495.89
        assert refund.amount_minor == 149_589
        assert "1 used days" in refund.en and "首尾两天均计" in refund.zh

    def test_surrendering_on_the_last_day_refunds_nothing(self):
        assert (
            surrender_refund_minor(
                premium_minor=150_000, coverage_minor=5_000_000, premium_rate_bps=300, used_days=365
            )
            == 0
        )

    @given(
        coverage=st.integers(min_value=1, max_value=10**12),
        rate=st.integers(min_value=1, max_value=10_000),
        term=st.integers(min_value=1, max_value=730),
        used_share=st.integers(min_value=0, max_value=1_000),
    )
    def test_refund_is_premium_minus_the_used_days_and_never_negative(
        self, coverage, rate, term, used_share
    ):
        used = max(1, term * used_share // 1_000)
        premium = premium_for_days_minor(coverage_minor=coverage, premium_rate_bps=rate, days=term)

        refund = surrender_refund_minor(
            premium_minor=premium, coverage_minor=coverage, premium_rate_bps=rate, used_days=used
        )

        charged = premium_for_days_minor(coverage_minor=coverage, premium_rate_bps=rate, days=used)
        assert refund == premium - charged
        assert 0 <= refund <= premium

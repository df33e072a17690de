"""The calculator at every edge (domain.md §6.1): pure, no database."""

from __future__ import annotations

from claims.domain.compensation import (
    MULTIPLIER,
    OPS_DECIDES,
    RATE,
    RuleTerms,
    compensation_award,
)
from claims.domain.funding import CAPTURE, DEDUCT, FundingStep, funding_order

CAPPED = RuleTerms(
    code="LATE_SHIPMENT@2024-01-01",
    kind=RATE,
    rate_bps=3000,
    minimum_minor=500,
    maximum_minor=50_000,
    window_hours=24,
)
COUNTERFEIT = RuleTerms(code="COUNTERFEIT@2024-01-01", kind=MULTIPLIER, multiplier=5)
OPS = RuleTerms(code="AFTER_SALES@2024-01-01", kind=OPS_DECIDES)


def award(terms=CAPPED, paid=10_000, earlier=0, requested=None):
    return compensation_award(
        terms=terms,
        paid_minor=paid,
        currency="CNY",
        requested_minor=requested,
        earlier_awards_minor=earlier,
    )


class TestRate:
    def test_thirty_percent_of_the_paid_amount(self):
        result = award(paid=10_000)

        assert result.amount_minor == 3_000
        assert not result.minimum_applied and not result.maximum_applied
        assert "100.00 CNY paid × 30% = 30.00 CNY" in result.computation_en
        assert "实付 100.00 CNY × 30% = 30.00 CNY" in result.computation_zh

    def test_rounds_half_up_at_the_fen(self):
        assert award(paid=1_705).amount_minor == 512  # 511.5 → 512

    def test_a_small_order_gets_the_minimum(self):
        result = award(paid=1_000)  # 3.00 → 5.00

        assert result.amount_minor == 500
        assert result.minimum_applied
        assert "raised to the minimum 5.00 CNY" in result.computation_en

    def test_exactly_at_the_minimum_is_not_raised(self):
        result = award(paid=1_667)  # 500.1 → 500

        assert result.amount_minor == 500
        assert not result.minimum_applied

    def test_a_large_order_gets_the_maximum(self):
        result = award(paid=500_000)  # 1,500.00 → 500.00

        assert result.amount_minor == 50_000
        assert result.maximum_applied
        assert "lowered to the maximum 500.00 CNY" in result.computation_en
        assert "最高" in result.computation_zh


class TestTwentyFourHourCap:
    def test_the_second_order_gets_what_is_left_of_the_maximum(self):
        first = award(paid=100_000)  # 300.00
        second = award(paid=100_000, earlier=first.amount_minor)

        assert first.amount_minor == 30_000
        assert second.amount_minor == 20_000
        assert second.cap_took_minor == 10_000
        assert "already awarded 300.00 CNY" in second.computation_en
        assert "cap takes off 100.00 CNY" in second.computation_en
        assert "扣减 100.00 CNY" in second.computation_zh

    def test_the_third_order_gets_nothing_once_the_maximum_is_reached(self):
        third = award(paid=100_000, earlier=30_000 + 20_000)

        assert third.amount_minor == 0
        assert third.cap_took_minor == 30_000

    def test_the_cap_takes_nothing_when_there_is_room(self):
        result = award(paid=10_000, earlier=30_000)

        assert result.amount_minor == 3_000
        assert result.cap_took_minor == 0

    def test_the_cap_wins_over_the_minimum(self):
        result = award(paid=1_000, earlier=49_800)

        assert result.amount_minor == 200
        assert result.minimum_applied

    def test_a_rule_without_a_window_ignores_earlier_awards(self):
        result = award(terms=COUNTERFEIT, paid=10_000, earlier=1_000_000)

        assert result.amount_minor == 50_000


class TestMultiplier:
    def test_counterfeit_is_refund_plus_four_times(self):
        result = award(terms=COUNTERFEIT, paid=10_000)

        assert result.amount_minor == 50_000
        assert "refund 100.00 CNY + 4 × 100.00 CNY = 5 × 100.00 CNY = 500.00 CNY" in (
            result.computation_en
        )
        assert "退款 100.00 CNY + 4 倍赔偿 400.00 CNY" in result.computation_zh

    def test_has_no_maximum(self):
        assert award(terms=COUNTERFEIT, paid=10_000_000).amount_minor == 50_000_000


class TestOpsDecide:
    def test_the_requested_amount_is_the_estimate(self):
        result = award(terms=OPS, paid=10_000, requested=8_800)

        assert result.amount_minor == 8_800
        assert result.rule_amount_minor is None
        assert "ops decide" in result.computation_en
        assert "平台裁定" in result.computation_zh

    def test_nothing_requested_estimates_nothing(self):
        assert award(terms=OPS, paid=10_000).amount_minor == 0


class TestFundingOrder:
    def test_a_cash_shop_captures_the_hold_then_deducts(self):
        assert funding_order(award_minor=5_000, held_minor=3_000) == [
            FundingStep(CAPTURE, 3_000),
            FundingStep(DEDUCT, 2_000),
        ]

    def test_an_award_within_the_hold_only_captures(self):
        assert funding_order(award_minor=2_000, held_minor=3_000) == [FundingStep(CAPTURE, 2_000)]

    def test_without_a_hold_everything_is_deducted(self):
        assert funding_order(award_minor=2_000, held_minor=0) == [FundingStep(DEDUCT, 2_000)]

    def test_an_insurer_advances_first(self):
        steps = funding_order(award_minor=5_000, held_minor=1_000, insurer_limit_minor=3_000)

        assert [(s.step, s.amount_minor) for s in steps] == [
            ("ADVANCE", 3_000),
            ("CAPTURE", 1_000),
            ("DEDUCT", 1_000),
        ]

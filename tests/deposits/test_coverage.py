"""The coverage rule (deposits.domain.coverage) and its SQL twin (deposits_shortfall_v1).

The edges are domain.md §3's: coverage = available cash + guarantees, shortfall = requirement −
coverage + debt when positive; surplus above the requirement is withdrawable, nothing while a
debt is owed. The agreement test draws balances and asks PostgreSQL the same question.
"""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deposits.domain.coverage import Coverage, WithdrawLimit, shortfall_minor


def position(
    *, required: int, posted: int = 0, held: int = 0, guaranteed: int = 0, debt: int = 0
) -> Coverage:
    return Coverage(
        currency="CNY",
        required_minor=required,
        posted_minor=posted,
        held_minor=held,
        guaranteed_minor=guaranteed,
        debt_minor=debt,
    )


class TestCoverageEdges:
    def test_exactly_covered_is_covered_with_nothing_to_withdraw(self) -> None:
        deposit = position(required=5_000_000, posted=5_000_000)

        assert deposit.shortfall_minor == 0
        assert deposit.is_covered
        assert deposit.withdrawable_minor == 0
        assert deposit.withdraw_limit == WithdrawLimit.REQUIRED

    def test_one_fen_short_is_short_by_one_fen(self) -> None:
        deposit = position(required=5_000_000, posted=4_999_999)

        assert deposit.shortfall_minor == 1
        assert not deposit.is_covered
        assert deposit.withdraw_limit == WithdrawLimit.SHORTFALL

    def test_one_fen_above_is_one_fen_withdrawable(self) -> None:
        deposit = position(required=5_000_000, posted=5_000_001)

        assert deposit.withdrawable_minor == 1
        assert deposit.withdraw_limit == WithdrawLimit.SURPLUS

    def test_open_holds_count_against_coverage(self) -> None:
        deposit = position(required=5_000_000, posted=5_000_000, held=30_000)

        assert deposit.available_minor == 4_970_000
        assert deposit.shortfall_minor == 30_000

    def test_holds_on_the_surplus_leave_it_unwithdrawable_and_say_so(self) -> None:
        deposit = position(required=5_000_000, posted=5_010_000, held=10_000)

        assert deposit.is_covered
        assert deposit.withdrawable_minor == 0
        assert deposit.withdraw_limit == WithdrawLimit.HELD

    def test_a_guarantee_stands_in_for_cash(self) -> None:
        deposit = position(required=5_000_000, posted=2_000_000, guaranteed=5_000_000)

        assert deposit.shortfall_minor == 0
        assert deposit.cash_needed_minor == 0
        assert deposit.withdrawable_minor == 2_000_000  # all the cash, never the guarantee

    def test_a_half_guarantee_leaves_half_the_requirement_in_cash(self) -> None:
        deposit = position(required=5_000_000, posted=3_000_000, guaranteed=2_500_000)

        assert deposit.cash_needed_minor == 2_500_000
        assert deposit.withdrawable_minor == 500_000

    def test_debt_is_a_shortfall_even_with_a_guarantee(self) -> None:
        deposit = position(required=5_000_000, posted=0, guaranteed=5_000_000, debt=40_000)

        assert deposit.shortfall_minor == 40_000
        assert not deposit.is_covered
        assert deposit.withdraw_limit == WithdrawLimit.DEBT

    def test_nothing_is_withdrawable_while_a_debt_is_owed_even_above_the_requirement(
        self,
    ) -> None:
        deposit = position(required=5_000_000, posted=2_000_000, guaranteed=5_000_000, debt=1)

        assert deposit.withdrawable_minor == 0
        assert not deposit.is_paid_in_full

    def test_an_exactly_covered_onboarding_deposit_is_paid_in_full(self) -> None:
        assert position(required=5_000_000, posted=5_000_000).is_paid_in_full
        assert not position(required=5_000_000, posted=4_999_999).is_paid_in_full

    def test_withdrawing_the_whole_surplus_leaves_it_exactly_covered(self) -> None:
        deposit = position(required=5_000_000, posted=6_000_000, held=200_000)

        after = deposit.after(posted_delta=-deposit.withdrawable_minor)

        assert deposit.withdrawable_minor == 800_000
        assert after.shortfall_minor == 0
        assert after.after(posted_delta=-1).shortfall_minor == 1

    def test_the_api_shape_lists_the_contract_fields(self) -> None:
        shape = position(required=100, posted=150, held=20, guaranteed=0, debt=0).as_dict()

        assert shape == {
            "currency": "CNY",
            "required_minor": 100,
            "posted_minor": 150,
            "held_minor": 20,
            "available_minor": 130,
            "guaranteed_minor": 0,
            "debt_minor": 0,
            "shortfall_minor": 0,
        }


amounts = st.integers(min_value=0, max_value=10**12)


@st.composite
def balances(draw: st.DrawFn) -> dict[str, int]:
    posted = draw(amounts)
    return {
        "required_minor": draw(amounts),
        "posted_minor": posted,
        "held_minor": draw(st.integers(min_value=0, max_value=posted)),  # available >= 0
        "guaranteed_minor": draw(amounts),
        "debt_minor": draw(st.one_of(st.just(0), amounts)),
    }


class TestCoverageInvariants:
    @given(balances())
    def test_withdrawing_what_is_withdrawable_never_opens_a_shortfall(
        self, b: dict[str, int]
    ) -> None:
        deposit = Coverage(currency="CNY", **b)

        after = deposit.after(posted_delta=-deposit.withdrawable_minor)

        assert 0 <= deposit.withdrawable_minor <= max(deposit.available_minor, 0)
        if deposit.is_covered:
            assert after.is_covered
        if deposit.withdrawable_minor:
            # The most: one fen more is either more than the cash or opens a shortfall.
            one_more = after.after(posted_delta=-1)
            assert one_more.available_minor < 0 or one_more.shortfall_minor > 0


@pytest.mark.postgres(
    reason="the SQL functions (on SQLite the coverage function is the Python rule itself)"
)
@pytest.mark.django_db
class TestSqlAgreesWithPython:
    @settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(balances())
    def test_the_sql_function_computes_the_same_shortfall_to_the_fen(
        self, b: dict[str, int]
    ) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT deposits_shortfall_v1(%s, %s, %s, %s, %s)",
                [
                    b["required_minor"],
                    b["posted_minor"],
                    b["held_minor"],
                    b["guaranteed_minor"],
                    b["debt_minor"],
                ],
            )
            in_sql = cursor.fetchone()[0]

        assert in_sql == shortfall_minor(**b) == Coverage(currency="CNY", **b).shortfall_minor

    def test_the_sql_function_is_immutable_and_inlinable(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT provolatile, prolang = (SELECT oid FROM pg_language WHERE lanname='sql') "
                "FROM pg_proc WHERE proname = 'deposits_shortfall_v1'"
            )
            volatility, is_sql = cursor.fetchone()

        assert (volatility, is_sql) == ("i", True)

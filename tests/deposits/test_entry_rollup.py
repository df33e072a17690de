"""The ledger's day totals (deposits.models.rollups): the coverage chart read from them gives
exactly the series that every entry gives, whatever was rolled when; a roll is idempotent and
safe in two workers; entries posted late for a day already rolled are counted once.

Persona: a shop registered 400 days before "now" (2026-11-30, 12:00 in Shanghai) with a year of
history: paid in, a hold placed and partly captured, a guarantee for fifty days, the requirement
raised, a deduction beyond the deposit (debt), top-ups on the first day of each chart window and
one second before it, and an entry on either side of a Shanghai midnight.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from deposits import services, tasks
from deposits.coverage_history import PERIODS, coverage_history
from deposits.models import EntryDayRollup, EntryRollupMark
from deposits.statement import STATEMENT_TZ, StatementFilter, statement_page, statement_stream
from tests.factories import make_shop

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
TODAY = NOW.astimezone(STATEMENT_TZ).date()


def _key() -> str:
    return str(uuid.uuid4())


def _midnight(days_ago: int) -> datetime:
    """The first moment of the Shanghai day `days_ago` days before today."""
    return datetime.combine(TODAY - timedelta(days=days_ago), time.min, tzinfo=STATEMENT_TZ)


def _top_up(account, amount_minor: int, at: datetime) -> None:  # type: ignore[no-untyped-def]
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency="CNY",
        payment_ref=_key(),
        idempotency_key=_key(),
        now=at,
    )


def _deduct(account, amount_minor: int, at: datetime) -> None:  # type: ignore[no-untyped-def]
    """Beyond the deposit, the rest becomes debt (a second entry of the same posting)."""
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency="CNY",
        reason="延迟发货赔付",
        reference=f"ORDER-{_key()[:8]}",
        idempotency_key=_key(),
        now=at,
        allow_debt=True,
    )


@pytest.fixture
def ledger():  # type: ignore[no-untyped-def]
    start = NOW - timedelta(days=400)
    shop, account = make_shop(now=start)
    required = account.required_minor
    _top_up(account, required, start + timedelta(days=1))
    hold = services.hold_place(
        account_id=account.pk,
        amount_minor=800_000,
        currency="CNY",
        reason="消费者赔付申请",
        reference=f"claim:{uuid.uuid4()}",
        expires_at=NOW + timedelta(days=30),
        idempotency_key=_key(),
        now=NOW - timedelta(days=200),
    )
    services.hold_capture(
        hold_id=hold.pk, idempotency_key=_key(), now=NOW - timedelta(days=190), amount_minor=300_000
    )
    services.guarantee_register(
        account_id=account.pk,
        amount_minor=2_000_000,
        currency="CNY",
        valid_from=NOW - timedelta(days=100),
        valid_to=NOW - timedelta(days=50),
        source_kind="OTHER",
        source_ref=f"test:{_key()}",
        now=NOW - timedelta(days=100),
    )
    ops = get_user_model().objects.create_user(username=f"ops-{_key()[:8]}", is_staff=True)
    services.override_set(
        shop=shop,
        amount_minor=required + 3_000_000,
        reason="大促",
        actor=ops,
        now=NOW - timedelta(days=80),
    )
    # 1,500.00 beyond what is left: a debt, repaid by the top-ups posted after it.
    _deduct(account, required - 300_000 + 150_000, NOW - timedelta(days=60))
    # Each window's first day, at its first moment and one second before it.
    for days in PERIODS:
        first = _midnight(days - 1)
        _top_up(account, 100_000 + days, first - timedelta(seconds=1))
        _top_up(account, 200_000 + days, first)
    # Either side of a Shanghai midnight, and a second hold, placed and released.
    _top_up(account, 1_111, _midnight(10) - timedelta(seconds=1))
    _deduct(account, 2_222, _midnight(10))
    second = services.hold_place(
        account_id=account.pk,
        amount_minor=50_000,
        currency="CNY",
        reason="消费者赔付申请",
        reference=f"claim:{uuid.uuid4()}",
        expires_at=NOW + timedelta(days=30),
        idempotency_key=_key(),
        now=NOW - timedelta(days=5),
    )
    services.hold_release(hold_id=second.pk, idempotency_key=_key(), now=NOW - timedelta(days=4))
    # Today, before and after the moment the chart is drawn at.
    _top_up(account, 3_333, NOW - timedelta(hours=1))
    _top_up(account, 4_444, NOW + timedelta(hours=1))
    return shop, account


def _series_match(account) -> None:  # type: ignore[no-untyped-def]
    for days in PERIODS:
        rolled = coverage_history(account, days=days, now=NOW)
        live = coverage_history(account, days=days, now=NOW, rolled_up=False)
        assert rolled.points == live.points, days
        assert rolled.events == live.events, days
        assert rolled == live


@pytest.mark.django_db
class TestTheChartFromDayTotals:
    def test_gives_the_same_series_as_every_entry_for_30_90_and_365_days(self, ledger):
        _, account = ledger

        written = services.entry_rollup_advance(account_id=account.pk, now=NOW)

        assert written > 10
        _series_match(account)
        year = coverage_history(account, days=365, now=NOW)
        # The ledger reaches every series: not a comparison of two empty charts.
        assert max(p.debt_minor for p in year.points) > 0
        assert max(p.held_minor for p in year.points) == 800_000
        assert max(p.guaranteed_minor for p in year.points) == 2_000_000
        assert len({p.required_minor for p in year.points}) == 2
        assert year.points[-1].posted_minor > 0

    def test_before_any_roll_it_reads_the_entries(self, ledger):
        _, account = ledger

        _series_match(account)

    def test_entries_posted_after_the_roll_count_once_backdated_ones_included(self, ledger):
        _, account = ledger
        services.entry_rollup_advance(account_id=account.pk, now=NOW)

        # Posted now for days already rolled (a late task, a correction), and for today.
        _deduct(account, 5_555, NOW - timedelta(days=45))
        _top_up(account, 6_666, _midnight(29))  # the 30-day window's first moment
        _top_up(account, 7_777, NOW - timedelta(days=300))  # before the 90-day window
        _top_up(account, 8_888, NOW - timedelta(minutes=5))

        _series_match(account)
        month = coverage_history(account, days=30, now=NOW)
        assert [e.amount_minor for e in month.events if e.day == TODAY - timedelta(days=29)] == [
            200_030 + 6_666  # two top-ups that day, one rolled and one not
        ]

        services.entry_rollup_advance(account_id=account.pk, now=NOW)

        _series_match(account)
        assert services.entry_rollup_verify(account_id=account.pk) == []
        # The late entries' day got a second row instead of a changed one.
        rows = EntryDayRollup.objects.filter(
            account=account, day=TODAY - timedelta(days=29), kind="TOP_UP"
        )
        assert sorted(r.posted_minor + r.debt_minor for r in rows) == [6_666, 200_030]

    def test_reads_two_queries_of_the_ledger_whatever_its_length(
        self, ledger, django_assert_num_queries
    ):
        _, account = ledger
        services.entry_rollup_advance(account_id=account.pk, now=NOW)

        # The rolled days with their mark, the entries not rolled, holds, guarantees, history.
        with django_assert_num_queries(5):
            coverage_history(account, days=365, now=NOW)


def _statements(account) -> list[object]:  # type: ignore[no-untyped-def]
    """Every figure of a few statements: all time (two pages), a month, one kind, a day."""
    filters = [
        StatementFilter(),
        StatementFilter(date_from=TODAY - timedelta(days=40), date_to=TODAY),
        StatementFilter(date_from=TODAY - timedelta(days=365), kind="TOP_UP"),
        StatementFilter(date_from=TODAY - timedelta(days=10), date_to=TODAY - timedelta(days=10)),
    ]
    figures: list[object] = []
    for flt in filters:
        for number in (1, 2):
            page = statement_page(account, flt, page=number, per_page=4)
            figures.append((page.totals, [(row.pk, row.running_minor) for row in page.rows]))
        figures.append([(line.id, line.balance_minor) for line in statement_stream(account, flt)])
    return figures


@pytest.mark.django_db
class TestTheStatementFromDayTotals:
    def test_balances_are_those_of_every_entry_before_and_after_a_roll_and_a_late_entry(
        self, ledger
    ):
        _, account = ledger
        unrolled = _statements(account)

        services.entry_rollup_advance(account_id=account.pk, now=NOW)

        assert _statements(account) == unrolled
        _deduct(account, 5_555, _midnight(10) + timedelta(seconds=1))  # backdated, rolled day
        _top_up(account, 6_666, NOW - timedelta(days=200))
        with_late = _statements(account)
        assert with_late != unrolled
        EntryDayRollup.objects.filter(account=account).delete()
        EntryRollupMark.objects.filter(account=account).delete()
        assert _statements(account) == with_late


@pytest.mark.django_db
class TestRolling:
    def test_a_second_roll_writes_nothing_and_the_totals_match_the_entries(self, ledger):
        _, account = ledger

        first = services.entry_rollup_advance(account_id=account.pk, now=NOW)
        again = services.entry_rollup_advance(account_id=account.pk, now=NOW)

        assert first > 0 and again == 0
        assert services.entry_rollup_verify(account_id=account.pk) == []
        mark = EntryRollupMark.objects.get(account=account)
        assert mark.through_entry_id == account.entries.order_by("-id").first().pk

    def test_verify_names_a_day_whose_total_is_wrong_and_rebuild_mends_it(self, ledger):
        _, account = ledger
        services.entry_rollup_advance(account_id=account.pk, now=NOW)
        EntryDayRollup.objects.filter(account=account, kind="DEDUCTION").delete()

        problems = services.entry_rollup_verify(account_id=account.pk)

        assert problems and all("DEDUCTION" in p for p in problems)
        with pytest.raises(SystemExit):
            call_command("rollup_entries", "--verify", "--account", str(account.pk))
        call_command("rollup_entries", "--rebuild", "--account", str(account.pk))
        assert services.entry_rollup_verify(account_id=account.pk) == []
        _series_match(account)

    def test_the_nightly_scan_hands_out_only_accounts_with_new_entries(self, ledger):
        _, account = ledger
        _, other = make_shop(now=NOW - timedelta(days=3))
        _top_up(other, 10_000, NOW - timedelta(days=2))
        services.entry_rollup_advance(account_id=account.pk, now=NOW)
        chunks: list[list[int]] = []

        count = services.entry_rollups_due(dispatch=chunks.append)

        assert (count, chunks) == (1, [[other.pk]])
        assert tasks.roll_up_ledger_accounts(account_ids=[other.pk, account.pk]) > 0
        assert services.entry_rollups_due(dispatch=chunks.append) == 0


@pytest.mark.postgres(reason="two workers rolling one account at once, on row locks")
@pytest.mark.django_db(transaction=True)
def test_two_workers_rolling_one_account_at_once_roll_each_entry_once(ledger):
    _, account = ledger
    barrier = threading.Barrier(2)
    written: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            written.append(services.entry_rollup_advance(account_id=account.pk, now=NOW))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(written)[0] == 0 and sorted(written)[1] > 0
    assert services.entry_rollup_verify(account_id=account.pk) == []
    _series_match(account)

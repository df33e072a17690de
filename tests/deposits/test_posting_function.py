"""The posting executors and the optimistic way to them.

A plan is made from balances read without the lock; the executor must write it only if it still
holds under the lock, compute every balance itself, and say `stale` (writing nothing) otherwise.
The contract is one for both executors (deposits_post, deposits/sql/posting_v4.sql, on
PostgreSQL; posting_orm on SQLite), so these tests run on both unless marked `postgres`: the
function's own guard against a malformed call, the lock's SQL, and races need PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext

from common.errors import NotFound
from deposits import services
from deposits.models import Account, Entry, LedgerTransaction, SystemAccount
from deposits.selectors import deposit_summary
from deposits.services import posting, posting_sql
from deposits.services.posting_event import entry_event_data, entry_posted_event
from deposits.services.posting_plan import Leg, Outcome, Plan, PostingRequest, new_entries
from partners.models import Event, Partner
from shops import services as shop_services
from tests.deposits.test_ledger_concurrency import run_concurrently
from tests.factories import fund, make_shop, make_user

POSTED = Entry.Bucket.POSTED
DEBT = Entry.Bucket.DEBT


def deduction_plan(amount: int, *, depends_on: frozenset[str] | None) -> Plan:
    return Plan(
        legs=[
            Leg(-amount, bucket=POSTED),
            Leg(amount, system=SystemAccount.COMPENSATION_PAYABLE),
        ],
        depends_on=depends_on,
    )


def send(snapshot: Account, plan: Plan, key: str, now: Any) -> Outcome:
    """Send a plan made from `snapshot` straight to this database's executor, as run_operation
    would."""
    request = PostingRequest(
        account_id=snapshot.pk,
        kind="DEDUCTION",
        idempotency_key=key,
        params={},
        amount_minor=1,
        currency="CNY",
        reason="test",
        reference=key,
        now=now,
    )
    tx = request.transaction_row(snapshot, plan, "f" * 64)
    entries = new_entries(snapshot, tx, plan.nonzero_legs())
    return posting.executor().post(account=snapshot, tx=tx, plan=plan, entries=entries, now=now)


def snapshot_of(account: Account) -> Account:
    return posting._read_account(account.pk, lock=False)


@pytest.mark.django_db
class TestPostingFunction:
    def test_a_plan_made_from_balances_that_changed_is_sent_back_and_nothing_is_written(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        snapshot = snapshot_of(account)
        fund(account, 500, now=now)  # another posting lands after the snapshot
        before = LedgerTransaction.objects.count(), Entry.objects.count()

        outcome = send(snapshot, deduction_plan(100, depends_on=None), "k-stale", now)

        assert outcome.outcome == "stale"
        assert outcome.balances_dict()["posted_minor"] == 1_500
        assert (LedgerTransaction.objects.count(), Entry.objects.count()) == before
        account.refresh_from_db()
        assert account.posted_minor == 1_500

    def test_a_plan_that_depends_on_no_exact_balance_is_applied_to_the_balances_it_finds(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        snapshot = snapshot_of(account)
        fund(account, 500, now=now)

        outcome = send(snapshot, deduction_plan(100, depends_on=frozenset()), "k-fresh", now)

        assert outcome.outcome == "posted"
        # The balance after comes from the locked row (1,500), not from the snapshot (1,000).
        own = Entry.objects.get(transaction_id=outcome.transaction_id, account=account)
        assert own.balance_after_minor == 1_400
        account.refresh_from_db()
        assert account.posted_minor == 1_400
        assert services.ledger_check_run(record=False).ok

    def test_a_plan_that_would_overdraw_is_sent_back_even_when_it_checks_no_exact_balance(
        self, now
    ):
        _, account = make_shop(now=now)
        fund(account, 100, now=now)
        snapshot = snapshot_of(account)
        services.deposit_deduct(
            account_id=account.pk,
            amount_minor=50,
            currency="CNY",
            reason="late",
            reference="O-1",
            idempotency_key="first",
            now=now,
        )

        outcome = send(snapshot, deduction_plan(80, depends_on=frozenset()), "k-over", now)

        assert outcome.outcome == "stale"
        assert not LedgerTransaction.objects.filter(idempotency_key="k-over").exists()
        account.refresh_from_db()
        assert account.posted_minor == 50

    def test_a_key_already_used_is_answered_as_a_replay_before_any_check(self, now):
        _, account = make_shop(now=now)
        fund(account, 100, now=now)
        first = services.deposit_deduct(
            account_id=account.pk,
            amount_minor=10,
            currency="CNY",
            reason="late",
            reference="O-1",
            idempotency_key="same",
            now=now,
        )

        outcome = send(snapshot_of(account), deduction_plan(10, depends_on=None), "same", now)

        assert (outcome.outcome, outcome.transaction_id) == ("replay", first.transaction.pk)

    def test_the_event_has_the_one_shape_posting_event_defines(self, now):
        """The SQL function completes the template on PostgreSQL, the ORM executor builds the
        whole event on SQLite: either way the partner reads one shape, with what was written."""
        partner = Partner.objects.create(name="Marketplace")
        _, account = make_shop(now=now, partner_id=partner.pk)
        fund(account, 60, now=now)

        result = services.deposit_deduct(
            account_id=account.pk,
            amount_minor=100,
            currency="CNY",
            reason="late",
            reference="O-7",
            idempotency_key="into-debt",
            allow_debt=True,
            now=now,
        )

        event = Event.objects.filter(type="deposit.entry_posted").latest("id")
        tx = result.transaction
        stored = list(Entry.objects.filter(transaction=tx, account=account).order_by("id"))
        stored.sort(key=lambda e: (e.bucket != POSTED, e.pk))
        account.refresh_from_db()
        expected_entries = [entry_event_data(e, tx) for e in stored]
        assert [e["bucket"] for e in expected_entries] == ["POSTED", "DEBT"]
        assert event.data == {
            "shop": str(account.shop.public_id),
            "external_ref": account.shop.external_ref,
            "status": account.shop.status,
            "transaction_id": str(tx.public_id),
            "kind": "DEDUCTION",
            "entry": expected_entries[0],
            "entries": expected_entries,
            "deposit": deposit_summary(account).as_dict(),
        }

    def test_the_template_for_the_sql_function_leaves_null_only_what_the_lock_knows(self, now):
        partner = Partner.objects.create(name="Marketplace")
        _, account = make_shop(now=now, partner_id=partner.pk)
        fund(account, 60, now=now)
        snapshot = snapshot_of(account)
        plan = deduction_plan(10, depends_on=frozenset())
        request = PostingRequest(
            account_id=account.pk,
            kind="DEDUCTION",
            idempotency_key="template",
            params={},
            amount_minor=10,
            currency="CNY",
            reason="late",
            reference="O-9",
            now=now,
        )
        tx = request.transaction_row(snapshot, plan, "f" * 64)

        event = entry_posted_event(
            snapshot, tx, new_entries(snapshot, tx, plan.nonzero_legs()), written=None
        )

        assert event is not None and event.legs == [0]  # the deposit's leg; not the system's
        data = event.data
        assert (data["status"], data["entry"]) == (None, None)
        assert set(data["deposit"]) == set(deposit_summary(snapshot).as_dict())
        assert set(data["deposit"].values()) == {None}
        [entry] = data["entries"]
        assert (entry["id"], entry["balance_after_minor"]) == (None, None)
        assert (entry["amount_minor"], entry["reference"]) == (-10, "O-9")

    @pytest.mark.postgres(reason="the SQL functions (deposits_post's own guards)")
    def test_a_template_naming_a_deposit_value_the_function_does_not_compute_is_refused(
        self, now, monkeypatch
    ):
        """A value only Python knows would reach partners as null; the function refuses."""
        partner = Partner.objects.create(name="Marketplace")
        _, account = make_shop(now=now, partner_id=partner.pk)
        fund(account, 60, now=now)
        events_before = Event.objects.count()

        def with_an_unknown_value(*args: Any, **kwargs: Any) -> Any:
            event = entry_posted_event(*args, **kwargs)
            event.data["deposit"]["insured_minor"] = None
            return event

        monkeypatch.setattr(posting_sql, "entry_posted_event", with_an_unknown_value)
        with (
            pytest.raises(DataError, match="names a value not computed here"),
            transaction.atomic(),
        ):
            services.deposit_deduct(
                account_id=account.pk,
                amount_minor=10,
                currency="CNY",
                reason="late",
                reference="O-1",
                idempotency_key="unknown-value",
                now=now,
            )

        assert not LedgerTransaction.objects.filter(idempotency_key="unknown-value").exists()
        assert Event.objects.count() == events_before
        account.refresh_from_db()
        assert account.posted_minor == 60

    def test_the_event_reports_the_shops_status_at_the_posting_not_at_the_snapshot(self, now):
        partner = Partner.objects.create(name="Marketplace")
        shop, account = make_shop(now=now, partner_id=partner.pk)
        fund(account, 50_000_00, now=now)
        snapshot = snapshot_of(account)  # read while the shop is live, as the API reads it
        shop_services.shop_freeze(
            shop=shop, reason="Counterfeit investigation", actor=make_user("ops"), now=now
        )

        services.deposit_deduct(
            account_id=account.pk,
            amount_minor=100,
            currency="CNY",
            reason="late",
            reference="O-1",
            idempotency_key="after-freeze",
            now=now,
            snapshot=snapshot,
        )

        assert snapshot.shop_ref.status == "ACTIVE"
        event = Event.objects.filter(type="deposit.entry_posted").latest("id")
        assert event.data["status"] == "FROZEN"

    def test_a_system_account_is_not_a_deposit_to_post_to(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        system = Account.objects.get(kind="SYSTEM", system_code="PENALTIES", currency="CNY")

        with pytest.raises(NotFound):
            services.deposit_deduct(
                account_id=system.pk,
                amount_minor=1,
                currency="CNY",
                reason="late",
                reference="O-1",
                idempotency_key="system",
                now=now,
            )
        disguised = snapshot_of(account)  # the deposit's snapshot, pointed at the system row
        disguised.pk = disguised.id = system.pk
        outcome = send(disguised, deduction_plan(1, depends_on=frozenset()), "s", now)

        assert outcome.outcome == "missing_account"
        assert not LedgerTransaction.objects.filter(account=system).exists()

    @pytest.mark.postgres(reason="the SQL functions (deposits_post's own guards)")
    def test_a_malformed_plan_fails_loudly_and_writes_nothing(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        before = LedgerTransaction.objects.count()

        with pytest.raises(DataError, match="malformed plan"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    posting_sql._POST_SQL,
                    [account.pk, [0, 0, 0, 0, 0], [False] * 4, 0]  # four check flags of five
                    + [uuid.uuid4(), "bad", "f", "DEDUCTION", "POSTED", "", 1, "CNY", "r", "r"]
                    + [None, None, None, None, now, now]
                    + [["POSTED", "POSTED"], [None, "PENALTIES"], [-1, 1]]
                    + [None, None, None, [], now],
                )

        assert LedgerTransaction.objects.count() == before

    @pytest.mark.postgres(reason="the SQL function's own guard")
    def test_a_plan_in_another_currency_than_the_account_fails_even_when_it_checks_nothing(
        self, now
    ):
        # A plan that checks no balance goes straight to the lock (posting_v4.sql), so the
        # currency is checked there; a plan that checks one meets it before the lock.
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        before = LedgerTransaction.objects.count()

        for checked in ([False] * 5, [True] + [False] * 4):
            with pytest.raises(DataError, match="is in CNY, the plan in USD"):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        posting_sql._POST_SQL,
                        [account.pk, [1_000, 0, 0, 0, 0], checked, 0]
                        + [uuid.uuid4(), f"usd-{checked[0]}", "f", "DEDUCTION", "POSTED", ""]
                        + [1, "USD", "r", "r", None, None, None, None, now, now]
                        # Both legs on the deposit: a system leg would stop at the missing USD
                        # system account before the account is read.
                        + [["POSTED", "POSTED"], [None, None], [-1, 1]]
                        + [None, None, None, [], now],
                    )

        assert LedgerTransaction.objects.count() == before
        account.refresh_from_db()
        assert account.posted_minor == 1_000

    def test_the_result_returns_what_was_written(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)

        result = services.deposit_deduct(
            account_id=account.pk,
            amount_minor=300,
            currency="CNY",
            reason="late",
            reference="O-1",
            idempotency_key="d-1",
            now=now,
        )

        stored = {
            (e.pk, e.account_id, e.bucket, e.amount_minor, e.balance_after_minor)
            for e in Entry.objects.filter(transaction=result.transaction)
        }
        returned = {
            (e.pk, e.account_id, e.bucket, e.amount_minor, e.balance_after_minor)
            for e in result.transaction.entries.all()
        }
        assert returned == stored
        assert result.account.posted_minor == 700
        assert result.entry.balance_after_minor == 700

    @pytest.mark.postgres(reason="row locks (SELECT ... FOR NO KEY UPDATE)")
    def test_a_deduction_plans_without_the_lock_and_falls_back_to_it_when_overtaken(
        self, now, monkeypatch
    ):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)

        def deduct(key: str) -> list[str]:
            with CaptureQueriesContext(connection) as queries:
                services.deposit_deduct(
                    account_id=account.pk,
                    amount_minor=1,
                    currency="CNY",
                    reason="late",
                    reference=key,
                    idempotency_key=key,
                    now=now,
                )
            return [q["sql"] for q in queries]

        optimistic = deduct("opt")
        monkeypatch.setattr(posting, "OPTIMISTIC_ATTEMPTS", 0)  # as if every try was overtaken
        locked = deduct("locked")

        assert not any("FOR NO KEY UPDATE" in sql for sql in optimistic)
        assert any("FOR NO KEY UPDATE OF a" in sql for sql in locked)
        account.refresh_from_db()
        assert account.posted_minor == 998
        assert services.ledger_check_run(record=False).ok


@pytest.mark.postgres(reason="row locks under concurrent threads")
@pytest.mark.django_db(transaction=True)
class TestOptimisticPostingsRace:
    def test_top_ups_paying_off_a_debt_race_deductions_into_debt_and_every_fen_is_counted(
        self, now
    ):
        """A top-up's split between debt and deposit depends on the exact debt, so concurrent
        postings send it back to plan again; the books must come out exact either way."""
        _, account = make_shop(now=now)
        fund(account, 500, now=now)
        services.deposit_deduct(
            account_id=account.pk,
            amount_minor=2_500,
            currency="CNY",
            reason="late",
            reference="O-0",
            idempotency_key="into-debt",
            allow_debt=True,
            now=now,
        )  # posted 0, debt 2,000

        def top_up(i: int) -> Any:
            return lambda: services.deposit_top_up(
                account_id=account.pk,
                amount_minor=300,
                currency="CNY",
                payment_ref=f"RACE-PAY-{i}",
                idempotency_key=f"top-{i}",
                now=now,
            )

        def deduct(i: int) -> Any:
            return lambda: services.deposit_deduct(
                account_id=account.pk,
                amount_minor=170,
                currency="CNY",
                reason="late",
                reference=f"O-{i}",
                idempotency_key=f"ded-{i}",
                allow_debt=True,
                now=now,
            )

        results = run_concurrently([top_up(i) for i in range(20)] + [deduct(i) for i in range(20)])

        assert Counter(type(r).__name__ for r in results) == {"PostingResult": 40}, results
        account.refresh_from_db()
        # Whatever the order: what the merchant has minus what they owe moved by exactly the
        # top-ups minus the deductions.
        assert account.posted_minor - account.debt_minor == -2_000 + 20 * 300 - 20 * 170
        # A top-up pays the debt first and a deduction takes the deposit first: with no hold,
        # a debt is only ever owed while nothing is posted.
        assert account.debt_minor == 0 or account.posted_minor == 0
        assert services.ledger_check_run(record=False).ok

"""The database itself refuses to corrupt the ledger: triggers and constraints on PostgreSQL."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError

from deposits import services
from deposits.models import Account, Entry, LedgerTransaction
from tests.factories import fund, make_shop

pytestmark = pytest.mark.django_db
TRIGGERS = pytest.mark.postgres(reason="the ledger's triggers (append-only, zero-sum at commit)")


@pytest.fixture
def posted(now):
    _, account = make_shop(now=now)
    fund(account, 1_000, now=now)
    entry = Entry.objects.filter(account=account).get()
    return account, entry


def refused(fn) -> bool:
    """Run fn in a savepoint and report whether the database refused it."""
    try:
        with transaction.atomic():
            fn()
    except DatabaseError:
        return True
    return False


@TRIGGERS
class TestEntriesAreAppendOnly:
    def test_the_orm_cannot_update_an_entry(self, posted):
        _, entry = posted
        entry.amount_minor = 999_999

        assert refused(entry.save)
        assert refused(lambda: Entry.objects.filter(pk=entry.pk).update(amount_minor=1))

    def test_the_orm_cannot_delete_an_entry(self, posted):
        _, entry = posted

        assert refused(lambda: Entry.objects.filter(pk=entry.pk).delete())
        assert Entry.objects.filter(pk=entry.pk).exists()

    def test_raw_sql_cannot_update_or_delete_entries(self, posted):
        def raw(sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

        assert refused(lambda: raw("UPDATE deposits_entry SET amount_minor = amount_minor + 1"))
        assert refused(lambda: raw("DELETE FROM deposits_entry"))
        assert Entry.objects.count() == 2

    def test_transactions_cannot_be_rewritten_either(self, posted):
        account, _ = posted
        tx = LedgerTransaction.objects.filter(account=account).get()

        assert refused(lambda: LedgerTransaction.objects.filter(pk=tx.pk).update(reason="edited"))
        assert refused(lambda: LedgerTransaction.objects.filter(pk=tx.pk).delete())


@TRIGGERS
class TestDoubleEntryIsEnforcedAtCommit:
    def insert_entries(self, tx: LedgerTransaction, account: Account, amounts: list[int]) -> None:
        for amount in amounts:
            Entry.objects.create(
                transaction=tx,
                account=account,
                bucket="POSTED",
                amount_minor=amount,
                currency="CNY",
                kind="ADJUSTMENT",
                occurred_at=tx.occurred_at,
                recorded_at=tx.recorded_at,
            )

    def new_transaction(self, account: Account, key: str, now) -> LedgerTransaction:
        return LedgerTransaction.objects.create(
            idempotency_key=key,
            fingerprint="x",
            kind="ADJUSTMENT",
            status="POSTED",
            account=account,
            amount_minor=5,
            currency="CNY",
            occurred_at=now,
            recorded_at=now,
        )

    def test_entries_that_do_not_sum_to_zero_are_refused(self, posted, now):
        account, _ = posted

        def unbalanced() -> None:
            tx = self.new_transaction(account, "unbalanced", now)
            self.insert_entries(tx, account, [5, -4])
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # what COMMIT would do

        with pytest.raises((IntegrityError, InternalError), match="does not balance"):
            with transaction.atomic():
                unbalanced()

    def test_a_single_entry_is_not_a_posting(self, posted, now):
        account, _ = posted

        def lonely() -> None:
            tx = self.new_transaction(account, "lonely", now)
            self.insert_entries(tx, account, [5])
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        with pytest.raises((IntegrityError, InternalError), match="at least two"):
            with transaction.atomic():
                lonely()


class TestBalanceConstraints:
    def test_available_cannot_go_negative_even_by_a_direct_update(self, posted):
        account, _ = posted

        assert refused(lambda: Account.objects.filter(pk=account.pk).update(held_minor=1_001))
        assert refused(lambda: Account.objects.filter(pk=account.pk).update(debt_minor=-1))


class TestLedgerCheckCommand:
    def test_passes_on_a_clean_ledger_with_the_summary_last(self, posted):
        out = StringIO()

        call_command("ledger_check", stdout=out)

        assert out.getvalue().strip().splitlines()[-1].startswith("ledger_check OK")

    def test_fails_when_a_cached_balance_disagrees_with_the_entries(self, posted):
        account, _ = posted
        Account.objects.filter(pk=account.pk).update(posted_minor=1_500)  # corruption
        out = StringIO()

        with pytest.raises(SystemExit) as exit_info:
            call_command("ledger_check", stdout=out)

        assert exit_info.value.code == 1
        lines = out.getvalue().strip().splitlines()
        assert lines[-1].startswith("ledger_check FAILED")
        assert any("cached_posted_equals_entries" in line for line in lines)

    def test_fails_when_the_cached_guarantees_disagree_with_the_guarantees_in_force(
        self, posted, now
    ):
        account, _ = posted
        services.guarantee_register(
            account_id=account.pk,
            amount_minor=5_000,
            currency="CNY",
            valid_from=now,
            source_kind="INSURANCE_POLICY",
            source_ref="insurance_policy:check-1",
            now=now,
        )
        assert services.ledger_check_run(record=False).ok
        Account.objects.filter(pk=account.pk).update(guaranteed_minor=4_000)  # corruption

        result = services.ledger_check_run(record=False)

        assert not result.ok
        assert [p["check"] for p in result.problems] == [
            "cached_guaranteed_equals_guarantees_in_coverage"
        ]

"""deposits.services.deposit_award_reverse: an award given back by a new REVERSAL posting from
compensation payable, cancelling at most the debt the award created."""

from __future__ import annotations

import pytest

from common.errors import IdempotencyKeyReused, InvalidInput
from deposits import services
from deposits.models import Entry, LedgerTransaction, SystemAccount, TransactionKind
from tests.factories import fund, make_shop

pytestmark = pytest.mark.django_db


def reverse(account, amount, *, now, debt_cancel=0, key="claim:c1:reverse"):
    return services.deposit_award_reverse(
        account_id=account.pk,
        amount_minor=amount,
        currency="CNY",
        reason="claim C-1: appeal upheld",
        reference="claim:c1",
        idempotency_key=key,
        debt_cancel_minor=debt_cancel,
        now=now,
    )


def award(account, amount, *, now):
    return services.deposit_deduct(
        account_id=account.pk,
        amount_minor=amount,
        currency="CNY",
        reason="Claim C-1",
        reference="claim:c1",
        idempotency_key="claim:c1:deduct",
        now=now,
        allow_debt=True,
    )


def balances(account):
    account.refresh_from_db()
    return account.posted_minor, account.held_minor, account.debt_minor


def payable() -> int:
    return services.system_account_balance(
        code=SystemAccount.COMPENSATION_PAYABLE, currency="CNY", reference="claim:c1"
    )


class TestAwardReverse:
    def test_the_cash_an_award_took_comes_back_by_a_new_posting(self, now):
        _, account = make_shop(now=now)
        fund(account, 10_000, now=now)
        deduction = award(account, 4_000, now=now)

        result = reverse(account, 4_000, now=now)

        assert balances(account) == (10_000, 0, 0)
        assert result.transaction.kind == TransactionKind.REVERSAL
        assert result.transaction.reason == "撤销: claim C-1: appeal upheld"
        assert result.transaction.reference == "claim:c1"
        assert LedgerTransaction.objects.get(pk=deduction.transaction.pk).kind == "DEDUCTION"
        assert payable() == 0
        assert services.ledger_check_run().ok

    def test_the_debt_the_award_created_is_cancelled_not_paid_as_cash(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        award(account, 4_000, now=now)
        assert balances(account) == (0, 0, 3_000)

        result = reverse(account, 4_000, debt_cancel=3_000, now=now)

        assert balances(account) == (1_000, 0, 0)
        buckets = {
            e.bucket: e.amount_minor
            for e in result.transaction.entries.all()
            if e.account_id == account.pk
        }
        assert buckets == {Entry.Bucket.DEBT: 3_000, Entry.Bucket.POSTED: 1_000}
        assert services.ledger_check_run().ok

    def test_debt_a_top_up_has_paid_since_comes_back_as_cash(self, now):
        _, account = make_shop(now=now)
        fund(account, 1_000, now=now)
        award(account, 4_000, now=now)
        fund(account, 2_000, now=now)  # pays 2,000 of the 3,000 debt
        assert balances(account) == (0, 0, 1_000)

        reverse(account, 4_000, debt_cancel=3_000, now=now)

        assert balances(account) == (3_000, 0, 0)
        assert services.ledger_check_run().ok

    def test_a_replay_returns_the_first_posting_and_other_terms_are_refused(self, now):
        _, account = make_shop(now=now)
        fund(account, 10_000, now=now)
        award(account, 4_000, now=now)
        first = reverse(account, 4_000, now=now)

        again = reverse(account, 4_000, now=now)
        with pytest.raises(IdempotencyKeyReused):
            reverse(account, 3_000, now=now)

        assert again.replayed and again.transaction.pk == first.transaction.pk
        assert balances(account) == (10_000, 0, 0)

    def test_more_debt_to_cancel_than_is_given_back_names_the_field(self, now):
        _, account = make_shop(now=now)

        with pytest.raises(InvalidInput) as caught:
            reverse(account, 1_000, debt_cancel=2_000, now=now)

        assert "debt_cancel_minor" in caught.value.fields

    def test_a_closed_shop_still_gets_its_award_back(self, now):
        shop, account = make_shop(now=now)
        fund(account, 5_000_000, now=now)
        award(account, 4_000, now=now)
        fund(account, 4_000, now=now)
        services.shop_exit_confirm(shop=shop, now=now)

        reverse(account, 4_000, now=now)

        assert balances(account)[0] == 5_004_000
        assert services.ledger_check_run().ok

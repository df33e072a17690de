"""Money between system accounts (insurance premiums, refunds, advances): the same ledger as the
deposits, so zero-sum, idempotency and payment references hold for it too."""

from __future__ import annotations

import pytest

from common.errors import DuplicateReference, IdempotencyKeyReused, InvalidInput
from deposits import services
from deposits.models import Entry, LedgerTransaction, SystemAccount, TransactionKind

pytestmark = pytest.mark.django_db

CLEARING = SystemAccount.PAYMENTS_CLEARING
PREMIUMS = SystemAccount.INSURANCE_PREMIUMS


def pay_premium(now, *, key="premium-1", amount=150_000, payment_ref="pay-9001"):
    return services.system_transfer(
        source=CLEARING,
        destination=PREMIUMS,
        amount_minor=amount,
        currency="CNY",
        kind=TransactionKind.PREMIUM,
        reason="保费",
        reference="policy:PB-1",
        idempotency_key=key,
        payment_ref=payment_ref,
        now=now,
    )


class TestSystemTransfer:
    def test_moves_money_from_one_system_account_to_another_and_balances(self, now):
        tx, replayed = pay_premium(now)

        assert not replayed
        assert sorted(e.amount_minor for e in tx.entries.all()) == [-150_000, 150_000]
        assert services.system_account_balance(code=PREMIUMS, currency="CNY") == 150_000
        assert (
            services.system_account_balance(code=PREMIUMS, currency="CNY", reference="policy:PB-1")
            == 150_000
        )
        assert services.ledger_check_run(now=now).ok

    def test_a_replay_returns_the_first_transaction_and_writes_nothing(self, now):
        first, _ = pay_premium(now)

        again, replayed = pay_premium(now)

        assert replayed and again.pk == first.pk
        assert Entry.objects.count() == 2

    def test_the_same_key_with_another_amount_is_refused(self, now):
        pay_premium(now)

        with pytest.raises(IdempotencyKeyReused):
            pay_premium(now, amount=1)

    def test_a_payment_reference_credits_once(self, now):
        pay_premium(now)

        with pytest.raises(DuplicateReference) as error:
            pay_premium(now, key="premium-2")

        assert "payment_ref" in error.value.fields
        assert LedgerTransaction.objects.count() == 1

    def test_bad_input_names_the_field_and_writes_nothing(self, now):
        with pytest.raises(InvalidInput) as same:
            services.system_transfer(
                source=PREMIUMS,
                destination=PREMIUMS,
                amount_minor=1,
                currency="CNY",
                kind=TransactionKind.PREMIUM,
                reason="",
                reference="",
                idempotency_key="k",
                now=now,
            )
        with pytest.raises(InvalidInput) as not_a_transfer:
            services.system_transfer(
                source=CLEARING,
                destination=PREMIUMS,
                amount_minor=1,
                currency="CNY",
                kind=TransactionKind.DEDUCTION,
                reason="",
                reference="",
                idempotency_key="k",
                now=now,
            )

        assert "destination" in same.value.fields and "kind" in not_a_transfer.value.fields
        assert not LedgerTransaction.objects.exists()

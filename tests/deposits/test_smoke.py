import pytest

from deposits import services
from tests.factories import fund, make_shop


@pytest.mark.django_db
class TestTopUpThenDeduct:
    def test_balances_and_ledger_agree(self, now):
        shop, account = make_shop(now=now)
        fund(account, 5_000_000, now=now)

        services.deposit_deduct(
            account_id=account.pk,
            amount_minor=15_000,
            currency="CNY",
            reason="late shipment",
            reference="O-1",
            idempotency_key="d-1",
            now=now,
        )

        account.refresh_from_db()
        assert (account.posted_minor, account.held_minor, account.debt_minor) == (4_985_000, 0, 0)
        assert services.ledger_check_run(record=False).ok

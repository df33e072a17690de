"""Guarantees: what stands in for cash (an insurance policy today) and how coverage follows them.

Persona: a live flagship shop (requirement 50,000.00) with 40,000.00 in cash and a 10,000.00
performance-insurance policy that insurance registers through the deposits service.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.errors import CurrencyMismatch, DuplicateReference, InvalidInput, NotFound
from deposits import services
from deposits.models import Account, Guarantee, ShortfallCase
from partners.models import Event
from tests.factories import fund, make_shop

YUAN = 100
POLICY = Guarantee.SourceKind.INSURANCE_POLICY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False


@pytest.fixture
def insured(now) -> Account:
    """Live with cash covering the requirement, then a policy registered, then 10,000 of cash
    withdrawn: the shop is fully covered only thanks to the guarantee."""
    shop, account = make_shop(now=now - timedelta(days=10))
    fund(account, 50_000 * YUAN, now=now - timedelta(days=10))
    register(account, now=now - timedelta(days=9), ref="insurance_policy:1")
    services.deposit_withdraw(
        account_id=account.pk,
        amount_minor=10_000 * YUAN,
        currency="CNY",
        idempotency_key="w-1",
        now=now - timedelta(days=9),
    )
    account.refresh_from_db()
    assert (account.available_minor, account.guaranteed_minor) == (40_000 * YUAN, 10_000 * YUAN)
    assert account.shortfall_minor == 0
    return account


def register(account: Account, *, now, ref: str, amount: int = 10_000 * YUAN, **kwargs):
    values = {
        "valid_from": now - timedelta(days=1),
        "valid_to": now + timedelta(days=365),
    }
    values.update(kwargs)
    return services.guarantee_register(
        account_id=account.pk,
        amount_minor=amount,
        currency=account.currency,
        source_kind=POLICY,
        source_ref=ref,
        now=now,
        **values,
    )


class TestGuaranteeRegister:
    def test_a_guarantee_in_force_counts_towards_coverage(self, now):
        shop, account = make_shop(now=now)

        guarantee = register(account, now=now, ref="insurance_policy:7")

        account.refresh_from_db()
        assert account.guaranteed_minor == 10_000 * YUAN
        assert guarantee.status == "ACTIVE" and guarantee.in_coverage

    def test_a_replay_with_the_same_terms_returns_the_first_registration(self, now):
        shop, account = make_shop(now=now)
        first = register(account, now=now, ref="insurance_policy:7")

        again = register(account, now=now, ref="insurance_policy:7")

        assert again.pk == first.pk
        account.refresh_from_db()
        assert account.guaranteed_minor == 10_000 * YUAN

    def test_the_same_source_with_other_terms_is_refused(self, now):
        shop, account = make_shop(now=now)
        register(account, now=now, ref="insurance_policy:7")

        with pytest.raises(DuplicateReference) as refused:
            register(account, now=now, ref="insurance_policy:7", amount=20_000 * YUAN)

        assert refused.value.fields == {"source_ref": ["Already registered with other terms."]}

    def test_another_currency_is_refused_naming_the_field(self, now):
        shop, account = make_shop(now=now)

        with pytest.raises(CurrencyMismatch) as refused:
            services.guarantee_register(
                account_id=account.pk,
                amount_minor=100,
                currency="USD",
                valid_from=now,
                source_kind=POLICY,
                source_ref="insurance_policy:8",
                now=now,
            )

        assert "currency" in refused.value.fields

    @pytest.mark.parametrize(
        "kwargs, field",
        [
            ({"amount_minor": 0}, "amount_minor"),
            ({"source_ref": " "}, "source_ref"),
            ({"source_kind": "CASH"}, "source_kind"),
            ({"valid_to_offset": timedelta(0)}, "valid_to"),
        ],
    )
    def test_bad_input_names_the_field(self, now, kwargs, field):
        shop, account = make_shop(now=now)
        values = {
            "account_id": account.pk,
            "amount_minor": 100,
            "currency": "CNY",
            "valid_from": now,
            "valid_to": now + timedelta(days=1),
            "source_kind": POLICY,
            "source_ref": "insurance_policy:9",
            "now": now,
        }
        offset = kwargs.pop("valid_to_offset", None)
        if offset is not None:
            values["valid_to"] = now + offset
        values.update(kwargs)

        with pytest.raises(InvalidInput) as refused:
            services.guarantee_register(**values)

        assert field in refused.value.fields

    def test_a_guarantee_starting_later_counts_from_its_start(self, now):
        shop, account = make_shop(now=now)
        register(account, now=now, ref="insurance_policy:10", valid_from=now + timedelta(days=2))
        account.refresh_from_db()
        assert account.guaranteed_minor == 0

        assert services.guarantees_expire_due(now=now + timedelta(days=1)) == 0
        assert services.guarantees_expire_due(now=now + timedelta(days=2)) == 1

        account.refresh_from_db()
        assert account.guaranteed_minor == 10_000 * YUAN
        assert services.guarantees_expire_due(now=now + timedelta(days=3)) == 0


class TestGuaranteeEnds:
    def test_withdrawal_drops_coverage_and_opens_a_shortfall_case(self, now, insured):
        guarantee = Guarantee.objects.get(source_ref="insurance_policy:1")

        services.guarantee_withdraw(guarantee_id=guarantee.pk, reason="退保", now=now)

        insured.refresh_from_db()
        guarantee.refresh_from_db()
        assert insured.guaranteed_minor == 0 and insured.shortfall_minor == 10_000 * YUAN
        assert (guarantee.status, guarantee.ended_at, guarantee.in_coverage) == (
            "WITHDRAWN",
            now,
            False,
        )
        case = ShortfallCase.objects.get(account=insured)
        assert case.amount_at_open_minor == 10_000 * YUAN and case.step == 1
        assert Event.objects.filter(type="deposit.shortfall_opened").count() == 1

    def test_withdrawing_twice_changes_nothing_the_second_time(self, now, insured):
        services.guarantee_withdraw(source_ref="insurance_policy:1", reason="退保", now=now)

        again = services.guarantee_withdraw(
            source_ref="insurance_policy:1", reason="退保", now=now + timedelta(hours=1)
        )

        assert again.ended_at == now
        assert ShortfallCase.objects.filter(account=insured).count() == 1

    def test_withdrawing_an_unknown_guarantee_is_not_found(self, now):
        with pytest.raises(NotFound):
            services.guarantee_withdraw(source_ref="insurance_policy:404", reason="x", now=now)

    def test_expiry_without_renewal_turns_into_a_shortfall(self, now, insured):
        guarantee = Guarantee.objects.get(source_ref="insurance_policy:1")
        expiry = guarantee.valid_to

        assert services.guarantees_expire_due(now=expiry - timedelta(seconds=1)) == 0
        assert services.guarantees_expire_due(now=expiry) == 1

        guarantee.refresh_from_db()
        insured.refresh_from_db()
        assert guarantee.status == "EXPIRED" and insured.guaranteed_minor == 0
        assert ShortfallCase.objects.get(account=insured).opened_at == expiry

    def test_a_renewal_that_starts_when_the_old_policy_ends_keeps_the_shop_covered(
        self, now, insured
    ):
        old = Guarantee.objects.get(source_ref="insurance_policy:1")
        register(
            insured,
            now=now,
            ref="insurance_policy:2",
            valid_from=old.valid_to,
            valid_to=old.valid_to + timedelta(days=365),
        )

        services.guarantees_expire_due(now=old.valid_to)

        insured.refresh_from_db()
        assert insured.guaranteed_minor == 10_000 * YUAN
        assert not ShortfallCase.objects.filter(account=insured).exists()

    def test_the_cached_amount_always_equals_the_guarantees_in_coverage(self, now, insured):
        register(insured, now=now, ref="bank:1", amount=5_000 * YUAN)
        services.guarantee_withdraw(source_ref="insurance_policy:1", reason="x", now=now)
        register(insured, now=now, ref="bank:2", amount=1_000 * YUAN, valid_from=now + timedelta(1))

        insured.refresh_from_db()
        counted = sum(
            Guarantee.objects.filter(account=insured, in_coverage=True).values_list(
                "amount_minor", flat=True
            )
        )
        assert insured.guaranteed_minor == counted == 5_000 * YUAN

"""Guarantees: what stands in for cash (an insurance policy today) and how coverage follows them.

Persona: a live flagship shop (requirement 50,000.00) with 40,000.00 in cash and a 10,000.00
performance-insurance policy that insurance registers through the deposits service.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from common.errors import (
    CurrencyMismatch,
    DuplicateReference,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from deposits import services
from deposits.models import Account, Guarantee, ShortfallCase
from partners.models import Event
from shops.models import Notification
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
    def test_withdrawal_drops_coverage_and_opens_a_shortfall_case_once_committed(
        self, now, insured, django_capture_on_commit_callbacks
    ):
        guarantee = Guarantee.objects.get(source_ref="insurance_policy:1")

        with django_capture_on_commit_callbacks(execute=True):
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

    def test_withdrawing_twice_changes_nothing_the_second_time(
        self, now, insured, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.guarantee_withdraw(source_ref="insurance_policy:1", reason="退保", now=now)

        with django_capture_on_commit_callbacks(execute=True):
            again = services.guarantee_withdraw(
                source_ref="insurance_policy:1", reason="退保", now=now + timedelta(hours=1)
            )

        assert again.ended_at == now
        assert ShortfallCase.objects.filter(account=insured).count() == 1

    def test_withdrawing_an_unknown_guarantee_is_not_found(self, now):
        with pytest.raises(NotFound):
            services.guarantee_withdraw(source_ref="insurance_policy:404", reason="x", now=now)

    def test_expiry_without_renewal_turns_into_a_shortfall(
        self, now, insured, django_capture_on_commit_callbacks
    ):
        guarantee = Guarantee.objects.get(source_ref="insurance_policy:1")
        expiry = guarantee.valid_to

        with django_capture_on_commit_callbacks(execute=True):
            assert services.guarantees_expire_due(now=expiry - timedelta(seconds=1)) == 0
            assert services.guarantees_expire_due(now=expiry) == 1

        guarantee.refresh_from_db()
        insured.refresh_from_db()
        assert guarantee.status == "EXPIRED" and insured.guaranteed_minor == 0
        assert ShortfallCase.objects.get(account=insured).opened_at == expiry

    def test_a_renewal_that_starts_when_the_old_policy_ends_keeps_the_shop_covered(
        self, now, insured, django_capture_on_commit_callbacks
    ):
        old = Guarantee.objects.get(source_ref="insurance_policy:1")
        register(
            insured,
            now=now,
            ref="insurance_policy:2",
            valid_from=old.valid_to,
            valid_to=old.valid_to + timedelta(days=365),
        )

        with django_capture_on_commit_callbacks(execute=True):
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


class TestGuaranteeSetAmount:
    """Insurance shrinks the cover as it advances compensation and restores it as the merchant
    repays the advance."""

    def test_shrinking_the_cover_drops_coverage_and_opens_a_shortfall_case(
        self, now, insured, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            guarantee = services.guarantee_set_amount(
                source_ref="insurance_policy:1",
                amount_minor=7_000 * YUAN,
                reason="advance A-1 paid to a consumer",
                now=now,
            )

        insured.refresh_from_db()
        assert guarantee.amount_minor == 7_000 * YUAN and guarantee.status == "ACTIVE"
        assert insured.guaranteed_minor == 7_000 * YUAN
        assert insured.shortfall_minor == 3_000 * YUAN
        case = ShortfallCase.objects.get(account=insured, status="OPEN")
        assert case.amount_at_open_minor == 3_000 * YUAN
        assert services.ledger_check_run(record=False).ok

    def test_restoring_the_cover_resolves_the_case(
        self, now, insured, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.guarantee_set_amount(
                source_ref="insurance_policy:1", amount_minor=7_000 * YUAN, reason="A-1", now=now
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.guarantee_set_amount(
                source_ref="insurance_policy:1",
                amount_minor=10_000 * YUAN,
                reason="A-1 repaid by the merchant",
                now=now + timedelta(hours=1),
            )

        insured.refresh_from_db()
        assert (insured.guaranteed_minor, insured.shortfall_minor) == (10_000 * YUAN, 0)
        case = ShortfallCase.objects.get(account=insured)
        assert case.status == "RESOLVED" and case.resolution == "GUARANTEE_ADDED"

    def test_setting_the_same_amount_again_changes_nothing(
        self, now, insured, django_capture_on_commit_callbacks
    ):
        services.guarantee_set_amount(
            source_ref="insurance_policy:1", amount_minor=9_000 * YUAN, reason="A-1", now=now
        )

        with django_capture_on_commit_callbacks() as callbacks:
            again = services.guarantee_set_amount(
                source_ref="insurance_policy:1", amount_minor=9_000 * YUAN, reason="A-1", now=now
            )

        insured.refresh_from_db()
        assert again.amount_minor == insured.guaranteed_minor == 9_000 * YUAN
        assert callbacks == []  # nothing changed: nothing to evaluate

    def test_a_guarantee_not_yet_in_force_changes_its_amount_but_not_coverage(self, now):
        shop, account = make_shop(now=now)
        register(account, now=now, ref="bank:9", valid_from=now + timedelta(days=1))

        services.guarantee_set_amount(
            source_ref="bank:9", amount_minor=4_000 * YUAN, reason="renegotiated", now=now
        )

        account.refresh_from_db()
        assert Guarantee.objects.get(source_ref="bank:9").amount_minor == 4_000 * YUAN
        assert account.guaranteed_minor == 0

    def test_an_ended_guarantee_is_refused(self, now, insured):
        services.guarantee_withdraw(source_ref="insurance_policy:1", reason="退保", now=now)

        with pytest.raises(InvalidTransition):
            services.guarantee_set_amount(
                source_ref="insurance_policy:1", amount_minor=1 * YUAN, reason="A-2", now=now
            )

    def test_an_unknown_source_is_not_found(self, now):
        with pytest.raises(NotFound):
            services.guarantee_set_amount(
                source_ref="insurance_policy:404", amount_minor=1, reason="A-1", now=now
            )

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [({"amount_minor": 0}, "amount_minor"), ({"reason": " "}, "reason")],
    )
    def test_bad_input_names_the_field(self, now, insured, kwargs, field):
        values = {"amount_minor": 5_000 * YUAN, "reason": "A-1"} | kwargs

        with pytest.raises(InvalidInput) as refused:
            services.guarantee_set_amount(source_ref="insurance_policy:1", now=now, **values)

        assert field in refused.value.fields


class TestGuaranteeSideEffectsAfterCommit:
    """A guarantee change commits on its own; what it sets off (a shortfall case, notices,
    restrictions, e-mails) follows only once it has."""

    def test_a_withdrawal_rolled_back_by_its_caller_leaves_no_case_notice_or_email(
        self, now, insured, settings, django_capture_on_commit_callbacks, mailoutbox
    ):
        settings.NOTIFICATION_EMAIL_ON_COMMIT = True

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                services.guarantee_withdraw(source_ref="insurance_policy:1", reason="退保", now=now)
                raise RuntimeError("insurance's own step failed")

        insured.refresh_from_db()
        assert callbacks == []
        assert insured.guaranteed_minor == 10_000 * YUAN
        assert not ShortfallCase.objects.filter(account=insured).exists()
        assert not Notification.objects.filter(shop_id=insured.shop_id).exists()
        assert mailoutbox == []

    def test_a_failing_shortfall_evaluation_does_not_undo_the_withdrawal(
        self, now, insured, monkeypatch, django_capture_on_commit_callbacks
    ):
        def broken(**kwargs):
            raise RuntimeError("evaluation bug")

        monkeypatch.setattr("deposits.services.shortfall.hooks.shortfall_evaluate", broken)

        with django_capture_on_commit_callbacks(execute=True):
            guarantee = services.guarantee_withdraw(
                source_ref="insurance_policy:1", reason="退保", now=now
            )

        insured.refresh_from_db()
        assert guarantee.status == "WITHDRAWN" and insured.guaranteed_minor == 0
        assert not ShortfallCase.objects.filter(account=insured).exists()  # left to the scan

"""insurance.services.policies: the premium, activation, the e-policy and the surrender, with
their ledger postings and the deposit's guarantee, against PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from common.errors import (
    DuplicateReference,
    InvalidInput,
    InvalidTransition,
    WouldCauseShortfall,
)
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from deposits.models import Guarantee, LedgerTransaction, SystemAccount, TransactionKind
from insurance import selectors, services
from insurance.models import Policy, PolicyDocument, PolicyStatus, PremiumPayment
from partners.models import Event
from shops.models import Shop, ShopStatus
from tests.partners.api_client import register_shop

pytestmark = pytest.mark.django_db

# 2026-11-02 17:00 UTC is 2026-11-03 01:00 in Shanghai: the term starts on the Shanghai date.
PAID_AT = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)


def accepted_policy(api, insurer_api, *, at: datetime, **shop_overrides) -> Policy:
    """A new merchant's shop (registered ten days before `at`) with a policy AWAITING_PREMIUM."""
    shop = Shop.objects.get(public_id=register_shop(api, **shop_overrides)["id"])
    Shop.objects.filter(pk=shop.pk).update(created_at=at - timedelta(days=10))
    shop.refresh_from_db()
    quote = services.quote_create(shop=shop, now=at)
    application = services.application_submit(shop=shop, quote=quote, now=at)
    services.application_accept(
        application=application,
        insurer_id=insurer_api.partner.pk,
        policy_number=f"PICC-{uuid.uuid4().hex[:10]}",
        now=at,
    )
    return Policy.objects.select_related("shop", "product", "insurer").get(application=application)


def pay(policy: Policy, amount_minor: int, *, now: datetime, ref: str | None = None, **kw):
    return services.premium_pay(
        policy=policy,
        amount_minor=amount_minor,
        currency=kw.pop("currency", policy.currency),
        payment_ref=ref or f"PAY-{uuid.uuid4().hex[:12]}",
        idempotency_key=kw.pop("key", uuid.uuid4().hex),
        now=now,
    )


def top_up(shop: Shop, amount_minor: int, *, now: datetime) -> None:
    account = deposit_selectors.account_for_shop(shop)
    deposit_services.deposit_top_up(
        account_id=account.pk,
        amount_minor=amount_minor,
        currency="CNY",
        payment_ref=f"TOP-{uuid.uuid4().hex[:12]}",
        idempotency_key=uuid.uuid4().hex,
        now=now,
    )


def summary(shop: Shop):
    return deposit_selectors.deposit_summary(deposit_selectors.account_for_shop(shop))


def premiums_held(policy: Policy) -> int:
    return deposit_services.system_account_balance(
        code=SystemAccount.INSURANCE_PREMIUMS,
        currency=policy.currency,
        reference=selectors.policy_ledger_reference(policy),
    )


def written() -> tuple[int, int, int]:
    return (
        PremiumPayment.objects.count(),
        LedgerTransaction.objects.count(),
        Guarantee.objects.count(),
    )


class TestPremiumPay:
    def test_two_parts_activate_on_the_shanghai_date_and_guarantee_the_deposit(
        self, api, insurer_api, sent_tasks, django_capture_on_commit_callbacks
    ):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))

        first = pay(policy, 100_000, now=PAID_AT - timedelta(hours=2))
        assert first.status == PolicyStatus.AWAITING_PREMIUM
        assert first.premium_paid_minor == 100_000
        assert summary(policy.shop).guaranteed_minor == 0
        with django_capture_on_commit_callbacks(execute=True):
            activated = pay(policy, 50_000, now=PAID_AT)

        assert activated.status == PolicyStatus.ACTIVE
        assert activated.premium_paid_minor == 150_000
        assert activated.starts_on == date(2026, 11, 3)
        assert activated.ends_on == date(2027, 11, 2)
        assert premiums_held(policy) == 150_000
        txs = LedgerTransaction.objects.filter(kind=TransactionKind.PREMIUM)
        assert sorted(tx.amount_minor for tx in txs) == [50_000, 100_000]
        assert {tx.reference for tx in txs} == {f"policy:{policy.public_id}"}
        assert list(
            PremiumPayment.objects.filter(policy=policy)
            .order_by("id")
            .values_list("amount_minor", "outstanding_after_minor")
        ) == [(100_000, 50_000), (50_000, 0)]
        guarantee = Guarantee.objects.get(source_ref=f"insurance_policy:{policy.public_id}")
        assert guarantee.amount_minor == 5_000_000
        assert guarantee.valid_from == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)  # 00:00 Shanghai
        assert guarantee.valid_to == datetime(2027, 11, 2, 16, 0, tzinfo=UTC)
        deposit = summary(policy.shop)
        assert deposit.guaranteed_minor == 5_000_000
        assert deposit.shortfall_minor == 0
        policy.shop.refresh_from_db()
        assert policy.shop.status == ShopStatus.ACTIVE  # an onboarding shop went live
        events = Event.objects.filter(type="policy.activated")
        assert {e.partner_id for e in events} == {api.partner.pk, insurer_api.partner.pk}
        assert ("insurance.tasks.issue_policy_document", {"policy_id": policy.pk}) in sent_tasks
        assert deposit_services.ledger_check_run().ok

    def test_cash_above_the_requirement_becomes_withdrawable(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        top_up(policy.shop, 5_000_000, now=PAID_AT - timedelta(hours=1))
        assert summary(policy.shop).withdrawable_minor == 0

        pay(policy, 150_000, now=PAID_AT)

        assert summary(policy.shop).withdrawable_minor == 5_000_000

    @pytest.mark.parametrize(
        ("amount", "currency", "field"),
        [(150_001, "CNY", "amount_minor"), (150_000, "USD", "currency")],
    )
    def test_bad_amount_or_currency_names_the_field_and_writes_nothing(
        self, api, insurer_api, amount, currency, field
    ):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        before = written()

        with pytest.raises(InvalidInput) as refused:
            pay(policy, amount, currency=currency, now=PAID_AT)

        assert field in refused.value.fields
        assert written() == before
        policy.refresh_from_db()
        assert (policy.status, policy.premium_paid_minor) == (PolicyStatus.AWAITING_PREMIUM, 0)

    def test_a_payment_ref_credits_once(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        pay(policy, 10_000, ref="PAY-1", now=PAID_AT)
        before = written()

        with pytest.raises(DuplicateReference) as refused:
            pay(policy, 10_000, ref="PAY-1", now=PAID_AT)

        assert "payment_ref" in refused.value.fields
        assert written() == before

    def test_an_active_policy_is_not_payable(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        pay(policy, 150_000, now=PAID_AT)
        before = written()

        with pytest.raises(InvalidTransition, match="ACTIVE"):
            pay(policy, 1, now=PAID_AT)

        assert written() == before

    def test_a_lapsed_acceptance_is_not_payable(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=8))
        before = written()

        # The refusal is said in the active language (the site's is Chinese): read it in English.
        with translation.override("en"), pytest.raises(InvalidTransition, match="lapsed"):
            pay(policy, 150_000, now=PAID_AT)

        assert written() == before


class TestPolicyDocument:
    def test_issued_once_and_a_second_run_changes_nothing(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        pay(policy, 150_000, now=PAID_AT)

        first = services.policy_document_issue(policy_id=policy.pk, now=PAID_AT)
        again = services.policy_document_issue(policy_id=policy.pk, now=PAID_AT + timedelta(1))

        assert again.pk == first.pk
        assert again.issued_at == PAID_AT
        assert bytes(first.pdf).startswith(b"%PDF")
        assert PolicyDocument.objects.filter(policy=policy).count() == 1
        with pytest.raises(ValueError):
            first.save()

    def test_not_issued_before_the_premium_is_paid(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))

        with pytest.raises(InvalidTransition):
            services.policy_document_issue(policy_id=policy.pk, now=PAID_AT)

    @pytest.mark.postgres(reason="the immutability trigger exists only on PostgreSQL")
    def test_the_database_refuses_to_change_or_delete_it(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        pay(policy, 150_000, now=PAID_AT)
        document = services.policy_document_issue(policy_id=policy.pk, now=PAID_AT)

        for sql in (
            "UPDATE insurance_policydocument SET sha256 = repeat('0', 64) WHERE id = %s",
            "DELETE FROM insurance_policydocument WHERE id = %s",
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute(sql, [document.pk])


class TestSurrender:
    def active(self, api, insurer_api, *, cash: int = 5_000_000) -> Policy:
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        if cash:
            top_up(policy.shop, cash, now=PAID_AT - timedelta(hours=1))
        return pay(policy, 150_000, now=PAID_AT)

    def test_on_the_first_day_the_first_day_is_still_charged(self, api, insurer_api):
        policy = self.active(api, insurer_api)

        preview = selectors.surrender_preview(policy, PAID_AT + timedelta(hours=3))
        surrendered = services.policy_surrender(
            policy=policy, idempotency_key="s-1", now=PAID_AT + timedelta(hours=3)
        )

        assert (preview.allowed, preview.used_days, preview.term_days) == (True, 1, 365)
        assert preview.refund_minor == 150_000 - 411  # 1,500.00 × 1/365 = 4.11
        assert surrendered.status == PolicyStatus.SURRENDERED
        assert surrendered.surrender.refund_minor == 149_589
        refund = LedgerTransaction.objects.get(kind=TransactionKind.PREMIUM_REFUND)
        assert refund.amount_minor == 149_589
        assert premiums_held(policy) == 411
        assert (
            deposit_services.system_account_balance(
                code=SystemAccount.PREMIUM_REFUNDS_PAYABLE, currency="CNY"
            )
            == 149_589
        )
        guarantee = Guarantee.objects.get(source_ref=f"insurance_policy:{policy.public_id}")
        assert guarantee.status == Guarantee.Status.WITHDRAWN
        assert summary(policy.shop).guaranteed_minor == 0
        assert summary(policy.shop).shortfall_minor == 0
        assert Event.objects.filter(type="policy.surrendered").count() == 2
        assert deposit_services.ledger_check_run().ok

    def test_on_the_last_day_nothing_is_refunded(self, api, insurer_api):
        policy = self.active(api, insurer_api)
        last_day = datetime(2027, 11, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai

        surrendered = services.policy_surrender(policy=policy, idempotency_key="s", now=last_day)

        assert surrendered.surrender.used_days == 365
        assert surrendered.surrender.refund_minor == 0
        assert surrendered.surrender.ledger_transaction is None
        assert not LedgerTransaction.objects.filter(kind=TransactionKind.PREMIUM_REFUND).exists()

    def test_without_the_cash_deposit_it_would_cause_a_shortfall(self, api, insurer_api):
        policy = self.active(api, insurer_api, cash=0)
        before = written()

        preview = selectors.surrender_preview(policy, PAID_AT + timedelta(days=30))
        with pytest.raises(WouldCauseShortfall):
            services.policy_surrender(
                policy=policy, idempotency_key="s", now=PAID_AT + timedelta(days=30)
            )

        assert [r["code"] for r in preview.reasons] == ["would_cause_shortfall"]
        assert written() == before
        policy.refresh_from_db()
        assert policy.status == PolicyStatus.ACTIVE
        assert summary(policy.shop).guaranteed_minor == 5_000_000

    def test_a_leap_year_term_is_refunded_by_act_365(self, api, insurer_api):
        at = datetime(2028, 2, 27, 4, 0, tzinfo=UTC)  # noon in Shanghai
        policy = accepted_policy(api, insurer_api, at=at - timedelta(days=1))
        top_up(policy.shop, 5_000_000, now=at)
        policy = pay(policy, 150_000, now=at)
        after_leap_day = datetime(2028, 3, 1, 4, 0, tzinfo=UTC)

        surrendered = services.policy_surrender(
            policy=policy, idempotency_key="s", now=after_leap_day
        )

        assert surrendered.ends_on == date(2029, 2, 25)  # 365 days, 29 February included
        assert surrendered.surrender.used_days == 4  # 27, 28, 29 February and 1 March
        assert surrendered.surrender.refund_minor == 150_000 - 1_644  # 1,500.00 × 4/365


@pytest.mark.postgres(reason="row locks serialise two payments racing on one policy")
@pytest.mark.django_db(transaction=True)
class TestPremiumRace:
    def test_two_payments_completing_the_premium_activate_once(self, api, insurer_api):
        policy = accepted_policy(api, insurer_api, at=PAID_AT - timedelta(days=1))
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(amount: int) -> None:
            try:
                barrier.wait()
                pay(policy, amount, now=PAID_AT)
            except BaseException as exc:  # noqa: BLE001 — reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(a,)) for a in (100_000, 50_000)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert errors == []
        policy.refresh_from_db()
        assert (policy.status, policy.premium_paid_minor) == (PolicyStatus.ACTIVE, 150_000)
        ref = f"insurance_policy:{policy.public_id}"
        assert Guarantee.objects.filter(source_ref=ref).count() == 1
        assert Event.objects.filter(type="policy.activated", partner=api.partner).count() == 1
        assert summary(policy.shop).guaranteed_minor == 5_000_000
        assert deposit_services.ledger_check_run().ok

"""Renewal (续保) through the quote → application → acceptance → premium path: the next term
starts the day after the current one ends, and the deposit's coverage passes from one policy's
guarantee to the next without a gap, so the shortfall ladder never opens. Without a renewal the
guarantee ends and the ladder takes over."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from common.errors import ApplicationOpen, InvalidInput, InvalidTransition
from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from deposits.models import Guarantee, ShortfallCase
from deposits.services import ledger_check_run
from insurance import selectors, services
from insurance.models import Policy, PolicyStatus
from partners.models import Event
from shops.models import Notification, Shop
from tests.partners.api_client import register_shop

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Paid 2026-11-03 01:00 Shanghai: the first term is 2026-11-03 .. 2027-11-02.
PAID_AT = datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
LAST_DAY = date(2027, 11, 2)
NEXT_DAY = date(2027, 11, 3)


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=SHANGHAI)


MIDNIGHT = at(NEXT_DAY, 0)


def pay_in_full(policy: Policy, *, now: datetime) -> Policy:
    return services.premium_pay(
        policy=policy,
        amount_minor=policy.premium_minor - policy.premium_paid_minor,
        currency=policy.currency,
        payment_ref=f"PAY-{uuid.uuid4().hex[:12]}",
        idempotency_key=uuid.uuid4().hex,
        now=now,
    )


def accept(application, insurer_api, *, now: datetime) -> Policy:
    services.application_accept(
        application=application,
        insurer_id=insurer_api.partner.pk,
        policy_number=f"PICC-{uuid.uuid4().hex[:10]}",
        now=now,
    )
    return Policy.objects.select_related("shop", "product", "insurer").get(application=application)


def insured_shop(api, insurer_api) -> Policy:
    """A new merchant's apparel shop (requirement 50,000.00, no cash) insured by perf-bond,
    paid in full on PAID_AT: ACTIVE 2026-11-03 .. 2027-11-02, the shop live on its guarantee."""
    shop = Shop.objects.get(public_id=register_shop(api)["id"])
    Shop.objects.filter(pk=shop.pk).update(created_at=PAID_AT - timedelta(days=10))
    shop.refresh_from_db()
    quote = services.quote_create(shop=shop, now=PAID_AT)
    application = services.application_submit(shop=shop, quote=quote, now=PAID_AT)
    policy = pay_in_full(accept(application, insurer_api, now=PAID_AT), now=PAID_AT)
    assert (policy.status, policy.starts_on, policy.ends_on) == (
        "ACTIVE",
        PAID_AT.date() + timedelta(days=1),
        LAST_DAY,
    )
    return Policy.objects.select_related("shop__merchant", "product", "insurer").get(pk=policy.pk)


def renew(policy: Policy, insurer_api, *, now: datetime) -> Policy:
    """Renewal applied for and accepted on `now`: the renewal policy awaiting its premium."""
    application = services.policy_renew(policy=policy, now=now)
    return accept(application, insurer_api, now=now)


def guaranteed(shop: Shop) -> int:
    return deposit_selectors.deposit_summary(
        deposit_selectors.account_for_shop(shop)
    ).guaranteed_minor


def guarantee_of(policy: Policy) -> Guarantee:
    return Guarantee.objects.get(source_ref=f"insurance_policy:{policy.public_id}")


def run_term_scan(now: datetime) -> dict[int, str]:
    return {
        pk: services.policy_term_process(policy_id=pk, now=now)
        for pk in services.policy_terms_due_scan(now=now)
    }


@pytest.mark.django_db
class TestRenewalQuoteAndApplication:
    def test_the_renewal_quote_prices_the_next_term_from_the_day_after_the_end(
        self, api, insurer_api
    ):
        policy = insured_shop(api, insurer_api)

        quote = services.quote_create(shop=policy.shop, now=at(date(2027, 10, 20)), renews=policy)

        assert quote.renews_id == policy.pk
        assert quote.product.code == "perf-bond"  # the renewed policy's product by default
        assert quote.eligible, quote.reasons  # live over 180 days, nothing owed: stable
        # 2027-11-03 + 364 days: 2028 is a leap year, so the term ends on 2028-11-01.
        assert (quote.starts_on, quote.ends_on) == (NEXT_DAY, date(2028, 11, 1))
        assert (quote.coverage_minor, quote.premium_minor) == (5_000_000, 150_000)

    def test_renewal_opens_30_days_before_the_end(self, api, insurer_api):
        policy = insured_shop(api, insurer_api)

        with pytest.raises(InvalidTransition, match="2027-10-03"):
            services.policy_renew(policy=policy, now=at(date(2027, 10, 2)))
        application = services.policy_renew(policy=policy, now=at(date(2027, 10, 3)))

        assert application.status == "SUBMITTED"
        assert application.quote.renews_id == policy.pk
        event = Event.objects.filter(type="insurance.application_submitted").latest("id")
        assert event.data["renews"] == str(policy.public_id)

    def test_one_renewal_at_a_time_and_only_of_the_shops_own_policy_in_force(
        self, api, insurer_api, other_api
    ):
        policy = insured_shop(api, insurer_api)
        other = Shop.objects.get(public_id=register_shop(api)["id"])
        day = at(date(2027, 10, 20))

        services.policy_renew(policy=policy, now=day)
        with pytest.raises(ApplicationOpen):
            services.policy_renew(policy=policy, now=day)
        with pytest.raises(InvalidInput) as wrong_shop:
            services.quote_create(shop=other, now=day, renews=policy)
        assert "renews" in wrong_shop.value.fields
        Policy.objects.filter(pk=policy.pk).update(status=PolicyStatus.SURRENDERED)
        policy.refresh_from_db()
        with pytest.raises(InvalidTransition):
            services.quote_create(shop=policy.shop, now=day, renews=policy)

    def test_a_first_application_is_still_refused_beside_the_policy_in_force(
        self, api, insurer_api
    ):
        policy = insured_shop(api, insurer_api)
        quote = services.quote_create(shop=policy.shop, now=at(date(2027, 10, 20)))

        with pytest.raises(ApplicationOpen):
            services.application_submit(shop=policy.shop, quote=quote, now=at(date(2027, 10, 20)))


@pytest.mark.django_db(transaction=True)
class TestSeamlessHandover:
    def test_paid_ahead_the_renewal_waits_then_takes_over_without_a_gap(self, api, insurer_api):
        policy = insured_shop(api, insurer_api)
        shop = policy.shop
        renewal = renew(policy, insurer_api, now=at(date(2027, 10, 20)))
        assert renewal.renews_id == policy.pk and renewal.status == "AWAITING_PREMIUM"

        renewal = pay_in_full(renewal, now=at(date(2027, 10, 21)))

        # Paid, so ACTIVE, but its term starts the day after the current one ends.
        assert renewal.status == "ACTIVE"
        assert (renewal.starts_on, renewal.ends_on) == (NEXT_DAY, date(2028, 11, 1))
        pending = guarantee_of(renewal)
        assert pending.valid_from == MIDNIGHT == guarantee_of(policy).valid_to
        assert not pending.in_coverage
        assert guaranteed(shop) == 5_000_000  # the old policy's only, not both
        assert not selectors.policy_in_force(renewal, date(2027, 10, 21))
        assert selectors.active_policy_id_for_shop(shop.pk, today=LAST_DAY) == policy.pk
        activated = Event.objects.filter(type="policy.activated", data__id=str(renewal.public_id))
        assert activated.count() == 2
        assert activated.first().data["in_force"] is False
        assert activated.first().data["renews"] == str(policy.public_id)

        # The renewed policy's reminders stop: no cash will be needed.
        assert run_term_scan(at(LAST_DAY - timedelta(days=7))) == {policy.pk: "renewed"}
        assert run_term_scan(at(LAST_DAY - timedelta(days=1))) == {}
        assert not Notification.objects.filter(kind="insurance_renewal_reminder").exists()

        # The boundary: coverage is 50,000.00 at every step, whichever job runs first.
        assert guaranteed(shop) == 5_000_000
        deposit_services.guarantees_expire_due(now=MIDNIGHT + timedelta(seconds=1))
        assert guaranteed(shop) == 5_000_000
        assert guarantee_of(policy).status == "EXPIRED"
        assert guarantee_of(renewal).in_coverage
        assert run_term_scan(MIDNIGHT + timedelta(seconds=5)) == {policy.pk: "renewed"}
        assert guaranteed(shop) == 5_000_000

        policy.refresh_from_db()
        renewal.refresh_from_db()
        shop.refresh_from_db()
        assert policy.status == "EXPIRED" and renewal.status == "ACTIVE"
        assert selectors.policy_in_force(renewal, NEXT_DAY)
        assert selectors.active_policy_id_for_shop(shop.pk, today=NEXT_DAY) == renewal.pk
        assert not ShortfallCase.objects.filter(shop=shop).exists()
        assert shop.status == "ACTIVE"
        expired = Event.objects.filter(type="policy.expired").first()
        assert expired.data["renewed_by"] == str(renewal.public_id)
        notice = Notification.objects.get(kind="insurance_policy_renewed")
        assert renewal.policy_number in notice.body and "2028-11-01" in notice.body
        assert not Notification.objects.filter(kind="insurance_policy_expired").exists()
        assert ledger_check_run(record=False).ok

    def test_the_term_scan_first_hands_over_in_its_own_transaction(self, api, insurer_api):
        policy = insured_shop(api, insurer_api)
        renewal = pay_in_full(renew(policy, insurer_api, now=at(LAST_DAY)), now=at(LAST_DAY, 23))

        assert run_term_scan(MIDNIGHT) == {policy.pk: "renewed"}

        assert guarantee_of(policy).status == "WITHDRAWN"
        assert guarantee_of(renewal).in_coverage
        assert guaranteed(policy.shop) == 5_000_000
        assert not ShortfallCase.objects.filter(shop=policy.shop).exists()
        # The sweeper afterwards has nothing left to change.
        deposit_services.guarantees_expire_due(now=MIDNIGHT + timedelta(minutes=1))
        assert guaranteed(policy.shop) == 5_000_000
        assert ledger_check_run(record=False).ok

    def test_advances_before_the_boundary_go_to_the_old_policy_after_to_the_renewal(
        self, api, insurer_api
    ):
        policy = insured_shop(api, insurer_api)
        renewal = pay_in_full(renew(policy, insurer_api, now=at(LAST_DAY, 9)), now=at(LAST_DAY, 10))

        before = services.policy_advance(
            shop_id=policy.shop_id,
            claim_ref="CLM-1",
            amount_minor=10_000,
            currency="CNY",
            idempotency_key="adv-1",
            now=at(LAST_DAY, 11),
        )
        after = services.policy_advance(
            shop_id=policy.shop_id,
            claim_ref="CLM-2",
            amount_minor=10_000,
            currency="CNY",
            idempotency_key="adv-2",
            now=at(NEXT_DAY, 9),
        )

        assert before.advance.policy_id == policy.pk
        assert after.advance.policy_id == renewal.pk
        assert ledger_check_run(record=False).ok


@pytest.mark.django_db(transaction=True)
def test_a_renewal_paid_ahead_surrendered_before_it_starts_refunds_it_all(api, insurer_api):
    policy = insured_shop(api, insurer_api)
    renewal = pay_in_full(renew(policy, insurer_api, now=at(LAST_DAY, 9)), now=at(LAST_DAY, 10))

    preview = selectors.surrender_preview(renewal, at(LAST_DAY, 11))
    surrendered = services.policy_surrender(
        policy=renewal, now=at(LAST_DAY, 11), idempotency_key="surrender-renewal"
    )

    assert preview.allowed and preview.used_days == 0
    assert surrendered.status == "SURRENDERED"
    assert surrendered.surrender.refund_minor == 150_000  # not a day of it was used
    assert guarantee_of(renewal).status == "WITHDRAWN"
    # The current policy is untouched and expires alone at its end.
    assert guaranteed(policy.shop) == 5_000_000
    assert run_term_scan(MIDNIGHT) == {policy.pk: "expired"}
    assert ledger_check_run(record=False).ok


@pytest.mark.django_db(transaction=True)
class TestRenewalPaidLateOrNever:
    def test_paid_after_the_old_term_ended_it_starts_on_the_payment_day(self, api, insurer_api):
        policy = insured_shop(api, insurer_api)
        renewal = renew(policy, insurer_api, now=at(LAST_DAY - timedelta(days=2)))
        assert run_term_scan(MIDNIGHT) == {policy.pk: "expired"}
        assert ShortfallCase.objects.filter(shop=policy.shop).count() == 1

        renewal = pay_in_full(renewal, now=at(date(2027, 11, 5), 10))

        assert renewal.status == "ACTIVE"
        assert (renewal.starts_on, renewal.ends_on) == (date(2027, 11, 5), date(2028, 11, 3))
        assert guarantee_of(renewal).in_coverage
        assert guaranteed(policy.shop) == 5_000_000
        assert ledger_check_run(record=False).ok

    def test_without_renewal_the_guarantee_ends_and_the_shortfall_ladder_opens(
        self, api, insurer_api
    ):
        policy = insured_shop(api, insurer_api)

        assert run_term_scan(at(LAST_DAY, 23, 59, 59)).get(policy.pk) != "expired"
        assert guaranteed(policy.shop) == 5_000_000
        assert run_term_scan(MIDNIGHT) == {policy.pk: "expired"}

        policy.refresh_from_db()
        assert policy.status == "EXPIRED"
        assert guarantee_of(policy).status == "WITHDRAWN"
        assert guaranteed(policy.shop) == 0
        case = ShortfallCase.objects.get(shop=policy.shop)
        assert case.amount_minor == 5_000_000
        notice = Notification.objects.get(kind="insurance_policy_expired")
        assert "¥ 50,000.00" in notice.body
        assert Event.objects.filter(type="policy.expired", data__renewed_by=None).count() == 2
        assert ledger_check_run(record=False).ok


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="row locks under concurrent threads")
class TestTwoWorkersAtTheBoundary:
    @pytest.mark.parametrize("renewed", [True, False])
    def test_two_workers_expire_once(self, api, insurer_api, renewed):
        policy = insured_shop(api, insurer_api)
        renewal = None
        if renewed:
            renewal = pay_in_full(
                renew(policy, insurer_api, now=at(LAST_DAY, 9)), now=at(LAST_DAY, 10)
            )
        results: list[str] = []
        barrier = threading.Barrier(3)

        def term_worker() -> None:
            barrier.wait()
            try:
                results.append(services.policy_term_process(policy_id=policy.pk, now=MIDNIGHT))
            finally:
                connection.close()

        def sweeper() -> None:
            barrier.wait()
            try:
                deposit_services.guarantees_expire_due(now=MIDNIGHT)
            finally:
                connection.close()

        threads = [threading.Thread(target=f) for f in (term_worker, term_worker, sweeper)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # A sweep skipped an account the term worker held: the next sweep takes it.
        deposit_services.guarantees_expire_due(now=MIDNIGHT + timedelta(minutes=1))

        outcome = "renewed" if renewed else "expired"
        assert sorted(results) == sorted([outcome, "nothing"])
        policy.refresh_from_db()
        assert policy.status == "EXPIRED"
        assert Event.objects.filter(type="policy.expired").count() == 2
        kind = "insurance_policy_renewed" if renewed else "insurance_policy_expired"
        assert Notification.objects.filter(kind=kind).count() == 1
        assert guaranteed(policy.shop) == (5_000_000 if renewed else 0)
        assert ShortfallCase.objects.filter(shop=policy.shop).count() == (0 if renewed else 1)
        if renewal is not None:
            assert guarantee_of(renewal).in_coverage
        assert ledger_check_run(record=False).ok

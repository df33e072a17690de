"""Two workers running the same scan at once produce each notice and restriction exactly once.

Real PostgreSQL, real threads, each with its own connection (closed when the thread ends); the
threads start together behind a barrier so their transactions overlap.
"""

from __future__ import annotations

import importlib
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import connection, connections

from deposits import services
from deposits.models import ShortfallCase, ShortfallReview, ShortfallStep
from partners.models import Event
from shops.models import Notification, ShopRestriction
from tests.deposits.test_shortfall import SHORT, live_short_shop, top_up

pytestmark = [
    pytest.mark.postgres(reason="row locks under concurrent threads"),
    pytest.mark.django_db(transaction=True),
]

# A transactional test before this one may have flushed the tables: put back the reference data
# the data migrations wrote (categories, requirement rules, the ladder) by running the same
# idempotent functions. (serialized_rollback would clash with the content types that an earlier
# flush re-created.)
REFERENCE_DATA = [
    "shops.migrations.0002_default_categories",
    "deposits.migrations.0003_default_rules",
    "deposits.migrations.0006_default_ladder_and_schedules",
]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    for module in REFERENCE_DATA:
        importlib.import_module(module).install(django_apps, None)


SHOPS = 12
WORKERS = 4  # the machine has 2 cores; more threads only queue on the same rows


@pytest.fixture(autouse=True)
def _scans_only(settings):
    # Arranging the shops commits deductions; their on-commit evaluation would open the cases
    # before the scans under test run. Nothing goes to a broker either: e-mails stay PENDING.
    settings.SHORTFALL_EVALUATE_ON_COMMIT = False
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False


def run_together(fn: Callable[[int], object], workers: int = WORKERS) -> list[object]:
    barrier = threading.Barrier(workers)
    results: list[object] = [None] * workers
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = fn(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def assert_each_exactly_once() -> None:
    dupes = Counter(Notification.objects.values_list("dedupe_key", flat=True))
    assert all(n == 1 for n in dupes.values())
    steps = Counter(ShortfallStep.objects.values_list("case_id", "position"))
    assert all(n == 1 for n in steps.values())
    restrictions = Counter(
        ShopRestriction.objects.filter(lifted_at__isnull=True).values_list("shop_id", "kind")
    )
    assert all(n == 1 for n in restrictions.values())
    open_cases = Counter(
        ShortfallCase.objects.filter(status="OPEN").values_list("shop_id", flat=True)
    )
    assert all(n == 1 for n in open_cases.values())


class TestConcurrentScans:
    def test_two_scans_at_once_open_each_case_and_apply_each_step_once(self, now):
        shops = [live_short_shop(now)[0] for _ in range(SHOPS)]

        results = run_together(lambda i: services.shortfall_run_pass(now=now, send_emails=False))

        assert sum(r.opened for r in results) == SHOPS
        assert sum(r.steps for r in results) == SHOPS
        assert sum(r.errors for r in results) == 0
        assert ShortfallCase.objects.count() == SHOPS
        assert Notification.objects.count() == SHOPS
        assert Event.objects.filter(type="deposit.shortfall_opened").count() == SHOPS
        assert_each_exactly_once()

        # Later, four workers again at the hide-from-search deadline.
        later = now + timedelta(days=15)
        results = run_together(lambda i: services.shortfall_run_pass(now=later, send_emails=False))

        assert sum(r.steps for r in results) == 2 * SHOPS  # marketing + hidden, once each
        assert ShopRestriction.objects.filter(lifted_at__isnull=True).count() == 2 * SHOPS
        changes = Event.objects.filter(type="shop.status_changed").exclude(
            data__previous_status="ONBOARDING"  # the shops going live while being arranged
        )
        assert changes.count() == 2 * SHOPS
        assert {s.status for s in type(shops[0]).objects.filter(pk__in=[s.pk for s in shops])} == {
            "FROZEN"
        }
        assert_each_exactly_once()

    def test_scans_racing_evaluations_of_the_same_shops_do_not_duplicate(self, now):
        shops = [live_short_shop(now)[0] for _ in range(SHOPS)]
        # Half the shops have a case opened a month ago; the other half none yet.
        for shop in shops[::2]:
            services.shortfall_evaluate(shop_id=shop.pk, now=now)

        def work(i: int) -> object:
            if i % 2:
                return services.shortfall_run_pass(now=now + timedelta(days=30), send_emails=False)
            return [
                services.shortfall_evaluate(shop_id=s.pk, now=now + timedelta(days=30))
                for s in shops
            ]

        run_together(work)

        half = SHOPS // 2
        assert ShortfallStep.objects.count() == 4 * half + 1 * half
        assert ShortfallReview.objects.count() == half
        assert_each_exactly_once()

    def test_one_shop_evaluated_by_many_workers_at_each_deadline(self, now):
        shop, account = live_short_shop(now)
        for moment in (now, now + timedelta(hours=48), now + timedelta(hours=72)):
            run_together(lambda i, at=moment: services.shortfall_evaluate(shop_id=shop.pk, now=at))

        assert list(ShortfallStep.objects.values_list("code", flat=True).order_by("position")) == [
            "notify",
            "restrict-marketing",
        ]
        assert Notification.objects.filter(shop=shop).count() == 3  # notice, reminder, step
        assert_each_exactly_once()

    def test_a_top_up_racing_the_scan_ends_resolved_with_its_restrictions_lifted(self, now):
        shops = [live_short_shop(now)[0] for _ in range(SHOPS)]
        services.shortfall_run_pass(now=now + timedelta(days=15), send_emails=False)
        accounts = [s.deposit_account for s in shops]

        def work(i: int) -> object:
            if i == 0:
                for account in accounts:
                    top_up(account, SHORT, now=now + timedelta(days=16))
                    # What the on-commit hook does after the top-up commits:
                    services.shortfall_evaluate(
                        shop_id=account.shop_id, now=now + timedelta(days=16), trigger="TOP_UP"
                    )
                return None
            return services.shortfall_run_pass(now=now + timedelta(days=16), send_emails=False)

        run_together(work)

        assert not ShortfallCase.objects.filter(status="OPEN").exists()
        assert not ShopRestriction.objects.filter(lifted_at__isnull=True).exists()
        assert Event.objects.filter(type="deposit.shortfall_resolved").count() == SHOPS
        assert_each_exactly_once()
        assert connection.vendor == "postgresql"

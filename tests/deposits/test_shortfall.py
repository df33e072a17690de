"""Shortfall enforcement: cases, the ladder walked with an injected clock, resolution, notices.

Persona: a flagship apparel shop (requirement 50,000.00), paid in full and live, then a deduction
leaves it 1,000.00 short. Services are called directly with a fixed `now`; the on-commit hooks are
exercised with `django_capture_on_commit_callbacks`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

import pytest
from django.core import mail

from common.errors import InvalidTransition
from common.times import utc_iso
from deposits import services
from deposits.models import (
    Account,
    Guarantee,
    ShortfallCase,
    ShortfallLadderStep,
    ShortfallReview,
    ShortfallStep,
)
from partners.models import Event
from shops import services as shop_services
from shops.models import Notification, RestrictionKind, RestrictionSource, Shop, ShopRestriction
from tests.factories import fund, make_shop, make_user

SHORT = 100_000  # 1,000.00 CNY in fen
_keys = count(1)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(settings):
    # Tests call services directly; nothing is sent to a broker from here.
    settings.NOTIFICATION_EMAIL_ON_COMMIT = False


def deduct(account: Account, amount: int, *, now: datetime, allow_debt: bool = False) -> None:
    services.deposit_deduct(
        account_id=account.pk,
        amount_minor=amount,
        currency=account.currency,
        reason="虚假发货赔付",
        reference=f"O-{next(_keys)}",
        idempotency_key=f"deduct-{next(_keys)}",
        now=now,
        allow_debt=allow_debt,
    )


def top_up(account: Account, amount: int, *, now: datetime) -> None:
    n = next(_keys)
    services.deposit_top_up(
        account_id=account.pk,
        amount_minor=amount,
        currency=account.currency,
        payment_ref=f"PAY-T-{n}",
        idempotency_key=f"top-up-{n}",
        now=now,
    )


def live_short_shop(
    now: datetime, *, short: int = SHORT, language: str = "en"
) -> tuple[Shop, Account]:
    shop, account = make_shop(now=now - timedelta(days=60))
    shop.merchant.language = language
    shop.merchant.save(update_fields=["language"])
    fund(account, account.required_minor, now=now - timedelta(days=60))
    shop.refresh_from_db()
    assert shop.status == "ACTIVE"
    deduct(account, short, now=now - timedelta(minutes=5))
    account.refresh_from_db()
    assert account.shortfall_minor == short
    return shop, account


def evaluate(shop: Shop, now: datetime) -> services.Evaluation:
    return services.shortfall_evaluate(shop_id=shop.pk, now=now)


def state(shop: Shop) -> tuple:
    """Everything enforcement writes, to compare before and after a re-run."""
    return (
        list(
            ShortfallCase.objects.filter(shop=shop).values_list("id", "status", "step", "reminded")
        ),
        ShortfallStep.objects.filter(case__shop=shop).count(),
        list(ShopRestriction.objects.filter(shop=shop).values_list("id", "kind", "lifted_at")),
        list(Notification.objects.filter(shop=shop).values_list("dedupe_key", flat=True)),
        Event.objects.filter(ordering_key=str(shop.public_id)).count(),
        ShortfallReview.objects.filter(shop=shop).count(),
        Shop.objects.get(pk=shop.pk).status,
    )


def event_types(shop: Shop) -> list[str]:
    """The shortfall flow's events: postings and the shop going live (arranged by the tests
    through the ledger) are announced too, by the ledger and shops services."""
    return list(
        Event.objects.filter(ordering_key=str(shop.public_id))
        .exclude(type="deposit.entry_posted")
        .exclude(type="shop.status_changed", data__previous_status="ONBOARDING")
        .order_by("id")
        .values_list("type", flat=True)
    )


class TestOpening:
    def test_opens_a_case_announces_and_notifies_at_once(self, now):
        shop, account = live_short_shop(now)

        outcome = evaluate(shop, now)

        case = ShortfallCase.objects.get(shop=shop)
        assert outcome.opened and outcome.announced and outcome.steps == ["notify"]
        assert (case.status, case.amount_at_open_minor, case.amount_minor) == ("OPEN", SHORT, SHORT)
        assert case.opened_at == now and case.announced_at == now
        assert [item["code"] for item in case.plan] == [
            "notify",
            "restrict-marketing",
            "hide-and-stop-orders",
            "ops-review",
        ]
        assert case.next_due_at == now + timedelta(hours=72)
        assert case.next_reminder_at == now + timedelta(hours=48)
        assert event_types(shop) == ["deposit.shortfall_opened"]
        opened = Event.objects.get(
            type="deposit.shortfall_opened", ordering_key=str(shop.public_id)
        )
        assert opened.data["shop"] == str(shop.public_id)
        assert opened.data["external_ref"] == shop.external_ref
        assert opened.data["deposit"]["shortfall_minor"] == SHORT
        assert opened.data["shortfall"]["steps"][2]["due_at"] == utc_iso(now + timedelta(days=15))
        notice = Notification.objects.get(shop=shop)
        assert notice.dedupe_key == f"shortfall:{case.pk}:step:0"
        assert "1,000.00" in notice.title and notice.language == "en"
        assert "marketing for the shop is restricted" in notice.body
        shop.refresh_from_db()
        assert shop.status == "ACTIVE"

    def test_an_onboarding_shop_never_gets_a_case(self, now):
        shop, account = make_shop(now=now)
        fund(account, 1_000_000, now=now)  # partly paid: still onboarding, still short
        account.refresh_from_db()
        assert account.shortfall_minor > 0

        evaluate(shop, now)
        result = services.shortfall_run_pass(now=now + timedelta(days=40))

        assert not ShortfallCase.objects.filter(shop=shop).exists()
        assert result.opened == 0
        assert not Notification.objects.filter(shop=shop).exists()

    def test_a_closed_shop_gets_no_case(self, now):
        shop, account = live_short_shop(now)
        services.shop_exit_confirm(shop=shop, now=now)

        evaluate(shop, now)

        assert not ShortfallCase.objects.filter(shop=shop).exists()

    def test_a_shop_that_is_not_short_gets_no_case(self, now):
        shop, account = make_shop(now=now)
        fund(account, account.required_minor, now=now)

        outcome = evaluate(shop, now)

        assert not outcome.changed
        assert not ShortfallCase.objects.filter(shop=shop).exists()

    def test_at_most_one_open_case_per_shop_in_the_database(self, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)
        case = ShortfallCase.objects.get(shop=shop)
        case.pk = None

        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            case.save(force_insert=True)


class TestLadderWalk:
    def test_each_step_applies_on_time_with_a_reminder_before_it(self, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)
        case = ShortfallCase.objects.get(shop=shop)

        # Nothing happens before a reminder or a step is due.
        assert not evaluate(shop, now + timedelta(hours=47, minutes=59)).changed
        # 24 h before the marketing restriction: a reminder.
        outcome = evaluate(shop, now + timedelta(hours=48))
        assert outcome.reminders == 1 and not outcome.steps
        reminder = Notification.objects.get(dedupe_key=f"shortfall:{case.pk}:reminder:1")
        assert "2026-11-05 14:00 (UTC+8)" in reminder.body  # 06:00 UTC + 72 h, shown in CST
        assert "1,000.00" in reminder.body and "marketing" in reminder.body
        assert not evaluate(shop, now + timedelta(hours=71)).changed

        # 72 h: marketing restricted → RESTRICTED.
        outcome = evaluate(shop, now + timedelta(hours=72))
        assert outcome.steps == ["restrict-marketing"]
        shop.refresh_from_db()
        assert shop.status == "RESTRICTED"
        marketing = ShopRestriction.objects.get(shop=shop, kind=RestrictionKind.MARKETING)
        assert marketing.source == RestrictionSource.SHORTFALL
        assert marketing.source_ref == f"shortfall:{case.pk}"
        assert marketing.since == now + timedelta(hours=72)
        assert "1,000.00" in marketing.lifts_when and "Top up" in marketing.lifts_when
        assert "short by" in marketing.reason

        # 14 days: reminder that the shop stops taking orders; 15 days: hidden → FROZEN.
        assert evaluate(shop, now + timedelta(days=14)).reminders == 1
        reminder = Notification.objects.get(dedupe_key=f"shortfall:{case.pk}:reminder:2")
        assert "stops taking new orders" in reminder.body
        assert "2026-11-17 14:00" in reminder.body
        assert evaluate(shop, now + timedelta(days=15)).steps == ["hide-and-stop-orders"]
        shop.refresh_from_db()
        assert shop.status == "FROZEN"

        # 30 days: an ops review, never a closure.
        assert evaluate(shop, now + timedelta(days=29)).reminders == 1
        assert evaluate(shop, now + timedelta(days=30)).steps == ["ops-review"]
        review = ShortfallReview.objects.get(case=case)
        assert review.status == "PENDING"
        shop.refresh_from_db()
        assert shop.status == "FROZEN" and shop.closed_at is None

        # The ladder is done; time passing changes nothing more.
        assert not evaluate(shop, now + timedelta(days=90)).changed

        case.refresh_from_db()
        assert case.step == 4 and case.next_due_at is None and case.next_reminder_at is None
        assert list(case.steps.values_list("code", "applied_at")) == [
            ("notify", now),
            ("restrict-marketing", now + timedelta(hours=72)),
            ("hide-and-stop-orders", now + timedelta(days=15)),
            ("ops-review", now + timedelta(days=30)),
        ]
        assert event_types(shop) == [
            "deposit.shortfall_opened",
            "shop.status_changed",  # ACTIVE → RESTRICTED
            "shop.status_changed",  # RESTRICTED → FROZEN
        ]
        keys = sorted(Notification.objects.filter(shop=shop).values_list("dedupe_key", flat=True))
        assert keys == sorted(
            [f"shortfall:{case.pk}:step:{i}" for i in range(4)]
            + [f"shortfall:{case.pk}:reminder:{i}" for i in (1, 2, 3)]
        )

    def test_a_late_evaluation_applies_every_overdue_step_once_in_order(self, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)

        outcome = evaluate(shop, now + timedelta(days=20))

        assert outcome.steps == ["restrict-marketing", "hide-and-stop-orders"]
        assert outcome.reminders == 0  # no reminder for a step already applied
        shop.refresh_from_db()
        assert shop.status == "FROZEN"
        case = ShortfallCase.objects.get(shop=shop)
        # The ops-review reminder is still ahead (29 days).
        assert case.next_reminder_at == now + timedelta(days=29)

    def test_editing_the_ladder_changes_new_cases_not_open_ones(self, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)
        ShortfallLadderStep.objects.filter(code="restrict-marketing").update(
            delay=timedelta(hours=1)
        )

        assert not evaluate(shop, now + timedelta(hours=2)).steps

        other, _ = live_short_shop(now)
        evaluate(other, now)
        assert evaluate(other, now + timedelta(hours=2)).steps == ["restrict-marketing"]

    def test_the_case_follows_the_current_amount(self, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)
        deduct(account, 50_000, now=now + timedelta(hours=1))

        evaluate(shop, now + timedelta(hours=1))

        case = ShortfallCase.objects.get(shop=shop)
        assert (case.amount_at_open_minor, case.amount_minor) == (SHORT, SHORT + 50_000)


def walk_to(shop: Shop, step: int, now: datetime) -> datetime:
    """Apply the first `step` + 1 steps; return the time of the last one."""
    moments = [now, now + timedelta(hours=72), now + timedelta(days=15), now + timedelta(days=30)]
    for moment in moments[: step + 1]:
        evaluate(shop, moment)
    return moments[step]


class TestResolution:
    @pytest.mark.parametrize("step", [0, 1, 2, 3])
    def test_a_top_up_at_each_step_lifts_exactly_the_shortfalls_restrictions(self, now, step):
        shop, account = live_short_shop(now)
        ops = make_user(staff=True)
        shop_services.shop_freeze(shop=shop, reason="假货调查", actor=ops, now=now)
        other_cause = shop_services.restriction_add(
            shop=shop,
            kind=RestrictionKind.NEW_LISTINGS,
            source=RestrictionSource.CLAIM,
            source_ref="claim:9",
            reason="Open counterfeit claim",
            now=now,
        )
        at = walk_to(shop, step, now) + timedelta(hours=1)
        case = ShortfallCase.objects.get(shop=shop)
        before = set(
            ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True).values_list(
                "pk", flat=True
            )
        )

        top_up(account, SHORT, now=at)
        outcome = services.shortfall_evaluate(shop_id=shop.pk, now=at, trigger="TOP_UP")

        assert outcome.resolved == "TOP_UP"
        case.refresh_from_db()
        assert (case.status, case.resolution, case.resolved_at) == ("RESOLVED", "TOP_UP", at)
        still_active = set(
            ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True).values_list(
                "pk", flat=True
            )
        )
        lifted = before - still_active
        assert all(
            r.source_ref == case.source_ref for r in ShopRestriction.objects.filter(pk__in=lifted)
        )
        assert len(lifted) == {0: 0, 1: 1, 2: 2, 3: 2}[step]
        assert ShopRestriction.objects.get(shop=shop, source="MANUAL").lifted_at is None
        assert other_cause.pk in still_active
        shop.refresh_from_db()
        assert shop.status == "FROZEN"  # the ops freeze stays until ops lift it
        assert event_types(shop)[-1] == "deposit.shortfall_resolved"
        resolved = Notification.objects.get(dedupe_key=f"shortfall:{case.pk}:resolved")
        assert "Frozen by ops" in resolved.body  # says what still holds the shop
        if step == 3:
            assert ShortfallReview.objects.get(case=case).status == "OBSOLETE"

    def test_resolution_publishes_status_changed_when_the_status_changes(self, now):
        shop, account = live_short_shop(now)
        walk_to(shop, 2, now)
        shop.refresh_from_db()
        assert shop.status == "FROZEN"

        top_up(account, SHORT, now=now + timedelta(days=16))
        evaluate(shop, now + timedelta(days=16))

        shop.refresh_from_db()
        assert shop.status == "ACTIVE"
        assert event_types(shop)[-2:] == ["deposit.shortfall_resolved", "shop.status_changed"]
        changed = Event.objects.filter(
            type="shop.status_changed", ordering_key=str(shop.public_id)
        ).last()
        assert changed.data["status"] == "ACTIVE" and changed.data["previous_status"] == "FROZEN"
        assert changed.data["deposit"]["shortfall_minor"] == 0

    def test_a_partial_top_up_keeps_the_case_open(self, now):
        shop, account = live_short_shop(now)
        walk_to(shop, 1, now)

        top_up(account, SHORT - 1, now=now + timedelta(days=4))
        evaluate(shop, now + timedelta(days=4))

        case = ShortfallCase.objects.get(shop=shop)
        assert case.status == "OPEN" and case.amount_minor == 1
        shop.refresh_from_db()
        assert shop.status == "RESTRICTED"

    def test_the_same_shop_short_again_gets_a_new_case_and_a_fresh_ladder(self, now):
        shop, account = live_short_shop(now)
        walk_to(shop, 1, now)
        top_up(account, SHORT, now=now + timedelta(days=4))
        evaluate(shop, now + timedelta(days=4))

        deduct(account, 10_000, now=now + timedelta(days=5))
        evaluate(shop, now + timedelta(days=5))

        cases = list(ShortfallCase.objects.filter(shop=shop).order_by("id"))
        assert [c.status for c in cases] == ["RESOLVED", "OPEN"]
        assert cases[1].step == 1 and cases[1].opened_at == now + timedelta(days=5)

    def test_a_lower_requirement_resolves_as_requirement_lowered(self, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)

        services.override_set(
            shop=shop,
            amount_minor=account.required_minor - SHORT,
            reason="Category removed",
            actor=make_user(staff=True),
            now=now + timedelta(hours=1),
        )
        evaluate(shop, now + timedelta(hours=1))

        assert ShortfallCase.objects.get(shop=shop).resolution == "REQUIREMENT_LOWERED"

    def test_a_top_up_that_repays_a_debt_resolves_as_debt_repaid(self, now):
        shop, account = live_short_shop(now)
        account.refresh_from_db()
        deduct(account, account.available_minor + 30_000, now=now, allow_debt=True)
        evaluate(shop, now)
        account.refresh_from_db()

        top_up(account, account.shortfall_minor, now=now + timedelta(hours=2))
        evaluate(shop, now + timedelta(hours=2))

        assert ShortfallCase.objects.get(shop=shop).resolution == "DEBT_REPAID"

    def test_ops_can_resolve_by_hand_which_restarts_the_clock(self, now):
        shop, account = live_short_shop(now)
        walk_to(shop, 1, now)
        case = ShortfallCase.objects.get(shop=shop)
        ops = make_user(staff=True)

        services.shortfall_case_resolve_by_ops(
            case_id=case.pk, note="Paid at the counter", actor=ops, now=now + timedelta(days=4)
        )

        case.refresh_from_db()
        assert (case.status, case.resolution, case.resolved_by) == ("RESOLVED", "MANUAL", ops)
        assert not ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True).exists()
        with pytest.raises(InvalidTransition):
            services.shortfall_case_resolve_by_ops(
                case_id=case.pk, note="again", actor=ops, now=now + timedelta(days=4)
            )
        evaluate(shop, now + timedelta(days=4, hours=1))
        assert ShortfallCase.objects.filter(shop=shop, status="OPEN").count() == 1

    def test_ops_decide_a_review_once(self, now):
        shop, account = live_short_shop(now)
        walk_to(shop, 3, now)
        review = ShortfallReview.objects.get(shop=shop)
        ops = make_user(staff=True)

        services.shortfall_review_decide(
            review_id=review.pk, decision="CONTINUE", note="Merchant promised", actor=ops, now=now
        )

        review.refresh_from_db()
        assert (review.status, review.decided_by) == ("CONTINUE", ops)
        with pytest.raises(InvalidTransition):
            services.shortfall_review_decide(
                review_id=review.pk, decision="CLOSURE", note="x", actor=ops, now=now
            )


class TestIdempotency:
    @pytest.mark.parametrize("step", [0, 1, 2, 3])
    def test_rerunning_an_evaluation_changes_nothing(self, now, step):
        shop, account = live_short_shop(now)
        at = walk_to(shop, step, now)
        before = state(shop)

        again = evaluate(shop, at)
        also = services.shortfall_run_pass(now=at, send_emails=False)

        assert not again.changed and also.steps == also.announced == also.resolved == 0
        assert state(shop) == before

    def test_rerunning_a_resolution_changes_nothing(self, now):
        shop, account = live_short_shop(now)
        walk_to(shop, 2, now)
        top_up(account, SHORT, now=now + timedelta(days=16))
        evaluate(shop, now + timedelta(days=16))
        before = state(shop)

        assert not evaluate(shop, now + timedelta(days=16)).changed
        services.shortfall_run_pass(now=now + timedelta(days=16), send_emails=False)

        assert state(shop) == before

    def test_a_replayed_posting_does_not_evaluate(self, now, django_capture_on_commit_callbacks):
        shop, account = live_short_shop(now)
        with django_capture_on_commit_callbacks() as callbacks:
            services.deposit_deduct(
                account_id=account.pk,
                amount_minor=1,
                currency="CNY",
                reason="x",
                reference="r",
                idempotency_key="same-key",
                now=now,
            )
        assert len(callbacks) == 1
        with django_capture_on_commit_callbacks() as callbacks:
            services.deposit_deduct(
                account_id=account.pk,
                amount_minor=1,
                currency="CNY",
                reason="x",
                reference="r",
                idempotency_key="same-key",
                now=now,
            )
        assert callbacks == []


class TestAfterCommitHooks:
    def test_a_deduction_opens_the_case_once_it_commits(
        self, now, django_capture_on_commit_callbacks
    ):
        shop, account = make_shop(now=now - timedelta(days=1))
        fund(account, account.required_minor, now=now - timedelta(days=1))

        with django_capture_on_commit_callbacks(execute=True):
            deduct(account, SHORT, now=now)

        case = ShortfallCase.objects.get(shop=shop)
        assert case.opened_at == now and case.step == 1

    def test_a_top_up_resolves_the_case_once_it_commits(
        self, now, django_capture_on_commit_callbacks
    ):
        shop, account = live_short_shop(now)
        walk_to(shop, 2, now)

        with django_capture_on_commit_callbacks(execute=True):
            top_up(account, SHORT, now=now + timedelta(days=16))

        case = ShortfallCase.objects.get(shop=shop)
        assert (case.status, case.resolution) == ("RESOLVED", "TOP_UP")
        shop.refresh_from_db()
        assert shop.status == "ACTIVE"

    def test_postings_on_a_covered_shop_cost_nothing_after_commit(
        self, now, django_capture_on_commit_callbacks
    ):
        shop, account = make_shop(now=now)
        fund(account, account.required_minor, now=now)

        with django_capture_on_commit_callbacks() as callbacks:
            top_up(account, 100, now=now)
            deduct(account, 100, now=now)
            top_up(account, 100, now=now)

        assert callbacks == []

    def test_a_top_up_that_restores_coverage_looks_for_an_open_case_with_one_query(
        self, now, django_capture_on_commit_callbacks, django_assert_num_queries
    ):
        shop, account = live_short_shop(now)  # short, but no case yet (nothing evaluated)
        with django_capture_on_commit_callbacks() as callbacks:
            top_up(account, SHORT, now=now)

        with django_assert_num_queries(1):
            for callback in callbacks:
                callback()

    def test_a_hold_release_resolves_as_funds_released(
        self, now, django_capture_on_commit_callbacks
    ):
        shop, account = make_shop(now=now - timedelta(days=1))
        fund(account, account.required_minor, now=now - timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):
            hold = services.hold_place(
                account_id=account.pk,
                amount_minor=SHORT,
                currency="CNY",
                reason="Claim C-1",
                reference="C-1",
                expires_at=now + timedelta(days=3),
                idempotency_key="hold-1",
                now=now,
            )
        assert ShortfallCase.objects.get(shop=shop).status == "OPEN"

        with django_capture_on_commit_callbacks(execute=True):
            services.hold_release(hold_id=hold.pk, idempotency_key="release-1", now=now)

        assert ShortfallCase.objects.get(shop=shop).resolution == "FUNDS_RELEASED"

    def test_a_partial_capture_that_frees_the_rest_of_the_hold_resolves_the_case(
        self, now, django_capture_on_commit_callbacks
    ):
        shop, account = make_shop(now=now - timedelta(days=1))
        fund(account, account.required_minor + 150_000, now=now - timedelta(days=1))
        with django_capture_on_commit_callbacks(execute=True):
            hold = services.hold_place(
                account_id=account.pk,
                amount_minor=200_000,
                currency="CNY",
                reason="Claim C-2",
                reference="C-2",
                expires_at=now + timedelta(days=3),
                idempotency_key="hold-2",
                now=now,
            )
        assert ShortfallCase.objects.get(shop=shop).amount_at_open_minor == 50_000

        with django_capture_on_commit_callbacks(execute=True):
            services.hold_capture(
                hold_id=hold.pk, amount_minor=100, idempotency_key="capture-2", now=now
            )

        assert ShortfallCase.objects.get(shop=shop).resolution == "FUNDS_RELEASED"

    def test_a_rule_change_for_one_shop_evaluates_it(self, now, django_capture_on_commit_callbacks):
        shop, account = make_shop(now=now - timedelta(days=1))
        fund(account, account.required_minor, now=now - timedelta(days=1))

        with django_capture_on_commit_callbacks(execute=True):
            services.override_set(
                shop=shop,
                amount_minor=account.required_minor + SHORT,
                reason="New brand",
                actor=make_user(staff=True),
                now=now,
            )

        case = ShortfallCase.objects.get(shop=shop)
        assert case.amount_at_open_minor == SHORT and case.announced_at == now

    def test_a_rule_change_for_many_shops_opens_their_cases_set_based(
        self, now, django_capture_on_commit_callbacks
    ):
        from deposits.models import BaseRequirementRule

        shop, account = make_shop(now=now - timedelta(days=1))
        fund(account, account.required_minor, now=now - timedelta(days=1))
        BaseRequirementRule.objects.create(
            shop_type="FLAGSHIP",
            trademark_status="REGISTERED",
            currency="CNY",
            amount_minor=account.required_minor + SHORT,
            effective_from=now - timedelta(minutes=1),
        )

        with django_capture_on_commit_callbacks(execute=True):
            services.requirements_recompute(now=now)

        case = ShortfallCase.objects.get(shop=shop)
        assert case.announced_at is None  # announced by the next scan's evaluation
        services.shortfall_run_pass(now=now, send_emails=False)
        case.refresh_from_db()
        assert case.announced_at == now and case.step == 1


class TestScan:
    def test_opens_missing_cases_set_based_and_lists_work_due(self, now):
        shops = [live_short_shop(now)[0] for _ in range(3)]
        healthy, account = make_shop(now=now)
        fund(account, account.required_minor, now=now)
        onboarding, _ = make_shop(now=now)
        seen: list[int] = []

        result = services.shortfall_scan(now=now, dispatch=seen.extend, batch_size=2)

        assert result.opened == 3 and result.candidates == 3
        assert seen == sorted(s.pk for s in shops)
        assert ShortfallCase.objects.filter(status="OPEN").count() == 3
        # A second scan opens nothing; the cases are still to be announced.
        again = services.shortfall_scan(now=now, dispatch=lambda ids: None)
        assert (again.opened, again.candidates) == (0, 3)

    def test_a_case_opened_by_the_scan_and_restored_before_its_first_step_resolves_silently(
        self, now
    ):
        shop, account = live_short_shop(now)
        services.shortfall_cases_open_due(now=now)
        top_up(account, SHORT, now=now)

        evaluate(shop, now)

        case = ShortfallCase.objects.get(shop=shop)
        assert case.status == "RESOLVED" and case.announced_at is None
        assert event_types(shop) == [] and not Notification.objects.filter(shop=shop).exists()

    def test_candidates_are_only_cases_with_work_due(self, now):
        shop, account = live_short_shop(now)
        evaluate(shop, now)

        assert services.shortfall_candidates(now=now) == []
        assert services.shortfall_candidates(now=now + timedelta(hours=48)) == [shop.pk]
        top_up(account, SHORT, now=now)
        assert services.shortfall_candidates(now=now) == [shop.pk]

    def test_run_pass_walks_every_shop_and_sends_each_email_once(self, now):
        shop_en, _ = live_short_shop(now, language="en")
        shop_zh, _ = live_short_shop(now, language="zh-hans")

        first = services.shortfall_run_pass(now=now)
        second = services.shortfall_run_pass(now=now)

        assert (first.opened, first.announced, first.steps, first.emails) == (2, 2, 2, 2)
        assert (second.opened, second.steps, second.emails) == (0, 0, 0)
        assert len(mail.outbox) == 2
        by_address = {m.to[0]: m for m in mail.outbox}
        english = by_address[shop_en.merchant.contact_email]
        chinese = by_address[shop_zh.merchant.contact_email]
        assert english.extra_headers["Content-Language"] == "en"
        assert chinese.extra_headers["Content-Language"] == "zh-hans"
        assert "please do not reply" in english.body and "请勿回复" not in english.body
        assert "请勿回复" in chinese.body and "please do not reply" not in chinese.body
        assert Notification.objects.filter(email_status="SENT").count() == 2
        assert "enforce_shortfalls:" in first.summary(0.1)


class TestNotificationsExactlyOnce:
    def test_an_email_is_sent_once_however_often_it_is_asked_for(self, now):
        shop, account = live_short_shop(now)
        outcome = evaluate(shop, now)
        (notice_id,) = outcome.notification_ids

        sent = [
            shop_services.notification_email_send(notification_id=notice_id, now=now)
            for _ in range(3)
        ]

        assert sent == [True, False, False]
        assert len(mail.outbox) == 1
        notice = Notification.objects.get(pk=notice_id)
        assert notice.email_status == "SENT" and notice.email_attempts == 1
        assert mail.outbox[0].subject == notice.title

    def test_a_failed_send_is_retried_and_then_sent_once(self, now, monkeypatch):
        shop, account = live_short_shop(now)
        (notice_id,) = evaluate(shop, now).notification_ids
        from django.core.mail import EmailMessage

        original = EmailMessage.send
        calls = {"n": 0}

        def flaky(self, fail_silently=False):
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("SMTP down")
            return original(self, fail_silently=fail_silently)

        monkeypatch.setattr(EmailMessage, "send", flaky)

        with pytest.raises(OSError):
            shop_services.notification_email_send(notification_id=notice_id, now=now)
        assert Notification.objects.get(pk=notice_id).email_status == "PENDING"
        assert shop_services.notification_email_send(notification_id=notice_id, now=now)

        assert len(mail.outbox) == 1
        assert Notification.objects.get(pk=notice_id).email_attempts == 2

    def test_a_stale_claim_is_taken_again(self, now):
        shop, account = live_short_shop(now)
        (notice_id,) = evaluate(shop, now).notification_ids
        assert shop_services.notification_email_claim(notification_id=notice_id, now=now)

        assert shop_services.notifications_email_due(now=now + timedelta(minutes=1)) == []
        assert shop_services.notifications_email_due(now=now + timedelta(minutes=11)) == [notice_id]

    def test_the_same_notice_key_creates_one_row(self, now):
        shop, account = live_short_shop(now)
        kwargs = dict(
            merchant_id=shop.merchant_id,
            shop_id=shop.pk,
            dedupe_key="k-1",
            kind="x",
            language="en",
            title="t",
            body="b",
            now=now,
        )

        first = shop_services.notification_create(**kwargs)
        second = shop_services.notification_create(**kwargs)

        assert first[1] is True and second[1] is False and first[0].pk == second[0].pk

    def test_the_merchants_language_decides_the_notice(self, now):
        from django.utils import translation

        shop, account = live_short_shop(now, language="zh-hans")

        with translation.override("en"):  # whatever language the caller runs in
            evaluate(shop, now)

        notice = Notification.objects.get(shop=shop)
        assert notice.language == "zh-hans"
        with translation.override("zh-hans"):
            from django.utils.translation import gettext

            expected = gettext("Deposit short by %(amount)s: %(shop)s") % {
                "amount": "¥ 1,000.00",
                "shop": shop.name,
            }
        assert notice.title == expected


class TestGuaranteeInteraction:
    def test_a_guarantee_resolves_the_case_as_guarantee_added_once_committed(
        self, now, django_capture_on_commit_callbacks
    ):
        shop, account = live_short_shop(now)
        walk_to(shop, 1, now)

        with django_capture_on_commit_callbacks(execute=True):
            services.guarantee_register(
                account_id=account.pk,
                amount_minor=SHORT,
                currency="CNY",
                valid_from=now,
                valid_to=now + timedelta(days=365),
                source_kind=Guarantee.SourceKind.INSURANCE_POLICY,
                source_ref="insurance_policy:1",
                now=now + timedelta(days=4),
            )

        case = ShortfallCase.objects.get(shop=shop)
        assert (case.status, case.resolution) == ("RESOLVED", "GUARANTEE_ADDED")
        shop.refresh_from_db()
        assert shop.status == "ACTIVE"

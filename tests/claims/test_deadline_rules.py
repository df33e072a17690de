"""What each claim deadline does when it passes, and working days: pure rules, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from claims.domain import deadlines as rules

SECOND = timedelta(seconds=1)
SH = rules.MARKET_TZ


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


PAID = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
RESPOND_BY = PAID + timedelta(days=3)


def negotiating(reason: str = "FALSE_SHIPMENT", shipped: datetime | None = None):
    return rules.DeadlineState(
        status="NEGOTIATING",
        reason=reason,
        order_paid_at=PAID,
        order_shipped_at=shipped,
        respond_by=RESPOND_BY,
    )


def in_review(consumer_by: datetime, merchant_by: datetime, closed: datetime | None = None):
    return rules.DeadlineState(
        status="IN_REVIEW",
        reason="FALSE_SHIPMENT",
        order_paid_at=PAID,
        order_shipped_at=None,
        consumer_evidence_by=consumer_by,
        merchant_evidence_by=merchant_by,
        evidence_closed_at=closed,
        decide_by=rules.decide_by_after(max(consumer_by, merchant_by)),
    )


class TestWorkingDays:
    def test_four_working_days_from_a_friday_skip_the_weekend(self):
        friday = shanghai(2026, 11, 6, 15, 0)

        assert rules.add_working_days(friday, 4) == shanghai(2026, 11, 12, 15, 0)  # Thursday

    def test_four_working_days_from_a_monday_end_on_the_friday(self):
        assert rules.add_working_days(shanghai(2026, 11, 2, 9, 30), 4) == shanghai(
            2026, 11, 6, 9, 30
        )

    def test_a_weekend_start_counts_four_whole_days_from_monday(self):
        saturday = shanghai(2026, 11, 7, 14, 0)

        # Monday to Thursday in full: the target is Friday 00:00 local.
        assert rules.add_working_days(saturday, 4) == shanghai(2026, 11, 13, 0, 0)

    def test_the_local_day_counts_not_the_utc_one(self):
        # Friday 23:30 in Shanghai is still Friday 15:30 UTC; Saturday 00:30 local is Friday UTC.
        friday_late = datetime(2026, 11, 6, 15, 30, tzinfo=UTC)
        saturday_early = datetime(2026, 11, 6, 16, 30, tzinfo=UTC)

        assert rules.add_working_days(friday_late, 4) == shanghai(2026, 11, 12, 23, 30)
        assert rules.add_working_days(saturday_early, 4) == shanghai(2026, 11, 13, 0, 0)


class TestNegotiation:
    def test_the_merchant_silent_at_respond_by_means_the_platform_intervenes(self):
        state = negotiating()

        assert rules.due_action(state, now=RESPOND_BY - SECOND) == rules.NOTHING
        assert rules.due_action(state, now=RESPOND_BY) == rules.ESCALATE

    def test_an_unshipped_late_shipment_is_decided_by_the_rule(self):
        state = negotiating("LATE_SHIPMENT")

        assert rules.due_action(state, now=RESPOND_BY - SECOND) == rules.NOTHING
        assert rules.due_action(state, now=RESPOND_BY) == rules.AUTO_DECIDE

    def test_shipping_after_48_hours_proves_the_lateness(self):
        late = negotiating("LATE_SHIPMENT", shipped=PAID + timedelta(hours=48) + SECOND)

        assert rules.due_action(late, now=RESPOND_BY) == rules.AUTO_DECIDE

    def test_shipping_within_48_hours_leaves_it_to_ops(self):
        on_time = negotiating("LATE_SHIPMENT", shipped=PAID + timedelta(hours=48))

        assert rules.due_action(on_time, now=RESPOND_BY) == rules.ESCALATE

    def test_unshipped_but_not_yet_48_hours_after_payment_proves_nothing(self):
        early = replace(negotiating("LATE_SHIPMENT"), respond_by=PAID + timedelta(hours=47))

        assert rules.due_action(early, now=PAID + timedelta(hours=47)) == rules.ESCALATE

    def test_the_scan_next_looks_at_respond_by(self):
        assert rules.next_deadline_at(negotiating()) == RESPOND_BY


class TestReview:
    def test_the_evidence_closes_when_the_later_window_ends(self):
        consumer_by = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
        merchant_by = consumer_by + timedelta(hours=24)
        state = in_review(consumer_by, merchant_by)

        assert rules.next_deadline_at(state) == merchant_by
        assert rules.due_action(state, now=merchant_by - SECOND) == rules.NOTHING
        assert rules.due_action(state, now=merchant_by) == rules.CLOSE_EVIDENCE

    def test_once_closed_nothing_is_due_until_a_window_reopens(self):
        closes = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
        closed = in_review(closes, closes, closed=closes + timedelta(minutes=1))

        assert rules.next_deadline_at(closed) is None
        assert rules.due_action(closed, now=closes + timedelta(days=30)) == rules.NOTHING

        reopened = replace(closed, merchant_evidence_by=closes + timedelta(days=4))
        assert rules.next_deadline_at(reopened) == closes + timedelta(days=4)
        assert rules.due_action(reopened, now=closes + timedelta(days=4)) == rules.CLOSE_EVIDENCE

    def test_past_the_review_target_the_claim_is_overdue_not_moved(self):
        closes = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)  # Thursday 14:00 local
        state = in_review(closes, closes, closed=closes)
        decide_by = shanghai(2026, 11, 11, 14, 0)  # Wednesday: Fri, Mon, Tue, Wed
        assert state.decide_by == decide_by

        before = rules.current_deadline(state, now=decide_by - SECOND)
        at = rules.current_deadline(state, now=decide_by)
        assert before is not None and at is not None
        assert (before.kind, before.party, before.overdue) == ("decide", "PLATFORM", False)
        assert at.overdue
        assert rules.due_action(state, now=decide_by + timedelta(days=9)) == rules.NOTHING


class TestAppealAndDisplay:
    def test_the_appeal_window_ending_closes_the_claim(self):
        appeal_by = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
        state = rules.DeadlineState(
            status="DECIDED",
            reason="FALSE_SHIPMENT",
            order_paid_at=PAID,
            order_shipped_at=None,
            appeal_by=appeal_by,
        )

        assert rules.next_deadline_at(state) == appeal_by
        assert rules.due_action(state, now=appeal_by - SECOND) == rules.NOTHING
        assert rules.due_action(state, now=appeal_by) == rules.CLOSE_UNAPPEALED

    def test_the_current_deadline_says_whose_it_is_and_what_passing_it_does(self):
        deadline = rules.current_deadline(negotiating("LATE_SHIPMENT"), now=PAID)

        assert deadline is not None
        assert (deadline.kind, deadline.at, deadline.party) == ("respond", RESPOND_BY, "MERCHANT")
        assert "automatically" in deadline.consequence_en
        assert "自动裁定" in deadline.consequence_zh

    def test_ended_claims_have_no_deadline(self):
        for status in ("SETTLED", "WITHDRAWN", "APPEALED", "CLOSED"):
            state = replace(negotiating(), status=status)
            assert rules.current_deadline(state, now=PAID) is None
            assert rules.next_deadline_at(state) is None

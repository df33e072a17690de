"""Deadlines moving claims on by themselves, with an injected clock: each step at its deadline and
not one second before, exactly once; the automatic late-shipment decision with its money; ops
asking for more material; the scan, the command and the admin form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from claims import selectors, services
from claims.domain import deadlines as rules
from claims.models import Claim, ClaimStatus
from common.errors import InvalidClaimStatus, InvalidInput
from deposits import services as deposit_services
from deposits.models import Account, Hold
from partners.models import Event
from partners.services import partner_get_or_create
from tests.factories import fund, make_shop, make_user

pytestmark = [pytest.mark.django_db]

SECOND = timedelta(seconds=1)
# Monday 2 November 2026, 14:00 in Shanghai.
FILED = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
PAID = FILED - timedelta(days=3)


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner):
    shop, account = make_shop(now=FILED - timedelta(days=30), partner_id=partner.pk)
    fund(account, 5_000_000, now=FILED - timedelta(days=30))
    return shop


_refs = iter(range(1, 100_000))


def file(partner, shop, *, reason="LATE_SHIPMENT", shipped_at=None, consumer="buyer-1"):
    claim, _ = services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=f"D-{next(_refs)}",
        reason=reason,
        order_ref=f"O-{next(_refs)}",
        order_paid_minor=100_000,
        currency="CNY",
        order_paid_at=PAID,
        order_shipped_at=shipped_at,
        consumer_ref=consumer,
        description="Not shipped after 48 hours.",
        now=FILED,
    )
    return claim


def process(claim: Claim, at: datetime) -> str:
    return services.claim_deadline_process(claim_id=claim.pk, now=at)


def actions(claim: Claim) -> list[str]:
    return list(claim.events.order_by("at", "id").values_list("action", flat=True))


def ledger_ok() -> bool:
    return deposit_services.ledger_check_run().ok


class TestNegotiationDeadline:
    def test_one_second_before_respond_by_nothing_happens(self, partner, shop):
        claim = file(partner, shop, reason="FALSE_SHIPMENT")

        assert process(claim, claim.respond_by - SECOND) == "nothing"

        claim.refresh_from_db()
        assert claim.status == ClaimStatus.NEGOTIATING
        assert actions(claim) == ["filed"]

    def test_at_respond_by_the_platform_intervenes_once(self, partner, shop):
        claim = file(partner, shop, reason="FALSE_SHIPMENT")
        respond_by = claim.respond_by

        assert process(claim, respond_by) == "escalated"
        assert process(claim, respond_by + SECOND) == "nothing"  # a re-delivered message

        claim.refresh_from_db()
        assert claim.status == ClaimStatus.IN_REVIEW
        escalated = claim.events.get(action="escalated")
        assert (escalated.actor, escalated.actor_label) == ("SYSTEM", "deadline task")
        assert escalated.system_notes[0] == {  # "did not answer by …", in the reader's language
            "code": "no_answer",
            "params": {"respond_by": respond_by.isoformat()},
        }
        assert Hold.objects.get(public_id=claim.hold_public_id).amount_minor == 30_000
        assert Event.objects.filter(type="claim.escalated").count() == 1
        # Windows of 3 days from Wednesday 14:00 end Saturday 14:00; the review target counts
        # Monday to Thursday: Friday 13 November 00:00 in Shanghai.
        assert claim.merchant_evidence_by == respond_by + timedelta(days=3)
        assert claim.decide_by == datetime(2026, 11, 12, 16, 0, tzinfo=UTC)
        assert claim.next_deadline_at == claim.merchant_evidence_by
        assert ledger_ok()


class TestAutomaticLateShipmentDecision:
    def test_an_unshipped_order_is_decided_upheld_by_the_rule_with_the_hold_captured(
        self, partner, shop
    ):
        claim = file(partner, shop)

        assert process(claim, claim.respond_by - SECOND) == "nothing"
        assert process(claim, claim.respond_by) == "auto_decided"
        assert process(claim, claim.respond_by + SECOND) == "nothing"

        claim = selectors.claim_with_details(claim.pk)
        assert (claim.status, claim.outcome) == (ClaimStatus.DECIDED, "UPHELD")
        assert claim.compensation_minor == 30_000
        assert Hold.objects.get(public_id=claim.hold_public_id).status == Hold.Status.CAPTURED
        assert [(f.source, f.amount_minor) for f in claim.funding.all()] == [("DEPOSIT", 30_000)]
        account = Account.objects.get(shop=shop)
        assert (account.posted_minor, account.held_minor) == (5_000_000 - 30_000, 0)
        assert actions(claim) == ["filed", "escalated", "decided:UPHELD"]
        decided = claim.events.get(action="decided:UPHELD")
        assert decided.actor == "SYSTEM"
        why = decided.system_notes[0]
        assert (why["code"], why["params"]["rule"]) == ("auto_decided", claim.rule.code)
        assert why["params"]["shipped_at"] is None  # "not shipped" in the reader's language
        assert claim.appeal_by == claim.decided_at + timedelta(days=15)
        assert Event.objects.filter(type="claim.decided").count() == 1
        assert ledger_ok()

    def test_an_order_shipped_too_late_is_decided_too(self, partner, shop):
        claim = file(partner, shop, shipped_at=PAID + timedelta(hours=60))

        assert process(claim, claim.respond_by) == "auto_decided"

    def test_an_order_shipped_within_48_hours_is_left_to_ops(self, partner, shop):
        claim = file(partner, shop, shipped_at=PAID + timedelta(hours=47))

        assert process(claim, claim.respond_by) == "escalated"

        claim.refresh_from_db()
        assert claim.status == ClaimStatus.IN_REVIEW and claim.outcome is None
        assert Hold.objects.get(public_id=claim.hold_public_id).status == Hold.Status.ACTIVE
        assert ledger_ok()

    def test_when_the_24_hour_cap_leaves_nothing_ops_decide(self, partner, shop):
        # Two claims of the pair upheld (300.00, then the 200.00 the cap leaves) use up the
        # 500.00 one consumer may get from one shop for orders paid within 24 hours.
        for _ in range(2):
            earlier = services.claim_escalate(claim=file(partner, shop), now=FILED)
            services.claim_decide(claim=earlier, outcome="UPHELD", now=FILED)
        claim = file(partner, shop)

        assert process(claim, claim.respond_by) == "escalated"

        claim.refresh_from_db()
        assert claim.status == ClaimStatus.IN_REVIEW
        assert actions(claim)[-2:] == ["escalated", "auto_decision_skipped"]
        assert ledger_ok()


class TestEvidenceAndReview:
    def escalated(self, partner, shop) -> Claim:
        claim = file(partner, shop, reason="FALSE_SHIPMENT")
        return services.claim_escalate(claim=claim, now=FILED)

    def test_the_evidence_closes_once_when_both_windows_end(self, partner, shop):
        claim = self.escalated(partner, shop)
        closes = claim.merchant_evidence_by

        assert process(claim, closes - SECOND) == "nothing"
        assert process(claim, closes) == "evidence_closed"
        assert process(claim, closes + timedelta(hours=1)) == "nothing"

        claim.refresh_from_db()
        assert claim.status == ClaimStatus.IN_REVIEW
        assert claim.evidence_closed_at == closes
        assert claim.next_deadline_at is None
        assert actions(claim).count("evidence_closed") == 1

    def test_the_ops_queue_orders_by_target_and_marks_the_overdue_from_decide_by(
        self, partner, shop
    ):
        first = self.escalated(partner, shop)
        later = services.claim_escalate(
            claim=file(partner, shop, reason="FALSE_SHIPMENT", consumer="buyer-2"),
            now=FILED + timedelta(days=1),
        )
        # Monday 14:00 escalation: windows end Thursday 14:00, target Wednesday 11 Nov 14:00.
        assert first.decide_by == datetime(2026, 11, 11, 6, 0, tzinfo=UTC)

        before = list(selectors.ops_queue(now=first.decide_by - SECOND))
        at = list(selectors.ops_queue(now=first.decide_by))

        assert [c.pk for c in before] == [first.pk, later.pk]
        assert [c.overdue for c in before] == [False, False]
        assert [c.overdue for c in at] == [True, False]
        assert process(first, first.decide_by + timedelta(days=3)) == "evidence_closed"
        assert process(first, first.decide_by + timedelta(days=3)) == "nothing"  # no transition

    def test_asking_the_merchant_for_more_restarts_their_window_and_moves_the_target(
        self, partner, shop
    ):
        claim = self.escalated(partner, shop)
        closes = claim.merchant_evidence_by
        process(claim, closes)
        asked_at = closes + timedelta(hours=2)  # Thursday 16:00 in Shanghai

        claim = services.claim_request_material(
            claim=claim,
            party="MERCHANT",
            note="The courier's receipt.",
            now=asked_at,
            actor_label="ops-anna",
        )

        assert claim.merchant_evidence_by == asked_at + timedelta(days=3)  # Sunday 16:00
        assert claim.consumer_evidence_by == closes
        # From a Sunday: Monday to Thursday in full, Friday 13 November 00:00 in Shanghai (it
        # was Wednesday 11 November 14:00 before the request).
        assert claim.decide_by == datetime(2026, 11, 12, 16, 0, tzinfo=UTC)
        assert claim.next_deadline_at == claim.merchant_evidence_by
        requested = claim.events.get(action="material_requested:MERCHANT")
        assert (requested.actor, requested.actor_label) == ("OPS", "ops-anna")
        assert "courier" in requested.note
        # The reopened window closes the evidence again, once.
        assert process(claim, claim.merchant_evidence_by - SECOND) == "nothing"
        assert process(claim, claim.merchant_evidence_by) == "evidence_closed"
        assert actions(claim).count("evidence_closed") == 2

    def test_asking_for_material_needs_a_side_a_note_and_a_claim_in_review(self, partner, shop):
        negotiating = file(partner, shop, reason="FALSE_SHIPMENT")
        with pytest.raises(InvalidClaimStatus):
            services.claim_request_material(
                claim=negotiating, party="CONSUMER", note="Photos.", now=FILED, actor_label="ops"
            )
        claim = self.escalated(partner, shop)
        with pytest.raises(InvalidInput) as bad_party:
            services.claim_request_material(
                claim=claim, party="SHOP", note="Photos.", now=FILED, actor_label="ops"
            )
        assert "party" in bad_party.value.fields
        with pytest.raises(InvalidInput) as no_note:
            services.claim_request_material(
                claim=claim, party="CONSUMER", note="  ", now=FILED, actor_label="ops"
            )
        assert "note" in no_note.value.fields


class TestAppealWindowDeadline:
    def test_a_decision_becomes_final_when_the_appeal_window_ends_and_not_a_second_before(
        self, partner, shop
    ):
        claim = file(partner, shop, reason="FALSE_SHIPMENT")
        services.claim_escalate(claim=claim, now=FILED + timedelta(hours=1))
        decided = services.claim_decide(
            claim=claim, outcome="UPHELD", now=FILED + timedelta(days=4), note="Proven."
        )

        assert process(decided, decided.appeal_by - SECOND) == "nothing"
        assert process(decided, decided.appeal_by) == "closed"
        assert process(decided, decided.appeal_by + SECOND) == "nothing"

        closed = Claim.objects.get(pk=claim.pk)
        assert closed.status == ClaimStatus.CLOSED
        assert closed.closed_at == decided.appeal_by
        assert closed.next_deadline_at is None
        assert actions(closed).count("closed") == 1
        assert Event.objects.filter(type="claim.closed", data__id=str(claim.public_id)).count() == 1
        assert ledger_ok()

    def test_an_appealed_claim_is_left_to_ops(self, partner, shop):
        claim = file(partner, shop, reason="FALSE_SHIPMENT")
        services.claim_escalate(claim=claim, now=FILED + timedelta(hours=1))
        decided = services.claim_decide(
            claim=claim, outcome="UPHELD", now=FILED + timedelta(days=4), note="Proven."
        )
        services.claim_appeal(
            claim=decided, now=FILED + timedelta(days=5), note="Shipped on time: SF1234."
        )

        assert process(decided, decided.appeal_by + SECOND) == "nothing"
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPEALED


class TestScanAndCommand:
    def test_the_scan_selects_exactly_the_claims_whose_deadline_passed(self, partner, shop):
        due_escalation = file(partner, shop, reason="FALSE_SHIPMENT")
        due_decision = file(partner, shop, consumer="buyer-2")
        settled = services.claim_settle(claim=file(partner, shop, consumer="buyer-3"), now=FILED)
        in_review = services.claim_escalate(
            claim=file(partner, shop, reason="FALSE_SHIPMENT", consumer="buyer-4"), now=FILED
        )
        at = due_escalation.respond_by
        seen: list[int] = []

        count = services.claims_due_scan(now=at, dispatch=seen.extend, page=1)

        assert count == 2
        assert sorted(seen) == sorted([due_escalation.pk, due_decision.pk])
        assert settled.next_deadline_at is None
        assert in_review.pk not in seen

    def test_one_pass_acts_on_each_due_claim_and_says_so_in_one_line(self, partner, shop):
        file(partner, shop, reason="FALSE_SHIPMENT")
        file(partner, shop, consumer="buyer-2")

        result = services.deadlines_run_pass(now=FILED + rules.RESPOND_WITHIN)
        again = services.deadlines_run_pass(now=FILED + rules.RESPOND_WITHIN)

        assert result.due == 2
        assert result.counts == {"escalated": 1, "auto_decided": 1}
        assert again.due == 0
        assert ledger_ok()

    def test_the_command_runs_a_pass_now(self, partner, shop):
        file(partner, shop, reason="FALSE_SHIPMENT")  # respond_by is long past the real now
        out = StringIO()

        call_command("claims_deadlines", stdout=out)

        line = out.getvalue().strip().splitlines()[-1]
        assert line.startswith("claims deadlines: 1 due, 1 escalated, 0 auto decided")
        assert Claim.objects.get().status == ClaimStatus.IN_REVIEW

    def test_the_api_shows_the_current_deadline_and_every_deadline(self, partner, shop):
        claim = services.claim_escalate(
            claim=file(partner, shop, reason="FALSE_SHIPMENT"), now=FILED
        )

        data = services.claim_data(claim, chinese=False)["deadlines"]

        assert data["kind"] == "evidence" and data["party"] == "BOTH"
        assert data["respond_by"] == "2026-11-05T06:00:00Z"
        assert data["at_local"] == "2026-11-05 14:00 (Asia/Shanghai)"
        assert data["decide_by"] == "2026-11-11T06:00:00Z"
        assert data["consequence_zh"].startswith("举证期届满")


class TestAdminForm:
    def test_ops_ask_the_consumer_for_more_from_the_claim_page(self, client, partner, shop):
        claim = services.claim_escalate(
            claim=file(partner, shop, reason="FALSE_SHIPMENT"), now=FILED
        )
        client.force_login(make_user(staff=True))
        url = f"/admin/claims/claim/{claim.pk}/request-material/"

        page = client.get(url)
        assert page.status_code == 200
        assert "要求补充材料" in page.content.decode()  # the admin speaks zh-Hans by default
        assert client.get(f"/admin/claims/claim/{claim.pk}/change/").status_code == 200

        response = client.post(url, {"party": "CONSUMER", "note": "The unboxing video."})

        assert response.status_code == 302
        claim.refresh_from_db()
        assert claim.consumer_evidence_by > claim.merchant_evidence_by
        event = claim.events.get(action="material_requested:CONSUMER")
        assert event.actor == "OPS" and "unboxing" in event.note

    def test_the_form_refuses_a_claim_not_in_review(self, client, partner, shop):
        claim = file(partner, shop, reason="FALSE_SHIPMENT")
        client.force_login(make_user(staff=True))

        response = client.post(
            f"/admin/claims/claim/{claim.pk}/request-material/",
            {"party": "CONSUMER", "note": "Photos."},
        )

        assert response.status_code == 200
        assert not claim.events.filter(action__startswith="material_requested").exists()

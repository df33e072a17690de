"""Ops in the admin: the queue (nearest deadline first, overdue marked, with an injected clock),
the claim page, deciding through the admin's URL, four-eyes, and the permissions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from claims import admin_panel, services
from claims.models import Claim, ClaimDecisionRequest, ClaimStatus, DecisionRequestStatus
from common.money import format_minor
from common.templatetags.money import money
from partners.services import partner_get_or_create
from tests.claims.ops_helpers import (
    appealed,
    balances,
    filed,
    funded_shop,
    in_review,
    ledger_ok,
    ops,
    staff,
)

pytestmark = pytest.mark.django_db

QUEUE = "/admin/claims/queuedclaim/"


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner, now):
    return funded_shop(partner, now)


@pytest.fixture
def clock(monkeypatch, now):
    """The ops screens read this clock: the test's `now` plus what the test sets."""
    state = {"now": now}
    monkeypatch.setattr(admin_panel, "clock", lambda: state["now"])
    return state


def decide_url(claim) -> str:
    return f"/admin/claims/claim/{claim.pk}/ops/decide/"


def page(claim) -> str:
    return f"/admin/claims/claim/{claim.pk}/change/"


def refs_in_order(html: str, refs: list[str]) -> list[str]:
    return sorted(refs, key=html.index)


@pytest.fixture(autouse=True)
def english(client):
    """Pages in English unless a test asks for Chinese (the site's default)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


class TestQueue:
    def test_waiting_claims_come_nearest_deadline_first_and_overdue_ones_are_marked(
        self, client, partner, shop, now, clock
    ):
        late = in_review(partner, shop, at=now - timedelta(days=10), external_ref="Q-LATE")
        fresh = in_review(partner, shop, at=now - timedelta(days=1), external_ref="Q-FRESH")
        appeal = appealed(
            partner, shop, decided_at=now - timedelta(days=3), appealed_at=now - timedelta(days=2)
        )
        filed(partner, shop, at=now, external_ref="Q-NEGOTIATING")
        client.force_login(ops())

        html = client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="en").content.decode()

        # decide_by: escalation + 3 days of evidence + 4 working days to decide (the fresh one's
        # window closes on a Wednesday, so the weekend pushes it to Tuesday); an appeal 4 days
        # after it
        assert late.decide_by == now - timedelta(days=3)
        assert refs_in_order(html, ["Q-LATE", appeal.external_ref, "Q-FRESH"]) == [
            "Q-LATE",
            appeal.external_ref,
            "Q-FRESH",
        ]
        assert "Q-NEGOTIATING" not in html
        # 2026-10-30 06:00 UTC is 14:00 in Shanghai
        assert "overdue since 2026-10-30 14:00 (UTC+08:00)" in html
        assert html.count("overdue since") == 1
        assert fresh.decide_by == now + timedelta(days=8)
        assert "2026-11-10 14:00 (UTC+08:00)" in html

    def test_the_clock_moves_a_claim_into_overdue(self, client, partner, shop, now, clock):
        in_review(partner, shop, at=now - timedelta(days=1), external_ref="Q-SOON")
        client.force_login(ops())
        assert "overdue since" not in client.get(QUEUE).content.decode()

        clock["now"] = now + timedelta(days=8, minutes=1)

        html = client.get(QUEUE).content.decode()
        assert "overdue since 2026-11-10 14:00 (UTC+08:00)" in html

    def test_filters_and_search(self, client, partner, shop, now, clock):
        in_review(partner, shop, at=now - timedelta(days=10), external_ref="Q-LATE")
        in_review(partner, shop, at=now - timedelta(days=1), external_ref="Q-FRESH")
        big = in_review(
            partner, shop, at=now, external_ref="Q-BIG", reason="COUNTERFEIT", paid=300_000
        )
        services.claim_decision_make(
            claim=big, outcome="UPHELD", note="Proven.", maker=ops(), now=now
        )
        client.force_login(ops())

        def listed(query: str) -> set[str]:
            html = client.get(QUEUE + query).content.decode()
            return set(re.findall(r"Q-[A-Z]+", html)) & {"Q-LATE", "Q-FRESH", "Q-BIG"}

        assert listed("?overdue=yes") == {"Q-LATE"}
        assert listed("?overdue=no") == {"Q-FRESH", "Q-BIG"}
        assert listed("?four_eyes=waiting") == {"Q-BIG"}
        assert listed("?four_eyes=above") == {"Q-BIG"}
        assert listed("?reason__exact=COUNTERFEIT") == {"Q-BIG"}
        assert listed("?status=APPEALED") == set()
        assert listed(f"?shop__id__exact={shop.pk}") == {"Q-LATE", "Q-FRESH", "Q-BIG"}
        assert listed("?q=Q-FRESH") == {"Q-FRESH"}

    def test_staff_without_the_permissions_see_the_queue_read_only(
        self, client, partner, shop, now, clock
    ):
        claim = in_review(partner, shop, at=now, external_ref="Q-VIEW")
        client.force_login(staff("view_claim"))

        assert "Q-VIEW" in client.get(QUEUE).content.decode()
        html = client.get(page(claim)).content.decode()
        assert "You may see this claim but not decide it." in html
        assert 'id="decide-claim"' not in html


class TestClaimPage:
    def test_the_page_shows_the_order_story_rule_calculator_and_timeline(
        self, client, partner, shop, now, clock
    ):
        earlier = in_review(partner, shop, at=now - timedelta(hours=2), external_ref="C-EARLY")
        services.claim_decide(claim=earlier, outcome="UPHELD", now=now - timedelta(hours=1))
        claim = in_review(
            partner,
            shop,
            at=now,
            paid=2_000_000,
            external_ref="C-NOW",
            paid_at=earlier.order_paid_at + timedelta(hours=2),
        )
        client.force_login(ops())

        html = client.get(page(claim)).content.decode()

        assert "Paid three days ago and still not shipped." in html
        assert "LATE_SHIPMENT@" in html
        # 30% of 20,000.00 is capped at 500.00, and C-EARLY already got 300.00 of it
        assert "C-EARLY" in html and "¥ 200.00" in html
        # The calculator in the reader's language: the rule by its name, money as money.
        assert "Late shipment rule (version of 2024-01-01): ¥ 20,000.00 paid × 30%" in html
        assert "the 24-hour cap takes off ¥ 300.00" in html
        assert 'id="decide-claim"' in html
        assert "Escalated: the platform intervenes" in html

    def test_the_records_amounts_read_as_money(self, client, partner, shop, now, clock):
        claim = in_review(partner, shop, at=now, paid=128_000)
        client.force_login(ops())

        html = client.get(page(claim)).content.decode()

        fields = dict(
            re.findall(
                r'>([^<>]+)</label>\s*</div>\s*<div class="grow[^"]*">\s*'
                r'<div class="readonly[^"]*">([^<]*)</div>',
                html,
            )
        )
        assert fields["Order paid"] == "¥ 1,280.00"
        assert fields["Compensation"] == money(claim.compensation_minor, "CNY")

    def test_the_page_reads_in_chinese(self, client, partner, shop, now, clock):
        claim = in_review(partner, shop, at=now)
        client.force_login(ops())

        html = client.get(page(claim), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

        rendered = (
            "“延迟发货”规则（2024-01-01 版）：实付 ¥ 1,000.00 × 30% = ¥ 300.00。赔付：¥ 300.00。"
        )
        # the calculator, the record's computation field, its Chinese computation (the partner's
        # text, money as the product writes it) and the timeline's estimate line
        assert html.count(rendered) == 4
        assert "赔付计算器：按规则当前应赔" in html and "裁定截止" in html


class TestDecideThroughTheAdmin:
    def test_it_moves_the_money_exactly_as_the_api_decision(self, client, partner, now, clock):
        by_admin_shop, by_api_shop = funded_shop(partner, now), funded_shop(partner, now)
        by_admin = in_review(partner, by_admin_shop, at=now)
        by_api = in_review(partner, by_api_shop, at=now)
        clock["now"] = now + timedelta(hours=1)
        client.force_login(ops("alice"))

        response = client.post(
            decide_url(by_admin), {"outcome": "PARTLY_UPHELD", "amount": "200.00", "note": "Half."}
        )
        services.claim_decide(
            claim=by_api, outcome="PARTLY_UPHELD", amount_minor=20_000, now=now + timedelta(hours=1)
        )

        assert response.status_code == 302
        decided = Claim.objects.get(pk=by_admin.pk)
        assert decided.status == ClaimStatus.DECIDED and decided.compensation_minor == 20_000
        assert balances(by_admin_shop) == balances(by_api_shop)
        assert [(f.source, f.amount_minor) for f in decided.funding.all()] == [
            (f.source, f.amount_minor) for f in Claim.objects.get(pk=by_api.pk).funding.all()
        ]
        event = decided.events.get(action="decided:PARTLY_UPHELD")
        assert (event.actor, event.actor_label) == ("OPS", "alice")
        assert ledger_ok()

    def test_a_refusal_is_a_message_and_nothing_moves(self, client, partner, shop, now, clock):
        claim = in_review(partner, shop, at=now)
        before = balances(shop)
        client.force_login(ops())

        response = client.post(
            decide_url(claim),
            {"outcome": "PARTLY_UPHELD", "amount": "", "note": "Half."},
            follow=True,
        )

        html = response.content.decode()
        assert "Refused" in html
        assert "Half.</textarea>" in html  # what ops typed is still there
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
        assert balances(shop) == before

    @staticmethod
    def refusals(response) -> list[str]:
        return [str(m) for m in response.context["messages"] if "Refused" in str(m)]

    def test_a_missing_amount_is_named_once_by_the_forms_label_and_the_outcomes_label(
        self, client, partner, shop, now, clock
    ):
        claim = in_review(partner, shop, at=now)
        client.force_login(ops())

        response = client.post(
            decide_url(claim), {"outcome": "PARTLY_UPHELD", "amount": "", "note": "Half."}
        )

        assert self.refusals(client.get(page(claim))) == [
            "Refused: Amount: Required for “Partly upheld”."
        ]
        assert response.status_code == 302

    def test_an_amount_at_the_rule_amount_is_refused_in_money(
        self, client, partner, shop, now, clock
    ):
        claim = in_review(partner, shop, at=now)
        rule = format_minor(claim.compensation_minor, "CNY")
        client.force_login(ops())

        client.post(
            decide_url(claim), {"outcome": "PARTLY_UPHELD", "amount": rule, "note": "Half."}
        )

        assert self.refusals(client.get(page(claim))) == [
            f"Refused: Amount: “Partly upheld” awards less than the rule amount ¥ {rule}."
        ]

    def test_without_the_permission_the_decide_url_is_403(self, client, partner, shop, now):
        claim = in_review(partner, shop, at=now)
        client.force_login(staff("view_claim"))

        response = client.post(decide_url(claim), {"outcome": "UPHELD", "note": "x"})

        assert response.status_code == 403
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW

    def test_approving_needs_its_own_permission(self, client, partner, shop, now, clock):
        claim = in_review(partner, shop, at=now, reason="COUNTERFEIT", paid=300_000)
        request = services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Proven.", maker=ops(), now=now
        )
        client.force_login(staff("view_claim", "decide_claim"))

        response = client.post(f"/admin/claims/claim/{claim.pk}/ops/requests/{request.pk}/approve/")

        assert response.status_code == 403
        assert ClaimDecisionRequest.objects.get().status == DecisionRequestStatus.PENDING


class TestFourEyesThroughTheAdmin:
    def test_above_the_amount_it_waits_then_a_second_person_approves(
        self, client, partner, shop, now, clock
    ):
        claim = in_review(partner, shop, at=now, reason="COUNTERFEIT", paid=300_000)
        before = balances(shop)
        alice, bob = ops("alice"), ops("bob")
        client.force_login(alice)

        client.post(decide_url(claim), {"outcome": "UPHELD", "note": "Brand letter."})

        request = ClaimDecisionRequest.objects.get()
        assert request.status == DecisionRequestStatus.PENDING and request.maker == alice
        assert balances(shop) == before
        approve = f"/admin/claims/claim/{claim.pk}/ops/requests/{request.pk}/approve/"
        html = client.get(page(claim)).content.decode()
        assert "Waiting for a second person" in html and 'id="approve-decision"' not in html

        # the maker's own approval is refused
        client.post(approve, {"note": ""})
        assert ClaimDecisionRequest.objects.get().status == DecisionRequestStatus.PENDING
        assert balances(shop) == before

        client.force_login(bob)
        assert 'id="approve-decision"' in client.get(page(claim)).content.decode()
        client.post(approve, {"note": "Checked the letter."})
        client.post(approve, {"note": "Again."})

        decided = Claim.objects.get(pk=claim.pk)
        assert decided.status == ClaimStatus.DECIDED and decided.compensation_minor == 1_500_000
        assert decided.events.filter(action__startswith="decided:").count() == 1
        assert balances(shop)[0] == before[0] - 1_500_000
        assert ledger_ok()

    def test_the_list_of_waiting_decisions_renders_with_its_actions(
        self, client, partner, shop, now, clock
    ):
        claim = in_review(partner, shop, at=now, reason="COUNTERFEIT", paid=300_000)
        services.claim_decision_make(
            claim=claim, outcome="UPHELD", note="Proven.", maker=ops("alice"), now=now
        )
        client.force_login(ops("bob"))

        html = client.get("/admin/claims/claimdecisionrequest/").content.decode()

        assert claim.external_ref in html and "¥ 15,000.00" in html
        assert 'value="approve"' in html and 'value="reject"' in html


class TestAppealSlot:
    def test_ops_uphold_an_appeal_from_the_claim_page_and_the_payout_comes_back(
        self, client, partner, shop, now, clock
    ):
        claim = appealed(
            partner, shop, decided_at=now - timedelta(days=2), appealed_at=now - timedelta(days=1)
        )
        before = balances(shop)
        client.force_login(ops())

        html = client.get(page(claim)).content.decode()
        response = client.post(
            f"/admin/claims/claim/{claim.pk}/ops/appeal/",
            {"outcome": "UPHELD", "note": "The tracking shows it shipped."},
            follow=True,
        )

        assert 'id="claim-appeal"' in html and 'id="decide-claim"' not in html
        closed = Claim.objects.get(pk=claim.pk)
        assert closed.status == ClaimStatus.CLOSED and closed.appeal_outcome == "UPHELD"
        assert "Appeal decided" in response.content.decode()
        # The award (captured from the hold) is back on the deposit by a new posting.
        posted, held, debt = balances(shop)
        assert posted == before[0] + claim.compensation_minor and held == before[1]
        assert debt == before[2] == 0
        assert ledger_ok()

    def test_without_the_permission_the_appeal_url_is_403(self, client, partner, shop, now):
        claim = appealed(
            partner, shop, decided_at=now - timedelta(days=2), appealed_at=now - timedelta(days=1)
        )
        client.force_login(staff("view_claim"))

        response = client.post(
            f"/admin/claims/claim/{claim.pk}/ops/appeal/", {"outcome": "UPHELD", "note": "x"}
        )

        assert response.status_code == 403


class TestMoneyAsTheProductWritesIt:
    """The admin's claim pages and messages write amounts as the dashboard and the API do
    ("¥ 15,000.00", common.templatetags.money), never "15,000.00 CNY", in either language."""

    HAND_WRITTEN = re.compile(r"\d (?:CNY|HKD|USD|EUR|JPY)\b")

    @staticmethod
    def said(response) -> list[str]:
        return [str(m) for m in response.context["messages"]]

    def test_the_decision_messages(self, client, partner, shop, now, clock):
        small = in_review(partner, shop, at=now)
        large = in_review(
            partner, funded_shop(partner, now), at=now, reason="COUNTERFEIT", paid=300_000
        )
        client.force_login(ops("alice"))

        decided = client.post(
            decide_url(small),
            {"outcome": "PARTLY_UPHELD", "amount": "200.00", "note": "Half."},
            follow=True,
        )
        waiting = client.post(
            decide_url(large), {"outcome": "UPHELD", "note": "Brand letter."}, follow=True
        )
        request = ClaimDecisionRequest.objects.get()
        client.force_login(ops("bob"))
        approved = client.post(
            f"/admin/claims/claim/{large.pk}/ops/requests/{request.pk}/approve/",
            {"note": "Checked."},
            follow=True,
        )

        assert "Decided: Partly upheld, ¥ 200.00." in self.said(decided)
        assert any(m.startswith("The award ¥ 15,000.00 is above ¥ ") for m in self.said(waiting))
        assert "Approved and carried out: Upheld, ¥ 15,000.00." in self.said(approved)

    @pytest.mark.parametrize("language", ["en", "zh-hans"])
    def test_the_claim_pages(self, client, partner, shop, now, clock, language):
        decided = in_review(partner, shop, at=now)
        services.claim_decide(
            claim=decided, outcome="PARTLY_UPHELD", amount_minor=20_000, now=now, note="Half."
        )
        waiting = in_review(
            partner, funded_shop(partner, now), at=now, reason="COUNTERFEIT", paid=300_000
        )
        services.claim_decision_make(
            claim=waiting, outcome="UPHELD", note="Proven.", maker=ops("alice"), now=now
        )
        client.force_login(ops("bob"))
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language

        pages = {
            url: client.get(url).content.decode()
            for url in (
                page(decided),
                page(waiting),
                "/admin/claims/claim/",
                "/admin/claims/claimfunding/",
                "/admin/claims/claimdecisionrequest/",
                QUEUE,
            )
        }

        for url, html in pages.items():
            assert self.HAND_WRITTEN.findall(html) == [], url
        assert "¥ 200.00" in pages[page(decided)]  # the funding row and the timeline
        assert "¥ 15,000.00" in pages[page(waiting)]
        assert "¥ 15,000.00" in pages["/admin/claims/claimdecisionrequest/"]

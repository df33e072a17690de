"""The claim timeline in the reader's language: what the system wrote (the deadline passed, the
automatic decision, the appeal window ending, the hold released) is stored as a code with its
parameters and rendered when the page is read, so the same rows read in Chinese on the Chinese
interface and in English on the English one; what a person typed is shown as typed in both. The
partner API keeps its one English note. Rows written before the codes are mapped by a data
migration where their wording is known, and shown as stored otherwise.

The Chinese assertions need this branch's Chinese texts in the merged locale files."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from claims import selectors, services
from claims.models import Actor, Claim
from claims.services.records import claim_data
from partners.services import partner_get_or_create
from shops.models import MerchantUser
from tests.claims.ops_helpers import ops
from tests.factories import fund, make_member, make_shop

pytestmark = [pytest.mark.django_db]

# Monday 2 November 2026, 14:00 in Shanghai; the order was paid three days before.
FILED = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
PAID = FILED - timedelta(days=3)
DEADLINE_PASSED_EN = "The merchant did not answer by 2026-11-04 14:00 (Asia/Shanghai)"
DEADLINE_PASSED_ZH = "商家未在 2026-11-04 14:00 (Asia/Shanghai) 前答复：平台介入。"
AUTO_DECIDED_EN = "Decided automatically by rule"
AUTO_DECIDED_ZH = "自动裁决：订单数据证明发货延迟"
FINAL_EN = "The appeal window ended without an appeal: the decision is final."
FINAL_ZH = "申诉期已结束且未申诉：裁决为最终结果。"

migration = importlib.import_module("claims.migrations.0014_timeline_system_notes_from_english")


@pytest.fixture
def partner(db):
    return partner_get_or_create(name="Tmall")


@pytest.fixture
def shop(partner):
    shop, account = make_shop(now=FILED - timedelta(days=30), partner_id=partner.pk)
    fund(account, 5_000_000, now=FILED - timedelta(days=30))
    return shop


@pytest.fixture
def owner(client, shop):
    user = make_member(shop, role=MerchantUser.Role.OWNER)
    client.force_login(user)
    return user


def file(partner, shop, ref="T-1") -> Claim:
    claim, _ = services.claim_file(
        partner_id=partner.pk,
        shop=shop,
        external_ref=ref,
        reason="LATE_SHIPMENT",
        order_ref=f"O-{ref}",
        order_paid_minor=100_000,
        currency="CNY",
        order_paid_at=PAID,
        order_shipped_at=None,
        consumer_ref="buyer-1",
        description="Not shipped after 48 hours.",
        now=FILED,
    )
    return claim


@pytest.fixture
def final_claim(partner, shop) -> Claim:
    """Unanswered past its deadline, decided by the rule, then final when the appeal window
    ended: three rows the system wrote, none a person typed."""
    claim = file(partner, shop)
    assert services.claim_deadline_process(claim_id=claim.pk, now=claim.respond_by) == (
        "auto_decided"
    )
    claim = Claim.objects.get(pk=claim.pk)
    services.claim_close_unappealed(claim=claim, now=claim.appeal_by)
    return selectors.claim_with_details(claim.pk)


def timeline_text(client, claim: Claim, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("claims:detail", args=[claim.public_id]))
    assert response.status_code == 200
    assert response.context["LANGUAGE_CODE"] == language
    return "\n".join(row["note"] for row in response.context["timeline"])


def page_text(client, claim: Claim, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client.get(reverse("claims:detail", args=[claim.public_id])).content.decode()


def test_the_system_rows_are_stored_as_codes_not_as_english(final_claim):
    rows = {e.action: e for e in final_claim.events.all()}

    assert rows["escalated"].note == "" and rows["decided:UPHELD"].note == ""
    assert [n["code"] for n in rows["escalated"].system_notes] == ["no_answer", "hold_placed"]
    assert rows["decided:UPHELD"].system_notes[0]["code"] == "auto_decided"
    assert rows["decided:UPHELD"].system_notes[0]["params"]["shipped_at"] is None
    assert rows["closed"].system_notes == [{"code": "closed_unappealed", "params": {}}]


def test_an_english_reader_reads_the_system_notes_and_the_reason_in_english(
    client, owner, final_claim
):
    notes = timeline_text(client, final_claim, "en")

    assert DEADLINE_PASSED_EN in notes
    assert AUTO_DECIDED_EN in notes and "not shipped" in notes
    assert FINAL_EN in notes
    assert "Late shipment" in page_text(client, final_claim, "en")


def test_a_chinese_reader_reads_the_same_rows_in_chinese(client, owner, final_claim):
    notes = timeline_text(client, final_claim, "zh-hans")

    assert DEADLINE_PASSED_ZH in notes
    assert AUTO_DECIDED_ZH in notes
    assert FINAL_ZH in notes
    assert DEADLINE_PASSED_EN not in notes and AUTO_DECIDED_EN not in notes
    assert FINAL_EN not in notes
    page = page_text(client, final_claim, "zh-hans")
    assert "延迟发货" in page and "Late shipment" not in page


def test_the_page_leaves_out_the_record_of_money_and_the_task_s_name(client, owner, final_claim):
    page = page_text(client, final_claim, "en")
    notes = timeline_text(client, final_claim, "en")

    # The hold and the funding are the page's own panels; "deadline task" is machine English.
    assert "Hold " not in notes and "Funding:" not in notes
    assert "deadline task" not in page


def test_what_a_person_typed_is_shown_as_typed_in_both_languages(client, owner, partner, shop):
    claim = file(partner, shop)
    grounds = "Shipped on day 1 with SF1234; 已按时发货。"
    services.claim_escalate(
        claim=claim, now=FILED + timedelta(hours=1), note=grounds, actor=Actor.MERCHANT
    )
    escalated = Claim.objects.get(pk=claim.pk).events.get(action="escalated")
    assert escalated.note == grounds

    assert grounds in timeline_text(client, claim, "en")
    assert grounds in timeline_text(client, claim, "zh-hans")


@pytest.mark.parametrize(("language", "final"), [("en", FINAL_EN), ("zh-hans", FINAL_ZH)])
def test_the_admin_timeline_follows_the_reader_s_language(client, final_claim, language, final):
    client.force_login(ops())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(reverse("admin:claims_claim_change", args=[final_claim.pk])).content.decode()

    assert final in html


def test_the_api_keeps_one_english_note_whatever_the_active_language(final_claim):
    with translation.override("zh-hans"):
        timeline = claim_data(final_claim)["timeline"]

    notes = {row["action"]: row["note"] for row in timeline}
    assert notes["escalated"].startswith(DEADLINE_PASSED_EN)
    assert "Hold " in notes["escalated"] and " placed." in notes["escalated"]
    assert notes["decided:UPHELD"].startswith(AUTO_DECIDED_EN)
    assert "Funding: Deposit ¥ 300.00." in notes["decided:UPHELD"]
    assert notes["closed"] == FINAL_EN


class TestTheMigrationOfEnglishNotes:
    def test_known_lines_become_codes_and_a_person_s_lines_stay(self, partner, shop):
        claim = file(partner, shop)
        old = (
            "The parcel left on day 1.\n"
            "Hold 6b1c2d3e-0000-4000-8000-000000000001 placed.\n"
            "Funding: DEPOSIT 30000, INSURER_ADVANCE 500.\n"
            "The merchant did not answer by 2026-11-04 14:00 (Asia/Shanghai): the platform "
            "intervenes."
        )

        kept, system = migration.split(old, claim)

        assert kept == "The parcel left on day 1."
        assert system == [
            {"code": "hold_placed", "params": {"hold": "6b1c2d3e-0000-4000-8000-000000000001"}},
            {
                "code": "funding",
                "params": {
                    "rows": [["DEPOSIT", 30000], ["INSURER_ADVANCE", 500]],
                    "currency": "CNY",
                },
            },
            {"code": "no_answer", "params": {"respond_by": "2026-11-04T14:00:00+08:00"}},
        ]

    def test_the_rule_s_computation_takes_its_chinese_from_the_claim(self, partner, shop):
        claim = file(partner, shop)

        _, system = migration.split(f"Estimate: {claim.computation_en}", claim)

        assert system == [
            {
                "code": "estimate",
                "params": {"en": claim.computation_en, "zh": claim.computation_zh},
            }
        ]

    def test_an_unknown_wording_is_left_as_stored(self, partner, shop):
        claim = file(partner, shop)

        assert migration.split("Called the buyer; no answer.", claim) == (
            "Called the buyer; no answer.",
            [],
        )

    def test_a_migrated_row_reads_as_it_did_in_english(self, partner, shop):
        claim = file(partner, shop)
        old = "Escalated by phone.\nNothing available on the deposit to hold."
        event = claim.events.create(at=FILED, actor=Actor.OPS, action="escalated", note=old)
        event.note, event.system_notes = migration.split(old, claim)
        event.save()

        with translation.override("en"):
            assert event.text() == old

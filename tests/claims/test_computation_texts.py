"""A claim's computation in the reader's language: the calculator stores its arithmetic as facts
beside the English and Chinese texts the partner API returns, and the pages render the facts
with the rule's name (its reason) and money as the dashboard writes it. Claims stored before
the facts are read back from their English text; a text that cannot be read shows as stored."""

from __future__ import annotations

import pytest
from django.utils import translation

from claims.domain import computation_texts
from claims.domain.compensation import MULTIPLIER, OPS_DECIDES, RATE, RuleTerms, compensation_award

LATE = RuleTerms(
    code="LATE_SHIPMENT@2024-01-01", kind=RATE, rate_bps=3000, maximum_minor=50_000, window_hours=24
)
RATE_WITH_MINIMUM = RuleTerms(
    code="FALSE_SHIPMENT@2025-03-01", kind=RATE, rate_bps=1250, minimum_minor=50_000
)
COUNTERFEIT = RuleTerms(
    code="COUNTERFEIT@2024-01-01", kind=MULTIPLIER, multiplier=4, maximum_minor=250_000
)
OTHER = RuleTerms(code="OTHER@2024-01-01", kind=OPS_DECIDES)


def award(terms, earlier=0):
    return compensation_award(
        terms=terms,
        paid_minor=100_000,
        currency="CNY",
        requested_minor=8_000,
        earlier_awards_minor=earlier,
    )


def read(facts, language):
    with translation.override(language):
        return computation_texts.render(facts)


class TestRendering:
    def test_a_capped_rate_in_english_and_chinese(self):
        facts = award(LATE, earlier=45_000).facts

        assert read(facts, "en") == (
            "Late shipment rule (version of 2024-01-01): ¥ 1,000.00 paid × 30% = ¥ 300.00; "
            "this consumer was already awarded ¥ 450.00 by this shop for orders paid within "
            "24 h of this one; at most ¥ 500.00 in total, so ¥ 50.00 remains and the 24-hour "
            "cap takes off ¥ 250.00. Award: ¥ 50.00."
        )
        assert read(facts, "zh-hans") == (
            "“延迟发货”规则（2024-01-01 版）：实付 ¥ 1,000.00 × 30% = ¥ 300.00；"
            "该消费者在本店 24 小时内付款的其他订单已获赔 ¥ 450.00，合计最高 ¥ 500.00，"
            "尚余 ¥ 50.00，24 小时累计上限扣减 ¥ 250.00。赔付：¥ 50.00。"
        )

    def test_the_chinese_reading_has_no_code_and_no_currency_code(self):
        for terms in (LATE, RATE_WITH_MINIMUM, COUNTERFEIT, OTHER):
            text = read(award(terms).facts, "zh-hans")

            assert "@" not in text and "CNY" not in text and "规则 " not in text
            assert "¥ 1,000.00" in text or "¥ 80.00" in text

    def test_a_multiplier_lowered_to_its_maximum(self):
        facts = award(COUNTERFEIT).facts

        assert read(facts, "zh-hans") == (
            "“假冒商品”规则（2024-01-01 版）：退款 ¥ 1,000.00 + 3 倍赔偿（3 × ¥ 1,000.00）"
            "= ¥ 4,000.00（实付的 4 倍）；超过最高赔付额，按最高 ¥ 2,500.00。赔付：¥ 2,500.00。"
        )

    def test_decisions_read_after_the_rule(self):
        rule = award(LATE).facts
        ops = award(OTHER).facts

        partly = {**rule, "decision": {"outcome": "PARTLY_UPHELD", "amount": 10_000}}
        rejected = {**rule, "decision": {"outcome": "REJECTED", "amount": 0}}
        decided = {**ops, "decision": {"outcome": "UPHELD", "amount": 6_000}}

        assert read(partly, "en").endswith(
            "Award: ¥ 300.00. Partly upheld: ¥ 100.00 of the rule's ¥ 300.00."
        )
        assert read(partly, "zh-hans").endswith(
            "赔付：¥ 300.00。部分支持：按规则应赔 ¥ 300.00，裁定赔付 ¥ 100.00。"
        )
        assert read(rejected, "zh-hans").endswith("赔付：¥ 300.00。驳回：不予赔付。")
        assert read(decided, "en") == (
            "Other rule (version of 2024-01-01): ops decided ¥ 60.00 (upheld)."
        )
        assert (
            read(decided, "zh-hans")
            == "“其他”规则（2024-01-01 版）：平台裁定赔付 ¥ 60.00（支持）。"
        )


class TestStoredBeforeTheFacts:
    @pytest.mark.parametrize("terms", [LATE, RATE_WITH_MINIMUM, COUNTERFEIT, OTHER])
    @pytest.mark.parametrize("earlier", [0, 45_000])
    def test_the_calculators_english_reads_back_into_the_same_facts(self, terms, earlier):
        computed = award(terms, earlier)

        assert computation_texts.facts_from_text(computed.computation_en) == computed.facts

    def test_a_decided_text_reads_back_with_its_decision(self):
        en = (
            "Rule LATE_SHIPMENT@2024-01-01: 1,000.00 CNY paid × 30% = 300.00 CNY. "
            "Award: 300.00 CNY. Partly upheld: 100.00 CNY of the rule's 300.00 CNY."
        )

        with translation.override("zh-hans"):
            text = computation_texts.computation_text({}, en, "规则 LATE_SHIPMENT@2024-01-01:…")

        assert text == (
            "“延迟发货”规则（2024-01-01 版）：实付 ¥ 1,000.00 × 30% = ¥ 300.00。赔付：¥ 300.00。"
            "部分支持：按规则应赔 ¥ 300.00，裁定赔付 ¥ 100.00。"
        )

    def test_a_text_it_cannot_read_shows_as_stored_in_the_readers_language(self):
        en, zh = "Rule LATE_SHIPMENT: 1,000.00 CNY paid x 30% = 300.00 CNY.", "规则 旧文本。"

        with translation.override("zh-hans"):
            chinese = computation_texts.computation_text({}, en, zh)
        with translation.override("en"):
            english = computation_texts.computation_text({}, en, zh)

        assert (chinese, english) == (zh, en)

    def test_facts_this_version_cannot_read_fall_back_to_the_text(self):
        rule = {"rule": "LATE_SHIPMENT@2024-01-01", "currency": "CNY"}
        unknown_step = {**rule, "steps": [{"code": "?"}], "award": 30_000}
        no_award = {**rule, "steps": []}

        with translation.override("en"):
            texts = [
                computation_texts.computation_text(f, "stored", "已存")
                for f in (unknown_step, no_award)
            ]

        assert texts == ["stored", "stored"]

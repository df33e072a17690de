"""The deposits services' refusals in the reader's language, money as the product writes it
(¥ 100.00, not "100.00 CNY"), and the admin's names of adjustment requests and requirement rules
with their money written the same way."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone, translation

from common.errors import InsufficientFunds, NotFound
from deposits import services
from deposits.models import (
    AdjustmentRequest,
    BaseRequirementRule,
    CategoryRequirementRule,
    ShopRequirementOverride,
)
from shops.models import Category, Shop
from tests.factories import fund, make_shop, make_user

NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.mark.django_db
class TestDepositRefusals:
    def test_a_reversal_of_nothing_is_refused_in_chinese_for_a_chinese_reader(self):
        with translation.override("zh-hans"), pytest.raises(NotFound) as refused:
            services.transaction_reverse(
                transaction_id=-1, reason="wrong", actor=None, idempotency_key="k", now=NOW
            )

        assert refused.value.detail == "没有该交易。"

    def test_an_adjustment_beyond_the_available_names_it_as_money(self, settings):
        settings.FOUR_EYES_THRESHOLDS_MINOR = {
            **settings.FOUR_EYES_THRESHOLDS_MINOR,
            "deposits.adjustment": 1_000,
        }
        now = timezone.now()
        _, account = make_shop(now=now)
        fund(account, 100_00, now=now)

        def refusal_in(language: str) -> str:
            with translation.override(language), pytest.raises(InsufficientFunds) as refused:
                services.deposit_adjust(
                    account_id=account.pk,
                    amount_minor=-500_00,
                    reason="fee",
                    actor=make_user(staff=True),
                    idempotency_key="adjust-1",
                    now=now,
                )
            return refused.value.detail

        assert refusal_in("en") == "The adjustment exceeds the available deposit (¥ 100.00)."
        assert refusal_in("zh-hans") == "调整金额超过可用保证金（¥ 100.00）。"


class TestMoneyInTheAdminsNames:
    def test_an_adjustment_request_writes_its_amount_as_money(self):
        credit = AdjustmentRequest(amount_minor=2_000_000, currency="CNY", status="PENDING")
        debit = AdjustmentRequest(amount_minor=-15_000, currency="CNY", status="REJECTED")

        with translation.override("en"):
            assert str(credit) == "Adjustment +¥ 20,000.00 (Waiting for a second person)"
            assert str(debit) == "Adjustment -¥ 150.00 (Rejected)"

    def test_a_base_rule_writes_its_amount_as_money(self):
        rule = BaseRequirementRule(
            shop_type="FLAGSHIP", trademark_status="REGISTERED", amount_minor=5_000_000
        )

        assert str(rule) == "FLAGSHIP/REGISTERED: ¥ 50,000.00"

    def test_a_category_rule_writes_its_amount_as_money(self):
        rule = CategoryRequirementRule(
            category=Category(code="jewellery"), amount_minor=1_000_000, currency="CNY"
        )

        with translation.override("en"):
            assert str(rule) == "jewellery (any shop): ¥ 10,000.00"

    def test_an_override_writes_its_amount_in_the_shop_s_currency(self):
        override = ShopRequirementOverride(
            shop=Shop(name="Shop HK", currency="HKD"), amount_minor=300_000
        )

        assert str(override) == "Shop HK: HK$ 3,000.00"

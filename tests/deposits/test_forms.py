"""The dashboard's amount forms: a typed amount is parsed once with Money, and every refusal is
worded by the domain error's code in the page's language (never by matching English text)."""

from __future__ import annotations

import pytest
from django.utils import translation

from common.money import Money
from deposits.forms import AmountForm, WithdrawForm

pytestmark = pytest.mark.django_db

KEY = "0123456789abcdef0123456789abcdef"


def amount_errors(text: str, currency: str = "CNY", language: str = "en") -> list[dict]:
    with translation.override(language):
        form = AmountForm({"amount": text}, currency=currency)
        assert not form.is_valid()
        return form.errors.get_json_data()["amount"]


class TestAmountForm:
    def test_a_grouped_amount_becomes_money_in_minor_units(self):
        form = AmountForm({"amount": "1,000.50"}, currency="CNY")

        assert form.is_valid()
        assert form.cleaned_data["amount"] == Money(100_050, "CNY")

    @pytest.mark.parametrize(
        "text, currency, code, message",
        [
            ("abc", "CNY", "amount_not_a_number", "Enter a number such as 1000.00."),
            ("1e5", "CNY", "amount_not_a_number", "Enter a number such as 1000.00."),
            ("", "CNY", "required", "Enter a number such as 1000.00."),
            ("10.001", "CNY", "amount_too_precise", "At most 2 decimal places for CNY."),
            ("1.5", "JPY", "amount_too_precise", "At most 0 decimal places for JPY."),
            ("1" + "0" * 20, "CNY", "amount_too_large", "The amount is too large."),
            ("0", "CNY", "amount_not_positive", "Enter an amount above zero."),
        ],
    )
    def test_each_refusal_has_its_code_and_sentence(self, text, currency, code, message):
        (error,) = amount_errors(text, currency)

        assert (error["code"], error["message"]) == (code, message)

    def test_the_sentence_is_in_the_pages_language(self):
        (error,) = amount_errors("10.001", language="zh-hans")

        assert error["message"] == "CNY 最多 2 位小数。"


class TestWithdrawForm:
    def test_the_one_time_key_comes_back_as_it_was_shown(self):
        form = WithdrawForm({"amount": "100", "idempotency_key": KEY}, currency="CNY")

        assert form.is_valid()
        assert form.cleaned_data["idempotency_key"] == KEY

    @pytest.mark.parametrize("key", ["", "not-a-key"])
    def test_a_missing_or_forged_key_says_the_form_expired(self, key):
        with translation.override("en"):
            form = WithdrawForm({"amount": "100", "idempotency_key": key}, currency="CNY")

            assert not form.is_valid()
            assert form.non_field_errors() == ["The form has expired. Check and confirm again."]

    def test_each_showing_gets_a_new_key(self):
        assert WithdrawForm.new_key() != WithdrawForm.new_key()

import re

import pytest
from django.conf import settings
from django.template import Context, Template

from common.errors import InvalidInput
from common.money import Money
from common.templatetags.money import money


class TestMoneyParse:
    @pytest.mark.parametrize(
        ("text", "minor"),
        [("1,000.50", 100_050), ("¥ 12", 1_200), ("0.01", 1), ("-3.5", -350)],
    )
    def test_parses_major_units_into_integer_minor_units(self, text, minor):
        assert Money.parse(text, "CNY") == Money(minor, "CNY")

    @pytest.mark.parametrize("text", ["12.345", "abc", "NaN", "Infinity", "1e30"])
    def test_refuses_what_is_not_an_exact_amount_and_names_the_field(self, text):
        with pytest.raises(InvalidInput) as error:
            Money.parse(text, "CNY")

        assert "amount" in error.value.fields

    def test_yen_has_no_minor_units(self):
        assert Money.parse("1500", "JPY").amount_minor == 1500
        with pytest.raises(InvalidInput):
            Money.parse("1.5", "JPY")

    def test_an_unknown_currency_is_refused_naming_currency(self):
        with pytest.raises(InvalidInput) as error:
            Money.parse("1", "XXX")

        assert "currency" in error.value.fields


class TestMoneyArithmetic:
    def test_adds_only_the_same_currency(self):
        assert Money(100, "CNY") + Money(50, "CNY") == Money(150, "CNY")
        with pytest.raises(ValueError):
            Money(100, "CNY") + Money(1, "USD")

    def test_refuses_floats(self):
        with pytest.raises(TypeError):
            Money(1.5, "CNY")  # type: ignore[arg-type]


class TestMoneyFilter:
    def test_formats_grouped_major_units_with_the_symbol(self):
        assert money(5_000_000, "CNY") == "¥ 50,000.00"

    def test_puts_the_sign_before_the_symbol(self):
        assert money(-15_000, "CNY") == "-¥ 150.00"

    def test_shows_a_dash_for_no_amount(self):
        assert money(None, "CNY") == "—"


class TestMoneyKeptOnOneLine:
    """On a phone "¥" must not end one line and its digits start the next (the recovery banner in
    Chinese at 390 px did): in pages every amount is one `<span class="money">`, which the
    stylesheet keeps on one line; the text inside is what `money` writes."""

    def test_the_template_filter_wraps_the_amount_and_keeps_its_text(self):
        html = Template("{% load money %}{{ amount|money:'CNY' }}").render(
            Context({"amount": -120_000})
        )

        assert html == '<span class="money">-¥ 1,200.00</span>'

    def test_a_sentence_built_in_python_keeps_its_amounts_together_and_is_escaped(self):
        sentence = "先行垫付 <b>¥ 1,200.00</b>，已还 HK$ 5.00 与 JP¥ 300。"

        html = Template("{% load money %}{{ sentence|money_nowrap }}").render(
            Context({"sentence": sentence})
        )

        assert html == (
            '先行垫付 &lt;b&gt;<span class="money">¥ 1,200.00</span>&lt;/b&gt;，已还 '
            '<span class="money">HK$ 5.00</span> 与 <span class="money">JP¥ 300</span>。'
        )

    def test_the_stylesheet_keeps_the_span_on_one_line(self):
        css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()

        rule = re.search(r"([^{}]*\.money\b[^{}]*)\{([^}]*)\}", css)

        assert rule is not None and "white-space: nowrap" in rule.group(2)

"""Money as people read it: `money` in Python writes the text ("¥ 50,000.00"), for sentences
built in views and services, notices and e-mails (`money_and_minor` adds the minor units, for the
partner API's refusals); `{{ x|money:currency }}` in templates writes
the same text kept on one line, and `{{ text|money_nowrap }}` keeps the amounts of a sentence
built in Python on one line.

Why on one line: the space between the symbol and the digits is a place a browser may break a
line, and on a phone (the recovery banner in Chinese at 390 px) "¥" ended one line and
"1,200.00" began the next. The text itself keeps its ordinary space, so what is copied, what a
screen reader says and what tests read stay the same; the HTML wraps each amount in
`<span class="money">`, which the stylesheets set `white-space: nowrap`.
"""

import re

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from common.money import CURRENCY_EXPONENTS, format_minor

register = template.Library()


def money(amount_minor: int | None, currency: str = "CNY") -> str:
    """money(5_000_000, "CNY") → "¥ 50,000.00"; a debit → "-¥ 150.00"; None → "—"."""
    if amount_minor is None:
        return "—"
    if currency not in CURRENCY_EXPONENTS:
        currency = "CNY"
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}[currency]
    amount = int(amount_minor)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol} {format_minor(abs(amount), currency)}"


def money_and_minor(amount_minor: int, currency: str) -> str:
    """money_and_minor(123400, "CNY") → "¥ 1,234.00 (123400 minor units)", in the active language.

    For refusals a partner's engineer reads (the API's `detail`): the amount as the dashboard
    writes it, and the same number the API's `*_minor` fields carry, so that nobody reads 123400
    as yuan or 1,234.00 as fen."""
    return gettext("%(money)s (%(minor)s minor units)") % {
        "money": money(amount_minor, currency),
        "minor": int(amount_minor),
    }


# What `money` writes, and nothing else: a symbol, one space, digits with thousands commas and the
# currency's decimals ("¥ 12,000.00", "-HK$ 5.00", "JP¥ 300"). Notices are stored as text;
# a reader who may not see amounts gets them masked with this (shops.selectors.notice_rows).
MONEY_TEXT = re.compile(r"-?(?:HK\$|JP¥|¥|\$|€) \d{1,3}(?:,\d{3})*(?:\.\d+)?")


def mask_money(text: str, replacement: str) -> str:
    """`text` with every amount that `money` wrote replaced by `replacement`."""
    return MONEY_TEXT.sub(replacement, text)


def _kept_together(text: str) -> SafeString:
    return format_html('<span class="money">{}</span>', text)


@register.filter(name="money")
def money_html(amount_minor: int | None, currency: str = "CNY") -> SafeString | str:
    """{{ account.posted_minor|money:account.currency }} → <span class="money">¥ 50,000.00</span>,
    "—" for none."""
    text = money(amount_minor, currency)
    return text if amount_minor is None else _kept_together(text)


@register.filter
def money_nowrap(text: object) -> SafeString:
    """{{ message|money_nowrap }}: the text escaped as `{{ message }}` would be, each amount in it
    that `money` wrote kept on one line."""
    escaped = str(conditional_escape(text))  # the symbols and digits come through unchanged
    return mark_safe(MONEY_TEXT.sub(lambda found: _kept_together(found.group(0)), escaped))

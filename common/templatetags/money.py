import re

from django import template

from common.money import CURRENCY_EXPONENTS, format_minor

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str = "CNY") -> str:
    """{{ account.posted_minor|money:account.currency }} → "¥ 50,000.00"; a debit → "-¥ 150.00"."""
    if amount_minor is None:
        return "—"
    if currency not in CURRENCY_EXPONENTS:
        currency = "CNY"
    symbol = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥"}[currency]
    amount = int(amount_minor)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol} {format_minor(abs(amount), currency)}"


# What `money` writes, and nothing else: a symbol, one space, digits with thousands commas and the
# currency's decimals ("¥ 12,000.00", "-HK$ 5.00", "JP¥ 300"). Notices are stored as text;
# a reader who may not see amounts gets them masked with this (shops.selectors.notice_rows).
MONEY_TEXT = re.compile(r"-?(?:HK\$|JP¥|¥|\$|€) \d{1,3}(?:,\d{3})*(?:\.\d+)?")


def mask_money(text: str, replacement: str) -> str:
    """`text` with every amount that `money` wrote replaced by `replacement`."""
    return MONEY_TEXT.sub(replacement, text)

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

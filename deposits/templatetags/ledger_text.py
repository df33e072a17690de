"""{{ entry.reason|entry_reason }}: a ledger reason in the reader's language
(deposits.domain.entry_reasons)."""

from django import template

from deposits.domain.entry_reasons import entry_reason_text

register = template.Library()


@register.filter
def entry_reason(stored: str | None) -> str:
    return entry_reason_text(stored) if stored else ""

"""Reading a rendered page the way its sentences read."""

from __future__ import annotations

import re
from typing import Any

_MONEY_SPAN = re.compile(r'<span class="money">([^<]*)</span>')


def page_html(response: Any) -> str:
    """The response's HTML with the spans that keep each amount on one line taken out
    (common.templatetags.money), so a sentence with an amount in it can be looked for whole:
    "Your deposit is short by ¥ 1,000.00." rather than in pieces around the markup."""
    return _MONEY_SPAN.sub(r"\1", response.content.decode())


def without_money_spans(html: str) -> str:
    """`page_html` for HTML already read."""
    return _MONEY_SPAN.sub(r"\1", html)

"""A ledger entry's reason in the reader's language.

The ledger stores each posting's reason as text, append-only, and the partner API returns it as
stored (api-v1.md). What the product itself wrote there follows a handful of fixed wordings,
some in Chinese ("充值", "保证金提现", "保证金退款", "撤销: …", "提现失败 …"), some in English
("Claim 4410 (LATE_SHIPMENT)"), so a merchant's statement mixed both languages whatever the
interface's. Here each of those wordings is recognised and said again in the active language
when the statement, the shop page, the exports or the PDF show it; anything else (a reason a
partner or ops typed) is shown as typed. Recognising stored text is safe because the product's
own code is the only writer of these shapes (deposits, claims and insurance services); a typed
reason that happened to match would be translated, not altered in meaning.

Claim reasons are labelled by the claims app, which deposits may not import: it hands its labels
over at start-up (`claim_reason_labels_register`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

_claim_reason_labels: dict[str, Any] = {}


def claim_reason_labels_register(labels: Mapping[str, Any]) -> None:
    """The claims app's reason codes and their (lazy) labels."""
    _claim_reason_labels.update(labels)


def _claim_reason(code: str) -> str:
    label = _claim_reason_labels.get(code)
    return str(label) if label is not None else code


def _reversed(m: re.Match[str]) -> str:
    return _("Reversed: %(reason)s") % {"reason": entry_reason_text(m["inner"])}


# (pattern, renderer): the first whose pattern matches the whole stored text wins.
_WORDINGS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"充值"), lambda m: _("Top-up")),
    (re.compile(r"保证金提现"), lambda m: _("Withdrawal of surplus")),
    (re.compile(r"保证金退款"), lambda m: _("Deposit refunded on exit")),
    (
        re.compile(r"提现失败 (?P<ref>\S+): (?P<why>.*)", re.S),
        lambda m: _("Withdrawal %(ref)s failed: %(why)s") % {"ref": m["ref"], "why": m["why"]},
    ),
    (
        re.compile(r"advance for claim (?P<claim>.+) reversed \((?P<why>.*)\)", re.S),
        lambda m: (
            _("advance for claim %(claim)s reversed (%(why)s)")
            % {"claim": m["claim"], "why": m["why"]}
        ),
    ),
    (re.compile(r"撤销: (?P<inner>.*)", re.S), _reversed),
    (
        re.compile(r"Claim (?P<ref>.+) \((?P<code>[A-Z_]+)\) beyond its hold"),
        lambda m: (
            _("Claim %(ref)s (%(reason)s), beyond its hold")
            % {"ref": m["ref"], "reason": _claim_reason(m["code"])}
        ),
    ),
    (
        re.compile(r"Claim (?P<ref>.+) \((?P<code>[A-Z_]+)\)"),
        lambda m: (
            _("Claim %(ref)s (%(reason)s)") % {"ref": m["ref"], "reason": _claim_reason(m["code"])}
        ),
    ),
    (re.compile(r"保费 insurance premium"), lambda m: _("Insurance premium")),
    (
        re.compile(r"退保退费 premium refund on surrender"),
        lambda m: _("Premium refunded on surrender"),
    ),
    (
        re.compile(r"policy (?P<policy>\S+) surrendered"),
        lambda m: _("Policy %(policy)s surrendered") % {"policy": m["policy"]},
    ),
    (
        re.compile(r"Insurer's advance for claim (?P<claim>.+) \(policy (?P<policy>\S+)\)"),
        lambda m: (
            _("Insurer's advance for claim %(claim)s (policy %(policy)s)")
            % {"claim": m["claim"], "policy": m["policy"]}
        ),
    ),
    (
        re.compile(r"Repayment of the advance for claim (?P<claim>.+)"),
        lambda m: _("Repayment of the advance for claim %(claim)s") % {"claim": m["claim"]},
    ),
]


def entry_reason_text(stored: str) -> str:
    """The stored reason as the reader should see it: a wording of the product's own in the
    active language, anything else unchanged."""
    for pattern, render in _WORDINGS:
        match = pattern.fullmatch(stored)
        if match:
            return render(match)
    return stored

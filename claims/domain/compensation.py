"""The compensation calculator (domain.md §6.1): pure, no database, no clock.

A rule is one of three kinds:

- RATE: base × rate (half up to the minor unit), raised to the minimum, lowered to the maximum;
  with an aggregation window, the maximum is also the most one consumer gets from one shop in
  total for orders paid within `window_hours` of each other, so the award is further lowered by
  what that consumer was already awarded for such orders (never below zero).
- MULTIPLIER: base × multiplier ("refund + (multiplier − 1)×", 假一赔四 is 5×), then the
  minimum and maximum when the rule has them.
- OPS_DECIDES: ops set the amount; before the decision the requested amount is the estimate.

Every award carries its computation in words, in English and in Chinese, naming each step that
changed the amount, so ops, the merchant and the partner see the same arithmetic; and the same
steps as facts (`Award.facts`), which the pages render in the reader's language
(`claims.domain.computation_texts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.money import format_minor

RATE = "RATE"
MULTIPLIER = "MULTIPLIER"
OPS_DECIDES = "OPS_DECIDES"
BPS = 10_000


@dataclass(frozen=True)
class RuleTerms:
    code: str  # e.g. "LATE_SHIPMENT v2026-01-01": the reason and the version, as cited
    kind: str
    rate_bps: int | None = None
    multiplier: int | None = None
    minimum_minor: int | None = None
    maximum_minor: int | None = None
    window_hours: int | None = None


@dataclass(frozen=True)
class Award:
    amount_minor: int
    # None for OPS_DECIDES: the amount is ops' to set, the figure is only an estimate.
    rule_amount_minor: int | None
    minimum_applied: bool
    maximum_applied: bool
    cap_took_minor: int
    computation_en: str
    computation_zh: str
    # The same arithmetic as plain JSON (computation_texts' "Facts"), stored beside the texts.
    facts: dict[str, Any] = field(default_factory=dict)


def _half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def _pct(rate_bps: int) -> str:
    whole, rest = divmod(rate_bps, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}%".rstrip("0")


def compensation_award(
    *,
    terms: RuleTerms,
    paid_minor: int,
    currency: str,
    requested_minor: int | None,
    earlier_awards_minor: int = 0,
) -> Award:
    """The amount the rule gives for an order paid `paid_minor`, and how.

    `earlier_awards_minor`: what the consumer was already awarded by the shop for orders paid
    within the rule's window of this one (only read when the rule has a window and a maximum).
    """
    if paid_minor < 0 or earlier_awards_minor < 0:
        raise ValueError("amounts are never negative")

    def m(amount: int) -> str:
        return f"{format_minor(amount, currency)} {currency}"

    if terms.kind == OPS_DECIDES:
        estimate = requested_minor or 0
        return Award(
            amount_minor=estimate,
            rule_amount_minor=None,
            minimum_applied=False,
            maximum_applied=False,
            cap_took_minor=0,
            computation_en=(
                f"Rule {terms.code}: ops decide the amount; the estimate is the requested "
                f"{m(estimate)}."
            ),
            computation_zh=f"规则 {terms.code}:金额由平台裁定;预估为消费者申请的 {m(estimate)}。",
            facts={
                "rule": terms.code,
                "currency": currency,
                "steps": [],
                "award": None,
                "estimate": estimate,
            },
        )

    en: list[str] = []
    zh: list[str] = []
    steps: list[dict[str, Any]] = []
    if terms.kind == RATE:
        assert terms.rate_bps is not None
        amount = _half_up(paid_minor * terms.rate_bps, BPS)
        en.append(f"{m(paid_minor)} paid × {_pct(terms.rate_bps)} = {m(amount)}")
        zh.append(f"实付 {m(paid_minor)} × {_pct(terms.rate_bps)} = {m(amount)}")
        steps.append(
            {"code": "rate", "paid": paid_minor, "rate_bps": terms.rate_bps, "amount": amount}
        )
    elif terms.kind == MULTIPLIER:
        assert terms.multiplier is not None and terms.multiplier >= 1
        amount = paid_minor * terms.multiplier
        extra = terms.multiplier - 1
        en.append(
            f"refund {m(paid_minor)} + {extra} × {m(paid_minor)} = {terms.multiplier} × "
            f"{m(paid_minor)} = {m(amount)}"
        )
        zh.append(
            f"退款 {m(paid_minor)} + {extra} 倍赔偿 {m(paid_minor * extra)} = {m(amount)}"
            f"(实付的 {terms.multiplier} 倍)"
        )
        steps.append(
            {
                "code": "multiplier",
                "paid": paid_minor,
                "multiplier": terms.multiplier,
                "amount": amount,
            }
        )
    else:
        raise ValueError(f"unknown rule kind {terms.kind!r}")

    minimum_applied = terms.minimum_minor is not None and amount < terms.minimum_minor
    if minimum_applied:
        assert terms.minimum_minor is not None
        amount = terms.minimum_minor
        en.append(f"raised to the minimum {m(amount)}")
        zh.append(f"低于最低赔付额,按最低 {m(amount)}")
        steps.append({"code": "minimum", "amount": amount})
    maximum_applied = terms.maximum_minor is not None and amount > terms.maximum_minor
    if maximum_applied:
        assert terms.maximum_minor is not None
        amount = terms.maximum_minor
        en.append(f"lowered to the maximum {m(amount)}")
        zh.append(f"超过最高赔付额,按最高 {m(amount)}")
        steps.append({"code": "maximum", "amount": amount})

    cap_took = 0
    if terms.window_hours and terms.maximum_minor is not None:
        room = max(terms.maximum_minor - earlier_awards_minor, 0)
        if earlier_awards_minor:
            cap_took = max(amount - room, 0)
            amount -= cap_took
            en.append(
                f"this consumer was already awarded {m(earlier_awards_minor)} by this shop for "
                f"orders paid within {terms.window_hours} h of this one; at most "
                f"{m(terms.maximum_minor)} in total, so {m(room)} remains and the "
                f"{terms.window_hours}-hour cap takes off {m(cap_took)}"
            )
            zh.append(
                f"该消费者在本店 {terms.window_hours} 小时内付款的其他订单已获赔 "
                f"{m(earlier_awards_minor)},合计最高 {m(terms.maximum_minor)},尚余 {m(room)},"
                f"{terms.window_hours} 小时累计上限扣减 {m(cap_took)}"
            )
            steps.append(
                {
                    "code": "cap",
                    "earlier": earlier_awards_minor,
                    "hours": terms.window_hours,
                    "maximum": terms.maximum_minor,
                    "room": room,
                    "took": cap_took,
                }
            )
    en_text = f"Rule {terms.code}: " + "; ".join(en) + f". Award: {m(amount)}."
    zh_text = f"规则 {terms.code}:" + ";".join(zh) + f"。赔付:{m(amount)}。"
    return Award(
        amount_minor=amount,
        rule_amount_minor=amount,
        minimum_applied=minimum_applied,
        maximum_applied=maximum_applied,
        cap_took_minor=cap_took,
        computation_en=en_text,
        computation_zh=zh_text,
        facts={"rule": terms.code, "currency": currency, "steps": steps, "award": amount},
    )

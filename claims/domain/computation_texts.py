"""A claim's computation (the rule's arithmetic, then the decision) in the reader's language.

The calculator (`claims.domain.compensation`) and the decision write the arithmetic twice as
text, in English and Chinese, for the partner API (`computation_en`, `computation_zh`: the
contract's fields, kept as they are). Those texts cite the rule by its code
(`LATE_SHIPMENT@2024-01-01`) and money as `300.00 CNY`, which a merchant reading the claim in
Chinese should not have to decode. So each also stores the same arithmetic as facts
(`Claim.computation_facts`, the timeline's estimate and computation notes), amounts in minor
units, and the pages render them here when they are made: the rule by its reason's name and
version date, money as the dashboard writes it (`¥ 300.00`).

Facts, plain JSON:
    {"rule": "LATE_SHIPMENT@2024-01-01", "currency": "CNY",
     "steps": [{"code": "rate", "paid": 100000, "rate_bps": 3000, "amount": 30000}, ...],
     "award": 30000,            # the rule's amount; null when ops decide it
     "estimate": 0,             # ops decide: the requested amount, the estimate
     "decision": {"outcome": "PARTLY_UPHELD", "amount": 20000}}   # once decided
Step codes: rate, multiplier, minimum, maximum, cap (see `_STEPS`).

Claims filed before the facts were stored have only the texts: `facts_from_text` reads the
English one back (the calculator's own wording, the only writer of it); a text it cannot read is
shown as stored, in the reader's language where one was stored.

Reason names come from the claims app at start-up (`reason_labels_register`): the domain layer
does not import the models.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.utils import translation
from django.utils.translation import gettext

from common.money import CURRENCY_EXPONENTS
from common.templatetags.money import money

Facts = dict[str, Any]

_reason_labels: dict[str, Any] = {}


def reason_labels_register(labels: Mapping[str, Any]) -> None:
    """The claim reasons' codes and their (lazy) labels."""
    _reason_labels.update(labels)


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def _pct(rate_bps: int) -> str:
    whole, rest = divmod(int(rate_bps), 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}%".rstrip("0")


def _rule(code: str) -> str:
    """ "LATE_SHIPMENT@2024-01-01" → "Late shipment rule (version of 2024-01-01)"."""
    reason, _, since = str(code).partition("@")
    label = _reason_labels.get(reason)
    name = str(label) if label is not None else reason
    if not since:
        return gettext("%(reason)s rule") % {"reason": name}
    return gettext("%(reason)s rule (version of %(since)s)") % {"reason": name, "since": since}


def _outcome(outcome: str) -> str:
    words = {
        "UPHELD": lambda: gettext("upheld"),
        "PARTLY_UPHELD": lambda: gettext("partly upheld"),
        "REJECTED": lambda: gettext("rejected"),
    }
    word = words.get(outcome)
    return word() if word else outcome


def _rate(s: Mapping[str, Any], m: Callable[[int], str]) -> str:
    return gettext("%(paid)s paid × %(rate)s = %(amount)s") % {
        "paid": m(s["paid"]),
        "rate": _pct(s["rate_bps"]),
        "amount": m(s["amount"]),
    }


def _multiplier(s: Mapping[str, Any], m: Callable[[int], str]) -> str:
    multiplier = int(s["multiplier"])
    return gettext(
        "refund %(paid)s + %(extra)s × %(paid)s = %(multiplier)s × %(paid)s = %(amount)s"
    ) % {
        "paid": m(s["paid"]),
        "extra": multiplier - 1,
        "multiplier": multiplier,
        "amount": m(s["amount"]),
    }


def _cap(s: Mapping[str, Any], m: Callable[[int], str]) -> str:
    return gettext(
        "this consumer was already awarded %(earlier)s by this shop for orders paid within "
        "%(hours)s h of this one; at most %(maximum)s in total, so %(room)s remains and the "
        "%(hours)s-hour cap takes off %(took)s"
    ) % {
        "earlier": m(s["earlier"]),
        "hours": s["hours"],
        "maximum": m(s["maximum"]),
        "room": m(s["room"]),
        "took": m(s["took"]),
    }


_STEPS: dict[str, Callable[[Mapping[str, Any], Callable[[int], str]], str]] = {
    "rate": _rate,
    "multiplier": _multiplier,
    "minimum": lambda s, m: (
        gettext("raised to the minimum %(amount)s") % {"amount": m(s["amount"])}
    ),
    "maximum": lambda s, m: (
        gettext("lowered to the maximum %(amount)s") % {"amount": m(s["amount"])}
    ),
    "cap": _cap,
}


def render(facts: Mapping[str, Any]) -> str:
    """The computation in the active language. Raises KeyError/TypeError/ValueError on facts
    this version cannot read (`computation_text` falls back to the stored text then)."""
    currency = str(facts["currency"])

    def m(amount: Any) -> str:
        return money(int(amount), currency)

    rule = _rule(facts["rule"])
    decision = facts.get("decision") or {}
    outcome = decision.get("outcome")
    if facts["award"] is None:  # ops decide the amount
        if outcome and outcome != "REJECTED":
            return gettext("%(rule)s: ops decided %(amount)s (%(outcome)s).") % {
                "rule": rule,
                "amount": m(decision["amount"]),
                "outcome": _outcome(outcome),
            }
        text = gettext("%(rule)s: ops decide the amount; the estimate is the requested %(amount)s.")
        text %= {"rule": rule, "amount": m(facts.get("estimate") or 0)}
    else:
        steps = [_STEPS[str(step["code"])](step, m) for step in facts["steps"]]
        text = gettext("%(rule)s: %(steps)s. Award: %(award)s.") % {
            "rule": rule,
            "steps": ("；" if _chinese() else "; ").join(steps),
            "award": m(facts["award"]),
        }
    if outcome == "REJECTED":
        after = gettext("Rejected: nothing awarded.")
    elif outcome == "PARTLY_UPHELD":
        after = gettext("Partly upheld: %(amount)s of the rule's %(rule_amount)s.") % {
            "amount": m(decision["amount"]),
            "rule_amount": m(facts["award"]),
        }
    else:
        return text
    return text + ("" if _chinese() else " ") + after


def computation_text(facts: Mapping[str, Any] | None, en: str, zh: str) -> str:
    """What a page shows for a stored computation: the facts rendered in the active language;
    without facts (a claim filed before they were stored) the English text read back into
    facts; else the stored text in the reader's language, as it was written."""
    for candidate in (facts, None if facts else facts_from_text(en)):
        if candidate:
            try:
                return render(candidate)
            except (KeyError, TypeError, ValueError):
                continue
    return (zh or en) if _chinese() else (en or zh)


# --- Reading an English text written before the facts were stored -------------------------------

_M = r"(?P<{name}>[\d,]+(?:\.\d+)?) (?P<{name}_cur>[A-Z]{{3}})"


def _m(name: str) -> str:
    return _M.format(name=name)


_HEAD = re.compile(r"Rule (?P<rule>[A-Z_]+@\d{4}-\d{2}-\d{2}): (?P<body>.*)", re.S)
_OPS_ESTIMATE = re.compile(
    r"ops decide the amount; the estimate is the requested " + _m("amount") + r"\."
)
_OPS_DECIDED = re.compile(
    r"ops decided " + _m("amount") + r" \((?P<outcome>UPHELD|PARTLY_UPHELD|REJECTED)\)\."
)
_TAIL = re.compile(r"(?P<steps>.*)\. Award: " + _m("award") + r"\.", re.S)
_REJECTED = " Rejected: nothing awarded."
_PARTLY = re.compile(
    r"(?P<head>.*) Partly upheld: " + _m("amount") + r" of the rule's " + _m("rule") + r"\.",
    re.S,
)
_STEP_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("rate", re.compile(_m("paid") + r" paid × (?P<pct>\d+(?:\.\d+)?)% = " + _m("amount"))),
    (
        "multiplier",
        re.compile(
            r"refund "
            + _m("paid")
            + r" \+ (?P<extra>\d+) × [\d,.]+ [A-Z]{3} = (?P<multiplier>\d+) × [\d,.]+ [A-Z]{3} = "
            + _m("amount")
        ),
    ),
    ("minimum", re.compile(r"raised to the minimum " + _m("amount"))),
    ("maximum", re.compile(r"lowered to the maximum " + _m("amount"))),
    (
        "cap",
        re.compile(
            r"this consumer was already awarded "
            + _m("earlier")
            + r" by this shop for orders paid within (?P<hours>\d+) h of this one; at most "
            + _m("maximum")
            + r" in total, so "
            + _m("room")
            + r" remains and the \d+-hour cap takes off "
            + _m("took")
        ),
    ),
]


def _minor(match: re.Match[str], name: str, currency: str) -> int:
    if match[f"{name}_cur"] != currency:
        raise ValueError("mixed currencies")
    whole, _, frac = match[name].replace(",", "").partition(".")
    exponent = CURRENCY_EXPONENTS[currency]
    if len(frac) != exponent:
        raise ValueError("not the currency's decimals")
    return int(whole + frac)


def _steps(text: str, currency: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    rest = text
    while rest:
        for code, pattern in _STEP_PATTERNS:
            found = pattern.match(rest)
            if found is None:
                continue
            step: dict[str, Any] = {"code": code}
            for name in ("paid", "amount", "earlier", "maximum", "room", "took"):
                if f"{name}_cur" in pattern.groupindex:
                    step[name] = _minor(found, name, currency)
            if code == "rate":
                whole, _, frac = found["pct"].partition(".")
                step["rate_bps"] = int(whole) * 100 + int((frac + "00")[:2])
            elif code == "multiplier":
                step["multiplier"] = int(found["multiplier"])
            elif code == "cap":
                step["hours"] = int(found["hours"])
            steps.append(step)
            rest = rest[found.end() :]
            if rest.startswith("; "):
                rest = rest[2:]
            elif rest:
                raise ValueError("unknown step")
            break
        else:
            raise ValueError("unknown step")
    return steps


def facts_from_text(en: str) -> Facts | None:
    """The facts of an English computation the product wrote, or None when it is not one."""
    head = _HEAD.fullmatch(en or "")
    if head is None:
        return None
    rule, body = head["rule"], head["body"]
    try:
        decided = _OPS_DECIDED.fullmatch(body)
        if decided:
            currency = decided["amount_cur"]
            return {
                "rule": rule,
                "currency": currency,
                "steps": [],
                "award": None,
                "decision": {
                    "outcome": decided["outcome"],
                    "amount": _minor(decided, "amount", decided["amount_cur"]),
                },
            }
        decision: dict[str, Any] | None = None
        if body.endswith(_REJECTED):
            body = body.removesuffix(_REJECTED)
            decision = {"outcome": "REJECTED", "amount": 0}
        partly = _PARTLY.fullmatch(body)
        if partly:
            body = partly["head"]
        estimate = _OPS_ESTIMATE.fullmatch(body)
        if estimate:
            currency = estimate["amount_cur"]
            facts: Facts = {
                "rule": rule,
                "currency": currency,
                "steps": [],
                "award": None,
                "estimate": _minor(estimate, "amount", currency),
            }
        else:
            tail = _TAIL.fullmatch(body)
            if tail is None:
                return None
            currency = tail["award_cur"]
            facts = {
                "rule": rule,
                "currency": currency,
                "steps": _steps(tail["steps"], currency),
                "award": _minor(tail, "award", currency),
            }
        if partly:
            decision = {
                "outcome": "PARTLY_UPHELD",
                "amount": _minor(partly, "amount", currency),
            }
        if decision:
            facts["decision"] = decision
        return facts
    except (KeyError, ValueError):
        return None

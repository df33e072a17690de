"""What the system writes on a claim's timeline, as codes with parameters rendered when read.

A timeline row's `note` is what a person typed (the merchant's grounds, ops' reasons), kept as
typed. What the services add for the record (the deadline passed, the hold placed, the funding,
the four-eyes step) is stored in `ClaimEvent.system_notes` as `{"code": ..., "params": {...}}`
and rendered here in the language active when the page (or the API body) is made, so a merchant
on the Chinese interface reads it in Chinese whatever the language was when it was written.

Parameters are plain JSON: times as ISO-8601 strings in UTC (rendered in the market's time
zone), amounts in minor units with their currency, a computation in both languages (the rule
writes both). A code this module does not know renders as nothing rather than as a code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from django.utils.translation import gettext, ngettext

from claims.domain import computation_texts
from claims.domain.deadlines import MARKET_TZ
from common.templatetags.money import money

SystemNote = dict[str, Any]


def note(code: str, **params: Any) -> SystemNote:
    """One system line, ready to store: times become UTC ISO strings."""
    clean = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in params.items()}
    return {"code": code, "params": clean}


def local(value: str | None) -> str:
    """A stored time as every screen writes it: `2026-11-05 14:00 (Asia/Shanghai)`."""
    if not value:
        return "—"
    return f"{datetime.fromisoformat(value).astimezone(MARKET_TZ):%Y-%m-%d %H:%M} (Asia/Shanghai)"


def _chinese() -> bool:
    from django.utils import translation

    return (translation.get_language() or "").lower().startswith("zh")


def _both(p: Mapping[str, Any]) -> str:
    """The rule's computation: its facts in the active language where the note has them (the
    rule by its name, money as the dashboard writes it), else the text stored in both
    languages."""
    return computation_texts.computation_text(p.get("facts"), p.get("en") or "", p.get("zh") or "")


def _sep() -> str:
    return "、" if _chinese() else ", "


def _party(party: str) -> str:
    return gettext("consumer") if party == "CONSUMER" else gettext("merchant")


def _outcome(outcome: str) -> str:
    words = {
        "UPHELD": lambda: gettext("upheld"),
        "PARTLY_UPHELD": lambda: gettext("partly upheld"),
        "REJECTED": lambda: gettext("rejected"),
    }
    word = words.get(outcome)
    return word() if word else outcome


def _source(source: str) -> str:
    words = {
        "DEPOSIT": lambda: gettext("Deposit"),
        "INSURER_ADVANCE": lambda: gettext("Insurer's advance"),
        "DEBT": lambda: gettext("Merchant's debt"),
    }
    word = words.get(source)
    return word() if word else source


def _returned(to: str) -> str:
    words = {
        "DEPOSIT": lambda: gettext("Credited to the deposit"),
        "DEBT_CANCELLED": lambda: gettext("Merchant's debt cancelled"),
        "INSURER": lambda: gettext("Returned to the insurer, recovery cancelled"),
    }
    word = words.get(to)
    return word() if word else to


def _paid(rows: Iterable[Iterable[Any]], currency: str) -> str:
    parts = [f"{_source(str(s))} {money(int(a), currency)}" for s, a in rows]
    return _sep().join(parts) if parts else gettext("nothing paid")


def _auto_decided(p: Mapping[str, Any]) -> str:
    values = {
        "rule": p["rule"],
        "paid": local(p.get("paid_at")),
        "ship_by": local(p.get("ship_by")),
        "shipped": local(p.get("shipped_at")),
        "respond_by": local(p.get("respond_by")),
    }
    if p.get("shipped_at"):
        return (
            gettext(
                "Decided automatically by rule %(rule)s: the order data prove a late shipment "
                "(paid %(paid)s, due to ship by %(ship_by)s, shipped %(shipped)s) and the "
                "merchant did not contest by %(respond_by)s."
            )
            % values
        )
    return (
        gettext(
            "Decided automatically by rule %(rule)s: the order data prove a late shipment (paid "
            "%(paid)s, due to ship by %(ship_by)s, not shipped) and the merchant did not contest "
            "by %(respond_by)s."
        )
        % values
    )


def _requested(p: Mapping[str, Any]) -> str:
    values = {
        "outcome": _outcome(p["outcome"]),
        "award": money(int(p["award_minor"]), p["currency"]),
        "limit": money(int(p["limit_minor"]), p["currency"]),
        "maker": p.get("maker", ""),
        "until": local(p.get("until")),
    }
    if p.get("four_eyes"):
        text = gettext(
            "Decision %(outcome)s, award %(award)s: above the four-eyes amount "
            "%(limit)s, it waits for a second person until %(until)s."
        )
    else:
        text = gettext(
            "Decision %(outcome)s, award %(award)s: above %(maker)s's own limit "
            "%(limit)s, it waits for a second person until %(until)s."
        )
    return text % values


# code → how it reads in the active language. Amount-bearing lines are in RECORD_CODES.
MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "no_answer": lambda p: (
        gettext("The merchant did not answer by %(at)s: the platform intervenes.")
        % {"at": local(p.get("respond_by"))}
    ),
    "auto_decided": _auto_decided,
    "auto_decision_skipped": lambda p: gettext(
        "Not decided automatically: the platform's review team decides."
    ),
    "evidence_closed": lambda p: (
        gettext(
            "Evidence closed (consumer's window %(consumer)s, merchant's %(merchant)s); ready for "
            "the platform's review, review target %(decide_by)s."
        )
        % {
            "consumer": local(p.get("consumer_by")),
            "merchant": local(p.get("merchant_by")),
            "decide_by": local(p.get("decide_by")),
        }
    ),
    "material_requested": lambda p: (
        gettext(
            "More material asked of the %(party)s: their evidence window ends %(window)s; review "
            "target %(decide_by)s."
        )
        % {
            "party": _party(p.get("party", "")),
            "window": local(p.get("window")),
            "decide_by": local(p.get("decide_by")),
        }
    ),
    "evidence_extended": lambda p: (
        gettext(
            "New consumer evidence: the merchant's evidence window now ends %(at)s (24 hours more)."
        )
        % {"at": local(p.get("until"))}
    ),
    "evidence_file": lambda p: (
        ngettext(
            "%(name)s (%(type)s, %(size)s byte, SHA-256 %(sha)s…)",
            "%(name)s (%(type)s, %(size)s bytes, SHA-256 %(sha)s…)",
            int(p.get("size", 0)),
        )
        % {
            "name": p.get("name", ""),
            "type": p.get("type", ""),
            "size": p.get("size", 0),
            "sha": p.get("sha", ""),
        }
    ),
    "closed_unappealed": lambda p: gettext(
        "The appeal window ended without an appeal: the decision is final."
    ),
    "malicious": lambda p: (
        gettext("Malicious complaint: %(reason)s") % {"reason": p.get("reason", "")}
    ),
    "consumer_flagged": lambda p: (
        gettext("Consumer %(consumer)s flagged until %(until)s.")
        % {"consumer": p.get("consumer", ""), "until": local(p.get("until"))}
    ),
    "review_flagged": lambda p: (
        (
            gettext("Consumer flagged for malicious complaints (claim %(claim)s) until %(until)s.")
            if p.get("claim")
            else gettext("Consumer flagged for malicious complaints until %(until)s.")
        )
        % {"claim": p.get("claim", ""), "until": local(p.get("until"))}
    ),
    "decision_expired": lambda p: (
        gettext("The %(outcome)s decision made by %(maker)s was not approved within %(hours)s h.")
        % {"outcome": _outcome(p["outcome"]), "maker": p.get("maker", ""), "hours": p.get("hours")}
    ),
    "decision_not_approved": lambda p: (
        gettext("The %(outcome)s decision made by %(maker)s was not approved.")
        % {"outcome": _outcome(p["outcome"]), "maker": p.get("maker", "")}
    ),
    "decision_requested": _requested,
    "decision_approves": lambda p: (
        gettext("Approves the %(outcome)s decision made by %(maker)s on %(made_at)s.")
        % {
            "outcome": _outcome(p["outcome"]),
            "maker": p.get("maker", ""),
            "made_at": local(p.get("made_at")),
        }
    ),
    "four_eyes": lambda p: (
        gettext("Four-eyes: made by %(maker)s, approved by %(approver)s.")
        % {"maker": p.get("maker", ""), "approver": p.get("approver", "")}
    ),
    # The record of money (the page states these facts in its own panels).
    "estimate": lambda p: gettext("Estimate: %(computation)s") % {"computation": _both(p)},
    "computation": _both,
    "funding": lambda p: (
        gettext("Funding: %(paid)s.") % {"paid": _paid(p.get("rows", []), p.get("currency", "CNY"))}
    ),
    "reversed": lambda p: (
        gettext("Reversed: %(rows)s.")
        % {
            "rows": _sep().join(
                f"{_source(s)} {money(int(a), p.get('currency', 'CNY'))} → {_returned(to)}"
                for s, a, to in p.get("rows", [])
            )
        }
    ),
    "hold_placed": lambda p: gettext("Hold %(hold)s placed.") % {"hold": p.get("hold", "")},
    "no_hold_ops": lambda p: gettext("No hold: ops intervene to reject the claim."),
    "no_hold_insurer": lambda p: gettext(
        "No hold: the shop's insurer would advance the estimate (remaining limit)."
    ),
    "nothing_to_hold": lambda p: gettext("Nothing available on the deposit to hold."),
    "hold_released": lambda p: gettext("Hold released."),
}

# Lines naming amounts or the ledger's record: the merchant's claim page states these facts in
# its own panels (for the roles that may see amounts), so its timeline leaves them out.
RECORD_CODES = frozenset(
    {
        "estimate",
        "computation",
        "funding",
        "reversed",
        "hold_placed",
        "no_hold_ops",
        "no_hold_insurer",
        "nothing_to_hold",
    }
)


def render(entry: Mapping[str, Any]) -> str:
    """One system line in the active language; "" for a code this module does not know."""
    message = MESSAGES.get(str(entry.get("code", "")))
    if message is None:
        return ""
    try:
        return message(entry.get("params") or {})
    except (KeyError, TypeError, ValueError):
        # A row written with other parameters than this version reads: nothing rather than a 500.
        return ""


def render_all(
    entries: Iterable[Mapping[str, Any]], *, skip: frozenset[str] = frozenset()
) -> list[str]:
    """Every system line in the active language, but those whose code is in `skip`."""
    return [text for entry in entries if entry.get("code") not in skip and (text := render(entry))]

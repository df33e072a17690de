"""Existing timeline rows: the English lines the services wrote into `note` become codes with
parameters (`system_notes`), so they too are read in the reader's language. A line this
migration does not recognise (what a person typed, or a wording older than these patterns)
stays in `note` and is shown as stored. The patterns are the services' wordings before codes
(claims/services/*.py at 0013); times were written in Asia/Shanghai or UTC, as the line says.
"""

import re
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import migrations

from claims.domain import event_texts
from common.money import CURRENCY_EXPONENTS

SHANGHAI = ZoneInfo("Asia/Shanghai")
T = r"(\d{4}-\d\d-\d\d \d\d:\d\d) \(Asia/Shanghai\)"
T_OR_DASH = r"(\d{4}-\d\d-\d\d \d\d:\d\d \(Asia/Shanghai\)|—)"
UTC_T = r"(\d{4}-\d\d-\d\d \d\d:\d\d) UTC"
OFFSET_T = r"(\d{4}-\d\d-\d\d \d\d:\d\d) \(UTC([+-]\d\d):(\d\d)\)"


def _local(text):
    if text == "—":
        return None
    text = text.removesuffix(" (Asia/Shanghai)")
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI).isoformat()


def _utc(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).isoformat()


def _offset(text, hours, minutes):
    local = datetime.strptime(text, "%Y-%m-%d %H:%M")
    sign = -1 if hours.startswith("-") else 1
    from datetime import timedelta, timezone

    zone = timezone(sign * timedelta(hours=abs(int(hours)), minutes=int(minutes)))
    return local.replace(tzinfo=zone).isoformat()


def _minor(text, currency):
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    return int(Decimal(text.replace(",", "")) * (10**exponent))


def _note(code, **params):
    return {"code": code, "params": params}


EXACT = {
    "No hold: ops intervene to reject the claim.": "no_hold_ops",
    "No hold: the shop's insurer would advance the estimate (remaining limit).": "no_hold_insurer",
    "Nothing available on the deposit to hold.": "nothing_to_hold",
    "Hold released.": "hold_released",
    "The appeal window ended without an appeal: the decision is final.": "closed_unappealed",
}


def _rows(text, fields):
    if text == "nothing paid" or not text:
        return []
    rows = []
    for part in text.split(", "):
        match = re.fullmatch(r"(\w+) (-?\d+)(?: → (\w+))?", part)
        if match is None:
            raise ValueError(part)
        row = [match[1], int(match[2])]
        if fields == 3:
            row.append(match[3])
        rows.append(row)
    return rows


def _patterns(claim):
    """(regex, builder(match)) for one claim: some lines take the claim's own fields."""
    currency = claim.currency
    return [
        (r"Estimate: (.+)", lambda m: _note("estimate", en=m[1], zh=_zh_of(claim, m[1]))),
        (r"Hold (\S+) placed\.", lambda m: _note("hold_placed", hold=m[1])),
        (
            r"Funding: (.+)\.",
            lambda m: _note("funding", rows=_rows(m[1], 2), currency=currency),
        ),
        (
            r"Reversed: (.*)\.",
            lambda m: _note("reversed", rows=_rows(m[1], 3), currency=currency),
        ),
        (
            rf"The merchant did not answer by {T_OR_DASH}: the platform intervenes\.",
            lambda m: _note("no_answer", respond_by=_local(m[1])),
        ),
        (
            rf"Decided automatically by rule (\S+): the order data prove a late shipment \(paid "
            rf"{T_OR_DASH}, due to ship by {T_OR_DASH}, (?:shipped {T_OR_DASH}|not shipped)\) and "
            rf"the merchant did not contest by {T_OR_DASH}\.",
            lambda m: _note(
                "auto_decided",
                rule=m[1],
                paid_at=_local(m[2]),
                ship_by=_local(m[3]),
                shipped_at=_local(m[4]) if m[4] else None,
                respond_by=_local(m[5]),
            ),
        ),
        (
            r"Not decided automatically \((.*)\); ops decide\.",
            lambda m: _note("auto_decision_skipped", error=m[1]),
        ),
        (
            rf"Evidence closed \(consumer's window {T_OR_DASH}, merchant's {T_OR_DASH}\); ready "
            rf"for ops, review target {T_OR_DASH}\.",
            lambda m: _note(
                "evidence_closed",
                consumer_by=_local(m[1]),
                merchant_by=_local(m[2]),
                decide_by=_local(m[3]),
            ),
        ),
        (
            rf"More material asked of the (consumer|merchant): their evidence window ends "
            rf"{T_OR_DASH}; review target {T_OR_DASH}\.",
            lambda m: _note(
                "material_requested",
                party=m[1].upper(),
                window=_local(m[2]),
                decide_by=_local(m[3]),
            ),
        ),
        (
            r"(.+) \(([\w.+/-]+), (\d+) bytes, SHA-256 ([0-9a-f]{12})…\)",
            lambda m: _note("evidence_file", name=m[1], type=m[2], size=int(m[3]), sha=m[4]),
        ),
        (
            rf"New consumer evidence: the merchant's evidence window now ends {UTC_T} "
            r"\(24 hours more\)\.",
            lambda m: _note("evidence_extended", until=_utc(m[1])),
        ),
        (r"Malicious complaint: (.+)", lambda m: _note("malicious", reason=m[1])),
        (
            rf"Consumer (\S+) flagged until {UTC_T}\.",
            lambda m: _note("consumer_flagged", consumer=m[1], until=_utc(m[2])),
        ),
        (
            rf"Consumer flagged for malicious complaints \(claim (\S+)\) until {UTC_T}\.",
            lambda m: _note("review_flagged", claim=m[1], until=_utc(m[2])),
        ),
        (
            rf"Consumer flagged for malicious complaints until {UTC_T}\.",
            lambda m: _note("review_flagged", until=_utc(m[1])),
        ),
        (
            r"Four-eyes: made by (.+), approved by (.+)\.",
            lambda m: _note("four_eyes", maker=m[1], approver=m[2]),
        ),
        (
            r"The (UPHELD|PARTLY_UPHELD|REJECTED) decision made by (.+) was not approved within "
            r"(\d+) h\.",
            lambda m: _note("decision_expired", outcome=m[1], maker=m[2], hours=m[3]),
        ),
        (
            rf"Approves the (UPHELD|PARTLY_UPHELD|REJECTED) decision made by (.+) on {OFFSET_T}\.",
            lambda m: _note(
                "decision_approves",
                outcome=m[1],
                maker=m[2],
                made_at=_offset(m[3], m[4], m[5]),
            ),
        ),
        (
            rf"(UPHELD|PARTLY_UPHELD|REJECTED), award ([\d,.]+) ([A-Z]{{3}}): above (the four-eyes "
            rf"amount|(.+)'s own limit) ([\d,.]+), it waits for a second person until {OFFSET_T}\.",
            lambda m: _note(
                "decision_requested",
                outcome=m[1],
                award_minor=_minor(m[2], m[3]),
                currency=m[3],
                four_eyes=m[4] == "the four-eyes amount",
                maker=m[5] or "",
                limit_minor=_minor(m[6], m[3]),
                until=_offset(m[7], m[8], m[9]),
            ),
        ),
    ]


def _zh_of(claim, english):
    return claim.computation_zh if english == claim.computation_en else ""


def split(note, claim):
    """(person's lines, system notes) of one stored note."""
    kept, system = [], []
    patterns = _patterns(claim)
    for line in note.splitlines():
        text = line.strip()
        found = None
        if text in EXACT:
            found = _note(EXACT[text])
        elif text and text == claim.computation_en:
            found = _note("computation", en=claim.computation_en, zh=claim.computation_zh)
        else:
            for pattern, build in patterns:
                match = re.fullmatch(pattern, text)
                if match is not None:
                    try:
                        found = build(match)
                    except (ValueError, ArithmeticError):
                        found = None
                    break
        if found is None:
            kept.append(line)
        else:
            system.append(found)
    return "\n".join(kept).strip("\n"), system


def to_codes(apps, schema_editor):
    ClaimEvent = apps.get_model("claims", "ClaimEvent")
    rows = ClaimEvent.objects.exclude(note="").filter(system_notes=[]).select_related("claim")
    for event in rows.iterator(chunk_size=500):
        kept, system = split(event.note, event.claim)
        if system:
            event.note, event.system_notes = kept, system
            event.save(update_fields=["note", "system_notes"])


def back(apps, schema_editor):
    from django.utils import translation

    ClaimEvent = apps.get_model("claims", "ClaimEvent")
    with translation.override("en"):
        for event in ClaimEvent.objects.exclude(system_notes=[]).iterator(chunk_size=500):
            lines = [event.note] if event.note else []
            event.note = "\n".join(lines + event_texts.render_all(event.system_notes))
            event.system_notes = []
            event.save(update_fields=["note", "system_notes"])


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0013_timeline_system_notes"),
    ]

    operations = [migrations.RunPython(to_codes, back)]

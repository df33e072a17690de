"""The two counterparty files reconciliation reads, parsed without touching the database.

Both are UTF-8 CSV (a byte-order mark is allowed: Excel writes one), comma-separated, with a
header row naming the columns (any order; extra columns are ignored). docs/operations.md
"Reconciliation" is the format's public description; this module is its one implementation.

- Payment partner's daily settlement file: date, payment_ref, kind (top-up | withdrawal),
  amount, currency, status (success | failed).
- Insurer's statement: date, policy_number, kind (premium | advance | recovery), amount,
  currency: one row per policy, kind and day (the day's total).

`parse` reads every line and returns either all the lines or every error, each naming its line
number (the header is line 1) and column, so a file is taken whole or not at all.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from common.errors import InvalidInput
from common.money import CURRENCY_EXPONENTS, Money

PAYMENT_PARTNER = "PAYMENT_PARTNER"
INSURER = "INSURER"

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_LINES = 50_000
MAX_ERRORS_REPORTED = 50

# Column → the kinds it accepts, as written in the file → as stored.
KINDS = {
    PAYMENT_PARTNER: {"top-up": "TOP_UP", "topup": "TOP_UP", "withdrawal": "WITHDRAWAL"},
    INSURER: {"premium": "PREMIUM", "advance": "ADVANCE", "recovery": "RECOVERY"},
}
STATUSES = {"success": "SUCCESS", "failed": "FAILED"}
COLUMNS = {
    PAYMENT_PARTNER: ("date", "payment_ref", "kind", "amount", "currency", "status"),
    INSURER: ("date", "policy_number", "kind", "amount", "currency"),
}
REFERENCE_COLUMN = {PAYMENT_PARTNER: "payment_ref", INSURER: "policy_number"}
MAX_REFERENCE = 200


@dataclass(frozen=True)
class ParsedLine:
    line_no: int
    business_date: date
    reference: str
    kind: str
    amount_minor: int
    currency: str
    status: str  # SUCCESS / FAILED for the payment partner, "" for an insurer


@dataclass(frozen=True)
class LineError:
    line_no: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("line {line}, column {column}: {message}").format(
            line=self.line_no, column=self.column, message=self.message
        )


class SettlementFileInvalid(InvalidInput):
    """The file is not in the documented format; `errors` names each line and column."""

    code = "settlement_file_invalid"
    default_detail = "The file is not in the documented format; nothing was imported."

    def __init__(self, errors: list[LineError]):
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:MAX_ERRORS_REPORTED])
        more = len(errors) - MAX_ERRORS_REPORTED
        if more > 0:
            shown += "; " + _("and {count} more").format(count=more)
        super().__init__(
            f"{self.default_detail} {shown}", fields={"file": [str(e) for e in errors]}
        )


def check_size(size: int) -> None:
    """Refuse a file larger than the limit (callers with an upload check before reading it)."""
    if size > MAX_FILE_BYTES:
        raise SettlementFileInvalid(
            [
                LineError(
                    0, "file", _("larger than {size} MiB").format(size=MAX_FILE_BYTES // 1048576)
                )
            ]
        )


def _decode(content: bytes) -> str:
    check_size(len(content))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_no = content[: exc.start].count(b"\n") + 1
        raise SettlementFileInvalid([LineError(line_no, "file", _("not UTF-8 text"))]) from None


def _parse_date(text: str) -> date:
    return date.fromisoformat(text)  # YYYY-MM-DD only; ValueError otherwise


def _cell(row: dict[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()


def parse(source: str, content: bytes) -> list[ParsedLine]:
    """Every line of a file of `source`'s format, or SettlementFileInvalid with every error."""
    text = _decode(content)
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise SettlementFileInvalid(
            [LineError(1, "file", _("not CSV ({error})").format(error=exc))]
        ) from None
    missing = [c for c in COLUMNS[source] if c not in header]
    if not header:
        raise SettlementFileInvalid([LineError(1, "header", _("the file is empty"))])
    if missing:
        raise SettlementFileInvalid(
            [LineError(1, column, _("missing from the header row")) for column in missing]
        )
    reader.fieldnames = header
    reference_column = REFERENCE_COLUMN[source]
    lines: list[ParsedLine] = []
    errors: list[LineError] = []
    try:
        for row in reader:
            line_no = reader.line_num
            if all(not (value or "").strip() for value in row.values() if isinstance(value, str)):
                continue  # a blank line (spreadsheets add them at the end)
            if None in row:
                errors.append(LineError(line_no, "file", _("more cells than header columns")))
                continue
            if len(lines) >= MAX_LINES:
                errors.append(
                    LineError(line_no, "file", _("more than {count} lines").format(count=MAX_LINES))
                )
                break
            parsed = _parse_row(source, row, line_no, reference_column, errors)
            if parsed is not None:
                lines.append(parsed)
    except csv.Error as exc:
        errors.append(LineError(reader.line_num, "file", _("not CSV ({error})").format(error=exc)))
    if errors:
        raise SettlementFileInvalid(errors)
    if not lines:
        raise SettlementFileInvalid([LineError(2, "file", _("no lines after the header"))])
    return lines


def _parse_row(
    source: str,
    row: dict[str, str | None],
    line_no: int,
    reference_column: str,
    errors: list[LineError],
) -> ParsedLine | None:
    before = len(errors)

    def bad(column: str, message: str) -> None:
        errors.append(LineError(line_no, column, message))

    business_date = None
    try:
        business_date = _parse_date(_cell(row, "date"))
    except ValueError:
        bad(
            "date",
            _("not a date in the form 2026-12-06: {value}").format(value=repr(_cell(row, "date"))),
        )

    reference = _cell(row, reference_column)
    if _cell(row, "kind").lower() == "withdrawal":
        reference = reference.upper()  # our payout references are WD-…, stored upper-case
    if not reference:
        bad(reference_column, _("empty"))
    elif len(reference) > MAX_REFERENCE:
        bad(reference_column, _("longer than {count} characters").format(count=MAX_REFERENCE))

    kind_text = _cell(row, "kind").lower().replace("_", "-")
    kind = KINDS[source].get(kind_text)
    if kind is None:
        allowed = ", ".join(sorted({k for k in KINDS[source] if k != "topup"}))
        bad(
            "kind",
            _("{value} is not one of {allowed}").format(
                value=repr(_cell(row, "kind")), allowed=allowed
            ),
        )

    currency = _cell(row, "currency").upper()
    if currency not in CURRENCY_EXPONENTS:
        bad(
            "currency",
            _("{value} is not one of {allowed}").format(
                value=repr(_cell(row, "currency")), allowed=", ".join(CURRENCY_EXPONENTS)
            ),
        )

    amount_minor = None
    if currency in CURRENCY_EXPONENTS:
        text = _cell(row, "amount")
        try:
            amount_minor = Money.parse(text, currency).amount_minor
        except InvalidInput:
            bad(
                "amount",
                _("not an amount in {currency}: {value}").format(
                    currency=currency, value=repr(text)
                ),
            )
        else:
            if amount_minor <= 0:
                bad("amount", _("must be more than 0: {value}").format(value=repr(text)))

    status = ""
    if source == PAYMENT_PARTNER:
        status = STATUSES.get(_cell(row, "status").lower(), "")
        if not status:
            bad(
                "status",
                _("{value} is not one of {allowed}").format(
                    value=repr(_cell(row, "status")), allowed="success, failed"
                ),
            )

    if len(errors) > before:
        return None
    assert business_date is not None and kind is not None and amount_minor is not None
    return ParsedLine(
        line_no=line_no,
        business_date=business_date,
        reference=reference,
        kind=kind,
        amount_minor=amount_minor,
        currency=currency,
        status=status,
    )

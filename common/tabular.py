"""Tabular downloads (CSV and XLSX) that never hold the whole table in memory.

Used by every download of rows: the merchant's statement and the ops exports from the admin
lists. A caller passes a header and an iterator of rows (lists of cells); rows should come from
`QuerySet.iterator(chunk_size=...)` so that neither the database result nor the file is built in
memory at once.

- CSV is streamed: each row is written to the response as it is produced. It starts with a UTF-8
  byte-order mark so that Excel opens Chinese text correctly (without it Excel guesses GBK).
- XLSX cannot be streamed to the client (a ZIP's directory comes last), so it is written with
  openpyxl's write-only mode, which keeps one row in memory, into a temporary file that spills to
  disk past a few MB; the response then streams that file.

Cells: text, integers, amounts as `Decimal` in major units with exactly the currency's places
(never floats), moments as naive local `datetime`. The CSV writes an amount as its plain decimal
("50000.00", "-99.99") and a moment as "YYYY-MM-DD HH:MM:SS"; the XLSX writes them as a number
with a format showing those places and as a real date-time, so Excel sums and sorts them (text
cells it would not).
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Spill the XLSX file to disk beyond this size instead of holding it in memory.
_XLSX_MEMORY_LIMIT = 4 * 1024 * 1024
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")
# A cell starting with one of these is a formula to Excel: a consumer's complaint text that
# starts with "=" must not run when ops opens the export (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | datetime | None
XLSX_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
Row = Sequence[Cell]


def safe_filename(name: str) -> str:
    """An ASCII file name for Content-Disposition: anything else becomes '-'."""
    return _UNSAFE_FILENAME.sub("-", name).strip("-") or "export"


def _neutralise(cell: Cell) -> Cell:
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        # Negative amounts are data, not formulas: keep "-12.50" as it is.
        if not _looks_like_number(cell):
            return "'" + cell
    return cell


def _looks_like_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Echo:
    """A file-like object whose write() returns what it was given, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(cell: Cell) -> Cell:
    if isinstance(cell, Decimal):
        return format(cell, "f")
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    return _neutralise(cell)


def csv_lines(header: Row, rows: Iterable[Row]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([_csv_cell(cell) for cell in row])


def amount_format(amount: Decimal) -> str:
    """Excel's number format for an amount: grouped, with the amount's decimal places."""
    places = max(0, -int(amount.as_tuple().exponent))
    return "#,##0" + ("." + "0" * places if places else "")


def _xlsx_cell(sheet: Any, cell: Cell) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(cell, Decimal):
        typed = WriteOnlyCell(sheet, value=cell)
        typed.number_format = amount_format(cell)
        return typed
    if isinstance(cell, datetime):
        if cell.tzinfo is not None:
            raise ValueError("XLSX has no time zones: pass the local time, naive")
        typed = WriteOnlyCell(sheet, value=cell)
        typed.number_format = XLSX_DATETIME_FORMAT
        return typed
    return _neutralise(cell)


def csv_response(*, filename: str, header: Row, rows: Iterable[Row]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{safe_filename(filename)}.csv"'
    return response


def xlsx_response(
    *, filename: str, header: Row, rows: Iterable[Row], sheet_title: str = "Sheet1"
) -> FileResponse:
    # Imported here: openpyxl costs ~60 ms to import and only downloads need it.
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append(list(header))
    for row in rows:
        sheet.append([_xlsx_cell(sheet, cell) for cell in row])
    spool = tempfile.SpooledTemporaryFile(max_size=_XLSX_MEMORY_LIMIT)
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"{safe_filename(filename)}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )

"""The shared CSV and XLSX downloads: Chinese survives Excel, formulas do not run, XLSX opens."""

import io

from openpyxl import load_workbook

from common.tabular import csv_response, safe_filename, xlsx_response

HEADER = ["日期", "kind", "amount"]
ROWS = [["2026-12-01", "top-up 充值", "120.00"], ["2026-12-02", '=HYPERLINK("x")', "-12.50"]]


def test_a_csv_download_streams_rows_with_a_byte_order_mark_for_excel():
    response = csv_response(filename="statement 2026-12", header=HEADER, rows=iter(ROWS))

    body = b"".join(response.streaming_content).decode("utf-8")
    assert response["Content-Disposition"] == 'attachment; filename="statement-2026-12.csv"'
    assert body.startswith("\ufeff日期,kind,amount\r\n")
    assert "top-up 充值" in body


def test_a_cell_that_would_be_a_formula_is_written_as_text_but_a_negative_amount_stays_a_number():
    response = csv_response(filename="x", header=HEADER, rows=ROWS)

    body = b"".join(response.streaming_content).decode("utf-8")
    assert "'=HYPERLINK" in body
    assert ",-12.50" in body


def test_an_xlsx_download_opens_with_the_header_and_every_row():
    response = xlsx_response(filename="claims", header=HEADER, rows=iter(ROWS), sheet_title="理赔")

    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook["理赔"]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet.max_row == 3
    assert sheet["A2"].value == "2026-12-01"
    assert response["Content-Disposition"].endswith('filename="claims.xlsx"')


def test_a_file_name_keeps_only_safe_ascii():
    assert safe_filename("对账单 2026/12") == "2026-12"
    assert safe_filename("家") == "export"


def test_amounts_and_moments_are_numbers_and_dates_in_xlsx_and_plain_text_in_csv():
    from datetime import datetime
    from decimal import Decimal

    row = [datetime(2026, 12, 5, 18, 45), "充值", Decimal("50000.00"), Decimal("-99.99")]

    xlsx = xlsx_response(filename="s", header=HEADER + ["x"], rows=[row])
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    when, _, amount, negative = sheet[2]
    assert when.value == datetime(2026, 12, 5, 18, 45) and when.is_date
    assert (amount.value, negative.value) == (50000, -99.99)
    assert amount.data_type == negative.data_type == "n"
    assert amount.number_format == "#,##0.00"
    csv_body = b"".join(csv_response(filename="s", header=HEADER, rows=[row]).streaming_content)
    assert "2026-12-05 18:45:00,充值,50000.00,-99.99" in csv_body.decode("utf-8")

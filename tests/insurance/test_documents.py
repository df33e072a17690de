"""The e-policy PDF (insurance/documents.py): plain values in, the same bytes out, Chinese drawn
with an embedded font. No database: the document takes plain values."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import zlib
from datetime import UTC, date, datetime

import pytest
from django.conf import settings

from common.errors import InvalidInput
from insurance.documents import (
    FONT_FAMILY,
    PolicyDocument,
    policy_pdf_sha256,
    premium_computation_text,
    render_policy_pdf,
    standard_terms,
)

PDFTOTEXT = shutil.which("pdftotext")  # Debian poppler-utils (.ci/run installs it)


def make_document(**overrides) -> PolicyDocument:
    zh, en = premium_computation_text(
        coverage_minor=5_000_000,
        rate_bps=300,
        term_days=365,
        premium_minor=150_000,
        currency="CNY",
    )
    values = {
        "policy_number": "PB-2026-000123",
        "insurer_name": "示例财产保险股份有限公司",
        "insured_name": "杭州示例服饰有限公司",
        "shop_name": "示例服饰旗舰店",
        "shop_external_ref": "SHOP-10086",
        "product_name_zh": "保证金履约保证保险",
        "product_name_en": "Performance bond insurance",
        "coverage_minor": 5_000_000,
        "premium_minor": 150_000,
        "currency": "CNY",
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2027, 2, 28),
        "issued_at": datetime(2026, 3, 1, 2, 15, tzinfo=UTC),
        "recovery_days": 15,
        "premium_computation_zh": zh,
        "premium_computation_en": en,
    }
    values.update(overrides)
    return PolicyDocument(**values)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_policy_pdf(make_document())


def pdf_objects(data: bytes) -> bytes:
    """The file with every Flate stream inflated: WeasyPrint packs its dictionaries into
    compressed object streams, so the font and page objects are not in the raw bytes."""
    parts = [data]
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            parts.append(zlib.decompress(raw))
        except zlib.error:
            pass
    return b"\n".join(parts)


@pytest.fixture(scope="module")
def objects(pdf) -> bytes:
    return pdf_objects(pdf)


def page_count(objects: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", objects))


def pdf_text(data: bytes) -> str:
    result = subprocess.run(
        [PDFTOTEXT, "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    # pdftotext may break a line anywhere; compare without whitespace.
    return re.sub(r"\s+", "", result.stdout.decode("utf-8"))


class TestPdf:
    def test_is_a_pdf_of_one_or_two_pages(self, pdf, objects):
        assert pdf.startswith(b"%PDF-")
        assert pdf.rstrip().endswith(b"%%EOF")
        assert 1 <= page_count(objects) <= 2

    def test_embeds_the_shipped_cjk_font_as_a_subset(self, objects):
        # A subset name is "ABCDEF+Family"; FontFile3 is the embedded OpenType (CFF) program.
        name = FONT_FAMILY.replace(" ", "-").encode()
        assert re.search(rb"/FontName\s*/[A-Z]{6}\+" + re.escape(name), objects)
        assert b"/FontFile3" in objects or b"/FontFile2" in objects

    def test_dates_in_the_metadata_are_the_issue_moment_not_now(self, objects):
        # 02:15 UTC is 10:15 in Shanghai.
        assert b"/CreationDate (D:20260301101500+08'00)" in objects
        assert b"/ModDate (D:20260301101500+08'00)" in objects

    def test_the_same_document_renders_the_same_bytes(self, pdf):
        again = render_policy_pdf(make_document())
        assert policy_pdf_sha256(again) == policy_pdf_sha256(pdf)
        assert again == pdf

    def test_renders_the_same_bytes_on_a_machine_without_any_system_font(self, pdf, tmp_path):
        # A fresh developer machine has no fonts-noto-cjk: fontconfig here is given no font
        # directory at all, so every glyph must come from the font the wheel ships. Fontconfig
        # reads FONTCONFIG_FILE once per process, hence the child process.
        conf = tmp_path / "fonts.conf"
        conf.write_text(
            '<?xml version="1.0"?><fontconfig>'
            f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
        )
        code = (
            "import sys, django; django.setup()\n"
            "from insurance.documents import render_policy_pdf\n"
            "from tests.insurance.test_documents import make_document\n"
            "sys.stdout.buffer.write(render_policy_pdf(make_document()))\n"
        )
        env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
        child = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            check=True,
        )
        assert child.stdout == pdf

    def test_a_different_policy_renders_different_bytes(self, pdf):
        other = render_policy_pdf(make_document(policy_number="PB-2026-000124"))
        assert policy_pdf_sha256(other) != policy_pdf_sha256(pdf)

    def test_sha256_is_the_hex_digest_of_the_bytes(self):
        assert policy_pdf_sha256(b"abc") == (
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )

    def test_every_content_stream_draws_with_the_embedded_font_only(self, objects):
        # Each text object selects a font resource; all of them must be the embedded CJK font,
        # so no glyph depends on a font the reader's machine may lack.
        fonts = set(re.findall(rb"/BaseFont\s*/([^\s/>\]]+)", objects))
        assert fonts, "no font in the PDF"
        assert all(FONT_FAMILY.replace(" ", "-").encode() in font for font in fonts), fonts


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (Debian poppler-utils) not installed")
class TestText:
    def test_says_what_policy_it_is_in_both_languages(self, pdf):
        text = pdf_text(pdf)
        for expected in (
            "保证金履约保证保险电子保单",
            "Performancebondinsurancee-policy",
            "PB-2026-000123",
            "示例财产保险股份有限公司",
            "杭州示例服饰有限公司",
            "示例服饰旗舰店",
            "SHOP-10086",
        ):
            assert expected in text, expected

    def test_prints_coverage_premium_and_both_dates_of_the_term(self, pdf):
        text = pdf_text(pdf)
        assert "¥50,000.00" in text  # coverage, with common.money's formatting
        assert "¥1,500.00" in text  # premium
        assert "2026-03-01至2027-02-28" in text
        assert "共365天" in text
        assert "ACT/365" in text and "四舍五入至分" in text

    def test_prints_the_main_terms_with_the_recovery_period(self):
        text = pdf_text(render_policy_pdf(make_document(recovery_days=20)))
        for term in standard_terms(20):
            assert re.sub(r"\s+", "", term.title_zh) in text
        assert "先行垫付" in text and "追偿" in text
        assert "自垫付之日起20日内全额偿还" in text
        assert "within20daysoftheadvance" in text
        assert "监管" in text and "退保" in text and "投保当日亦计收" in text
        assert "恢复为现金保证金要求" in text


class TestDocumentValues:
    def test_term_days_count_both_ends(self):
        assert make_document().term_days == 365
        one_day = make_document(starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 1))
        assert one_day.term_days == 1

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("coverage_minor", -1),
            ("premium_minor", 1.5),
            ("currency", "XYZ"),
            ("ends_on", date(2026, 2, 28)),
            ("issued_at", datetime(2026, 3, 1, 10, 15)),
            ("recovery_days", 0),
            ("policy_number", " "),
        ],
    )
    def test_refuses_values_it_cannot_print_truthfully(self, field, value):
        with pytest.raises((ValueError, TypeError, InvalidInput)):
            make_document(**{field: value})

    def test_is_frozen(self):
        with pytest.raises(dataclasses.FrozenInstanceError):
            make_document().policy_number = "other"  # type: ignore[misc]

    def test_premium_sentence_states_the_act_365_computation(self):
        zh, en = premium_computation_text(
            coverage_minor=5_000_000,
            rate_bps=300,
            term_days=365,
            premium_minor=150_000,
            currency="CNY",
        )
        assert zh == (
            "保费 = 保险金额 CNY 50,000.00 × 年费率 3.00% × 保险天数 365 ÷ 365"
            "（ACT/365，按实际天数计），四舍五入至分 = CNY 1,500.00"
        )
        assert en == (
            "Premium = coverage CNY 50,000.00 × 3.00% a year × 365 insured days ÷ 365 "
            "(ACT/365, actual days), rounded half up to the fen = CNY 1,500.00"
        )


def test_carries_no_render_time_and_stays_small(pdf, objects):
    # Nothing from the clock: the only dates are the issue moment's. The font is a subset.
    assert set(re.findall(rb"D:\d{14}", objects)) == {b"D:20260301101500"}
    assert len(pdf) < 400_000

"""Small real files for the evidence tests: each starts with its format's signature."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 50
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 300


def upload(content: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):  # type: ignore[no-untyped-def]
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture(autouse=True)
def evidence_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    """Each test stores evidence in its own private directory (import it into a test module)."""
    settings.CLAIMS_EVIDENCE_DIR = tmp_path / "evidence"
    return settings.CLAIMS_EVIDENCE_DIR


def stored_files(directory) -> list:  # type: ignore[no-untyped-def]
    """Every file under the evidence directory, temporary ones included."""
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []

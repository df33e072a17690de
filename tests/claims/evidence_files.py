"""Small real files for the evidence tests: each starts with its format's signature."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200


def _png(width: int = 48, height: int = 32) -> bytes:
    """A real (decodable) orange PNG, so previews in the browser tests render."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xf9\x73\x16" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = _png()
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

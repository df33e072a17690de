"""What an evidence file may be (api-v1.md "Claims": JPEG, PNG, GIF or PDF judged by content,
at most 5 MiB each and 10 per party per claim). Pure: bytes in, a verdict out.

The type comes from the file's first bytes (its magic number), never from its name or the
uploader's Content-Type: a renamed executable starts with "MZ" or "\\x7fELF" and is refused."""

from __future__ import annotations

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES_PER_PARTY = 10
# How many leading bytes sniffing needs (the longest signature below, with room).
SNIFF_BYTES = 16

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"%PDF-", "application/pdf", "pdf"),
)

ALLOWED_TYPES = frozenset(content_type for _, content_type, _ in _SIGNATURES)


def sniff_content_type(head: bytes) -> str | None:
    """The content type the leading bytes prove, or None when they prove none we accept."""
    for signature, content_type, _ in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def extension_for(content_type: str) -> str:
    return next(ext for _, ct, ext in _SIGNATURES if ct == content_type)

"""What an evidence file may be (api-v1.md "Claims": JPEG, PNG, GIF or PDF judged by content,
at most 5 MiB each and 10 per party per claim). Pure: bytes in, a verdict out.

The type comes from the file's first bytes (its magic number), never from its name or the
uploader's Content-Type: a renamed executable starts with "MZ" or "\\x7fELF" and is refused.

A file that starts right can still carry something else (issue 16, section 4): a polyglot, e.g.
a GIF header followed by an HTML page, or a PDF that runs JavaScript or launches a program in
the reader of the ops agent or merchant who opens it. `active_content` finds both; serving
(attachment, the sniffed type, nosniff, a sandbox CSP) already stops a browser from running
markup, this stops the file at the door and protects the PDF reader, which those headers do not.
Nothing is parsed or decompressed: a compression bomb inside a PDF is never expanded here."""

from __future__ import annotations

import re

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


# Markup a browser would run if it ever rendered the bytes as a page (long enough that binary
# image data never holds one by chance: a 7-byte marker in 5 MiB of random bytes, ~1e-10).
_MARKUP = re.compile(
    rb"<script|<html|<iframe|<svg|<!doctype\s+html|<object|<embed|javascript:", re.IGNORECASE
)
# PDF names that run code or carry other files in the reader: JavaScript, launching a program,
# embedded files, Flash, XFA forms. PDF lets a name spell its letters as #xx, so those are
# decoded first. (Inside a compressed object stream they are not seen: the type and headers
# still hold there.)
_PDF_ACTIVE = re.compile(
    rb"/(?:javascript|js|launch|embeddedfile|embeddedfiles|richmedia|xfa)(?![a-z0-9])",
    re.IGNORECASE,
)
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9a-fA-F]{2})")


def active_content(content: bytes, content_type: str) -> str | None:
    """What active content the file holds ("markup", "pdf-script"), or None."""
    if _MARKUP.search(content):
        return "markup"
    if content_type == "application/pdf":
        decoded = _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), content)
        if _PDF_ACTIVE.search(decoded):
            return "pdf-script"
    return None


# Extensions a download may keep for each type; any other name gets the type's own added.
_EXTENSIONS = {
    "image/jpeg": ("jpg", "jpeg", "jpe"),
    "image/png": ("png",),
    "image/gif": ("gif",),
    "application/pdf": ("pdf",),
}
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f"\\/:;*?<>|]')


def download_name(filename: str, content_type: str) -> str:
    """The name a file is downloaded under: no path, quote, control or shell-special
    characters, and ending in its sniffed type's extension ("invoice.pdf.exe" holding a PDF
    downloads as "invoice.pdf.exe.pdf"), so the reader's machine opens it as what it is."""
    name = _UNSAFE_IN_NAME.sub("_", "".join(ch for ch in filename if ch.isprintable()))
    name = name.strip(" .") or "evidence"
    allowed = _EXTENSIONS.get(content_type, ())
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and ext.lower() in allowed) and allowed:
        name = f"{name[:200]}.{allowed[0]}"
    return name[-255:]

"""Serving evidence files, for every door that may (the partner API, the merchant dashboard,
the ops admin): each checks who asks, then answers with this response.

Always an attachment with the content type judged from the bytes at upload and `nosniff`, so a
browser never renders or guesses a file inside the site's origin; never cached by a shared cache.
The download's name is made safe and ends in the sniffed type's extension
(claims.domain.evidence.download_name), so "invoice.pdf.exe" is saved as a PDF, not a program.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import FileResponse, Http404

from claims import selectors
from claims.domain.evidence import download_name
from claims.models import ClaimEvidence


def evidence_response(evidence: ClaimEvidence, *, inline: bool = False) -> FileResponse:
    """The file. `inline` only for the admin's image previews (ops, a sniffed image type)."""
    path = selectors.evidence_path(evidence)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise Http404("The evidence file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=not (inline and evidence.is_image),
        filename=download_name(evidence.filename, evidence.content_type),
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def digest_of_upload(upload: Any) -> str:
    """SHA-256 of an upload, leaving it rewound for the service to read (the API's idempotency
    fingerprint covers the file's content, not only its name)."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()

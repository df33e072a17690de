"""Uploads refused by their size before the body is read.

A file field is checked by its service only once Django has parsed the multipart body, and
that parse spools every byte to a temporary file first: a 2 GB "evidence" fills the disk and
holds a worker for the whole transfer before it is refused. A view that takes one file marks
its limit with `@upload_limit(max_file_bytes)`, and `UploadLimitMiddleware` answers 413 from
the Content-Length header, before anything reads the body (it runs ahead of the CSRF check,
the first to read `request.POST`). Django reads at most Content-Length bytes, so a client
cannot send more than it declared; a body without one (chunked) is read as empty.

This is the application's answer, a page in the user's language naming the limit. The proxy in
front (docs/operations.md, "Processes") caps every body too, for the URLs not marked here.
The partner API checks its own bodies the same way (partners.api.base.PartnerAPIView.initial).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

# Room for the multipart envelope and the form's other fields around a file of the largest
# allowed size (a note of 2,000 characters is at most 8 KB in UTF-8).
ENVELOPE_BYTES = 64 * 1024

View = TypeVar("View", bound=Callable[..., Any])


def upload_limit(max_file_bytes: int) -> Callable[[View], View]:
    """Mark a view that receives one file of at most `max_file_bytes`. Wrappers that copy the
    function's attributes (functools.wraps, the admin's and unfold's) keep the mark."""

    def mark(view: View) -> View:
        view.max_upload_bytes = max_file_bytes  # type: ignore[attr-defined]
        return view

    return mark


def size_text(size_bytes: int) -> str:
    """5242880 → "5 MiB"; the unit reads the same in Chinese."""
    for unit, factor in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if size_bytes >= factor:
            amount = size_bytes / factor
            return f"{amount:.0f} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{size_bytes} B"


class UploadLimitMiddleware:
    """413 for a marked view whose declared body is larger than its file limit allows. List it
    before django.middleware.csrf.CsrfViewMiddleware: process_view runs in that order, and the
    CSRF check reads the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        limit = getattr(view_func, "max_upload_bytes", None)
        if limit is None:
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= limit + ENVELOPE_BYTES:
            return None
        return upload_too_large(request, limit)


def upload_too_large(request: HttpRequest, limit: int) -> HttpResponse:
    """The page saying the file is too large and how large it may be, with a way back to the
    form (the page the upload came from, when it is ours)."""
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    return render(
        request,
        "upload_too_large.html",
        {"limit": size_text(limit), "back_url": back},
        status=413,
    )

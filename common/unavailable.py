"""A database that cannot be reached answers 503 with Retry-After, never a 500 with a traceback.

When PostgreSQL restarts, refuses a connection ("too many clients") or drops one mid-request,
Django raises `OperationalError` / `InterfaceError`. Nothing was committed by that request (its
transaction died with the connection), so the honest answer is "not now, try again": 503 with
`Retry-After`, in the API's error shape for partners and as a short page for people. The next
request gets a fresh connection (`CONN_HEALTH_CHECKS`), so the service recovers by itself.

Django turns an exception raised anywhere below a middleware into a 500 response before the
outer middleware sees it (and with DEBUG into the technical page), so catching the exception
here is not enough: `got_request_exception`, sent while the exception is being handled, marks
the request, and this middleware, the outermost, replaces that response.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext

RETRY_AFTER_SECONDS = 5
_MARK = "_database_unavailable"


@receiver(got_request_exception)
def _mark_database_unavailable(
    sender: object, request: HttpRequest | None = None, **kwargs
) -> None:
    exc = sys.exc_info()[1]
    if request is not None and isinstance(exc, OperationalError | InterfaceError):
        setattr(request, _MARK, True)


def database_was_unavailable(request: object) -> bool:
    """Whether this request met a database it could not use (and is answered 503)."""
    return bool(getattr(request, _MARK, False))


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, _MARK, False):
            return unavailable_response(request)
        return response


def unavailable_response(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "code": "service_unavailable",
                "detail": "The service is briefly unavailable; nothing was recorded. "
                f"Retry after {RETRY_AFTER_SECONDS} seconds with the same Idempotency-Key.",
            },
            status=503,
        )
    else:
        # The locale middleware may not have run (the failure can come before it).
        language = translation.get_language_from_request(request)
        with translation.override(language):
            title = gettext("Deposit Desk is briefly unavailable")
            text = gettext("Nothing you sent was recorded. Please try again in a few seconds.")
        response = HttpResponse(
            f'<!doctype html><html lang="{language}"><meta charset="utf-8">'
            f"<title>{title}</title><h1>{title}</h1><p>{text}</p></html>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response

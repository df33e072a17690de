"""Middleware that has nothing to do for a partner's call to the API, and skips it.

A partner's server calling `/api/v1/` with its key and without a cookie has no verified device,
no flash messages, no htmx and no staff sign-in: the middleware for those ran on every such call
only to find nothing (docs/benchmarks.md, "A leaner API deduction"). The classes here are
those middleware, subclassed (so that checks looking for them, such as the admin's, still find
them), which hand a partner call straight to the next layer. Everything else runs for it as
before: the session and authentication middleware too, whose `Vary: Cookie` is part of every
API answer on PostgreSQL (the audit context reads the user), and CSRF's, which the deployment
check wants by its own name (every API view is exempt from it anyway).

A browser is never a partner call here: it sends cookies once it has any, and the API docs
(Swagger UI, Redoc, the schema) are fetched without a key.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.messages.middleware import MessageMiddleware as DjangoMessageMiddleware
from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxMiddleware as DjangoHtmxMiddleware
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware

API_PREFIX = "/api/v1/"
_MARK = "_partner_api_call"


def is_partner_call(request: HttpRequest) -> bool:
    """A call to the partner API with a key and no cookie (decided once per request)."""
    known = request.__dict__.get(_MARK)
    if known is None:
        meta = request.META
        known = (
            request.path_info.startswith(API_PREFIX)
            and "HTTP_AUTHORIZATION" in meta
            and not meta.get("HTTP_COOKIE")  # absent, or empty as the test client sends it
        )
        request.__dict__[_MARK] = known
    return known


class SkippedForPartnerCalls:
    """Mixin, first in the bases: a partner call goes straight to the next middleware."""

    # Synchronous only (gunicorn's sync workers): under ASGI Django adapts these as it does any
    # synchronous middleware, instead of this short cut returning a coroutine.
    sync_capable = True
    async_capable = False
    get_response: Callable[[HttpRequest], HttpResponse]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_partner_call(request):
            return self.get_response(request)
        return super().__call__(request)  # type: ignore[misc]


class OTPMiddleware(SkippedForPartnerCalls, DjangoOTPMiddleware):
    """No session, so no verified device: the user stays anonymous either way."""


class MessageMiddleware(SkippedForPartnerCalls, DjangoMessageMiddleware):
    """The API neither shows nor stores flash messages."""


class HtmxMiddleware(SkippedForPartnerCalls, DjangoHtmxMiddleware):
    """`request.htmx` is read by dashboard views only."""

"""Partner API plumbing: one error shape for every failure.

`{"code": "<snake_case>", "detail": "<sentence>", "fields": {...}}` (fields only for validation),
as api-v1.md fixes it. DomainErrors carry their own code and status; DRF's exceptions are mapped
to the contract's codes; anything else is a bug and stays a 500 (and fails the tests).
"""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError, InvalidInput
from partners.api.base import PartnerAPIView
from partners.api.errors import error_body

__all__ = ["api_not_found", "error_body", "exception_handler"]

_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "validation_error",
}


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, messages in _flatten(value).items():
                    out[f"{key}.{sub}"] = messages
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, messages in _flatten(item).items():
                        out[f"{key}[{index}].{sub}"] = messages
            else:
                out[str(key)] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    return {
        "non_field_errors": [str(v) for v in (detail if isinstance(detail, list) else [detail])]
    }


def _invalid_request(fields: dict[str, list[str]]) -> str:
    """One style for every 400 with fields, whether DRF's serializer or a service refused it."""
    return "Invalid request. " + "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        detail = exc.detail
        if isinstance(exc, InvalidInput) and exc.fields and detail == exc.default_detail:
            detail = _invalid_request(exc.fields)
        return Response(error_body(exc.code, detail, exc.fields), status=exc.http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    assert isinstance(exc, exceptions.APIException)
    code = next(
        (c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)),
        str(getattr(exc, "default_code", "error")),
    )
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = error_body(code, _invalid_request(fields), fields)
        response.status_code = status.HTTP_400_BAD_REQUEST
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        response.data = error_body(code, str(detail))
    return response


# An id that is not a UUID cannot name anything: say which kind of object was not found, as a
# lookup of a well-formed id would, rather than "No such endpoint", which sends a partner looking
# for a typo in the path instead of in the id.
_MALFORMED_IDS = {
    "shops": "No such shop: shop ids are UUIDs.",
    "holds": "No such hold: hold ids are UUIDs.",
    "webhook-endpoints": "No such webhook endpoint: endpoint ids are UUIDs.",
}
_WITH_ID = re.compile(r"^/api/v1/(?P<collection>[a-z-]+)/(?P<id>[^/]+)/")


def _malformed_id(path: str) -> str | None:
    match = _WITH_ID.match(path)
    if match is None or match["collection"] not in _MALFORMED_IDS:
        return None
    try:
        uuid.UUID(match["id"])
    except ValueError:
        return _MALFORMED_IDS[match["collection"]]
    return None


class ApiNotFoundView(PartnerAPIView):
    """Unknown paths under /api/v1/: a JSON 404, with a hint when only the slash is missing or
    the id is not a UUID. Behind the key like every other path, so that a request without one is
    the documented 401 whatever it asks for (a malformed id must not answer before the key)."""

    schema = None  # not an endpoint: left out of the OpenAPI document
    parser_classes: ClassVar[list[Any]] = []  # the body of a request to nowhere is never read

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # English unless asked otherwise, as on every API path (PartnerAPIView.dispatch).
        # Key, scopes (none needed) and throttle only: an unknown path needs no Idempotency-Key.
        APIView.initial(self, request, *args, **kwargs)

    def not_found(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        detail = "No such endpoint."
        if not request.path.endswith("/"):
            detail += f" (API paths end with a slash: {request.path}/)"
        else:
            detail = _malformed_id(request.path) or detail
        raise exceptions.NotFound(detail)

    get = post = put = patch = delete = head = options = not_found


api_not_found = ApiNotFoundView.as_view()

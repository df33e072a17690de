"""The contract's error shape and the API-only errors (api-v1.md, Errors)."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException

from common.errors import DomainError


def error_body(
    code: str, detail: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "detail": detail}
    if fields:
        body["fields"] = fields
    return body


class IdempotencyKeyRequired(DomainError):
    code = "idempotency_key_required"
    http_status = 400
    default_detail = "Every POST needs an Idempotency-Key header (1 to 255 characters)."


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "The request body is larger than the 1 MiB the API accepts."

"""OpenAPI helpers shared by every partner endpoint: the error shape, the error responses each
operation documents (with an example per code), and the Idempotency-Key header."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from partners.api.errors import error_body


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable snake_case code, e.g. insufficient_funds.")
    detail = serializers.CharField(help_text="A sentence for humans.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation only: messages per field (body field, query parameter or header).",
    )

    class Meta:
        ref_name = "Error"


_EXAMPLES: dict[str, tuple[int, dict[str, Any]]] = {
    "validation_error": (
        400,
        error_body(
            "validation_error",
            "Invalid request. amount_minor: Ensure this value is greater than or equal to 1.",
            {"amount_minor": ["Ensure this value is greater than or equal to 1."]},
        ),
    ),
    "parse_error": (400, error_body("parse_error", "The body is not valid JSON: …")),
    "idempotency_key_required": (
        400,
        error_body(
            "idempotency_key_required",
            "Every POST needs an Idempotency-Key header (1 to 255 characters).",
        ),
    ),
    "not_authenticated": (401, error_body("not_authenticated", "Invalid API key.")),
    "permission_denied": (
        403,
        error_body("permission_denied", "This API key lacks the scope 'deposits:write'."),
    ),
    "not_found": (404, error_body("not_found", "Not found.")),
    "request_too_large": (
        413,
        error_body(
            "request_too_large", "The request body is larger than the 1 MiB the API accepts."
        ),
    ),
    "unsupported_media_type": (
        415,
        error_body("unsupported_media_type", 'Unsupported media type "text/plain" in request.'),
    ),
    "idempotency_key_reused": (
        422,
        error_body(
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request; use a new key.",
            {"Idempotency-Key": ["Already used with another method, path or body."]},
        ),
    ),
    "idempotency_key_in_use": (
        409,
        error_body(
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed; retry in a moment.",
        ),
    ),
    "throttled": (
        429,
        error_body("throttled", "Request was throttled. Expected available in 12 seconds."),
    ),
    "insufficient_funds": (
        409,
        error_body(
            "insufficient_funds", "Available deposit is 100000, less than the 150000 deducted."
        ),
    ),
    "would_cause_shortfall": (
        409,
        error_body(
            "would_cause_shortfall",
            "The deposit must stay at 5000000; at most 20000 can be withdrawn now.",
        ),
    ),
    "hold_not_active": (409, error_body("hold_not_active", "The hold is already captured.")),
    "duplicate_reference": (
        409,
        error_body("duplicate_reference", "This payment has already credited a deposit."),
    ),
    "invalid_state": (
        409,
        error_body("invalid_state", "The application is already ACCEPTED."),
    ),
    "not_eligible": (
        409,
        error_body(
            "not_eligible",
            "The shop is not eligible for perf-bond: category_not_eligible.",
        ),
    ),
    "quote_expired": (
        409,
        error_body(
            "quote_expired", "The quote was valid until 2026-11-09T06:00:00Z; ask for a new one."
        ),
    ),
    "quote_used": (
        409,
        error_body(
            "quote_used",
            "An application was already made with this quote; ask for a new one.",
        ),
    ),
    "application_open": (
        409,
        error_body(
            "application_open",
            "The shop already has an application under review or a policy awaiting premium "
            "or in force.",
        ),
    ),
    "recoveries_outstanding": (
        409,
        error_body(
            "recoveries_outstanding",
            "The merchant still owes the insurer for an advance; repay it first.",
        ),
    ),
}

_DESCRIPTIONS = {
    400: "Invalid request (validation_error, parse_error, idempotency_key_required).",
    401: "Missing, unknown, revoked or expired API key (not_authenticated).",
    403: "The key lacks the scope this operation needs (permission_denied).",
    404: "No such object for this partner (not_found), also for another partner's objects.",
    405: "Method not allowed (method_not_allowed).",
    406: "Not acceptable: the API answers application/json only (not_acceptable).",
    409: "Conflict with the current state; stored and replayed under the Idempotency-Key.",
    413: "Body larger than 1 MiB (request_too_large).",
    415: "Body is not application/json (unsupported_media_type).",
    422: "The Idempotency-Key was used for a different request (idempotency_key_reused).",
    429: "Too many requests for this partner (throttled); see Retry-After.",
}

READ_ERRORS = (400, 401, 403, 404, 405, 406, 429)
POST_ERRORS = (400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 429)


def error_responses(*statuses: int, conflicts: tuple[str, ...] = ()) -> dict[int, Any]:
    """Documented error responses, each with an example per code that status can carry."""
    out: dict[int, Any] = {}
    for status in statuses:
        codes = [c for c, (s, _) in _EXAMPLES.items() if s == status]
        if status == 409:
            codes = [*conflicts, "idempotency_key_in_use"]
        examples = [
            OpenApiExample(code, value=_EXAMPLES[code][1], status_codes=[str(status)])
            for code in codes
            if code in _EXAMPLES
        ]
        out[status] = OpenApiResponse(
            response=ErrorSerializer, description=_DESCRIPTIONS.get(status, ""), examples=examples
        )
    return out


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=True,
    description=(
        "Unique per request you mean once (a UUID is ideal), 1–255 characters, scoped to your "
        "partner. A retry with the same key, method, path and body returns the first response "
        "(status and body, header Idempotent-Replayed: true); the same key with another request "
        "is 422 idempotency_key_reused. Kept 24 hours."
    ),
    pattern=r"^\S(.{0,253}\S)?$",
)

RETRY_AFTER_HEADER = OpenApiParameter(
    name="Retry-After",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the partner's per-minute window resets.",
)

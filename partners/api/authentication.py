"""`Authorization: Bearer <key>`: the key found by its SHA-256, remembered by the process for a few
seconds (partners.services.key_cache: a revocation still refuses it on the next request)."""

from __future__ import annotations

import time
from typing import Any

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from common.history import add_context
from partners import services
from partners.models import ApiKey, Partner
from partners.services.keys import MAX_RAW_KEY_LENGTH


class ApiKeyAuthentication(BaseAuthentication):
    """Sets `request.user` to the Partner and `request.auth` to the ApiKey."""

    def authenticate(self, request: Request) -> tuple[Partner, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw:
            raise AuthenticationFailed("Send the key as: Authorization: Bearer <key>.")
        if len(raw) > MAX_RAW_KEY_LENGTH:
            raise AuthenticationFailed("Invalid API key.")
        now_ts = time.time()
        api_key, count = services.api_key_for_request(
            services.hash_key(raw),
            count_for=lambda partner_id: services.throttle_key(partner_id, now_ts),
        )
        # The throttle's count for this request, taken with the key's check in one round trip.
        request.partner_throttle = (count, now_ts) if count is not None else None
        if api_key is None:
            raise AuthenticationFailed("Invalid API key.")
        now = timezone.now()
        if api_key.revoked_at is not None:
            raise AuthenticationFailed("This API key has been revoked.")
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise AuthenticationFailed("This API key has expired.")
        if not api_key.partner.is_active:
            raise AuthenticationFailed("This partner is not active; contact the platform.")
        services.api_key_touch(api_key=api_key, now=now)
        # The audit trail's actor for this request is the key (request.user is the partner).
        add_context(partner_key=api_key.prefix, partner=api_key.partner_id)
        return api_key.partner, api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes a missing or bad key a 401 (not a 403), as the contract says.
        return 'Bearer realm="api"'


def _register_schema_extension() -> Any:
    from drf_spectacular.extensions import OpenApiAuthenticationExtension

    class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
        target_class = "partners.api.authentication.ApiKeyAuthentication"
        name = "partnerKey"

        def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
            return {
                "type": "http",
                "scheme": "bearer",
                "description": (
                    "A partner API key from `python manage.py create_partner_key <name>`: "
                    "`Authorization: Bearer ddk_…`."
                ),
            }

    return ApiKeyScheme


_register_schema_extension()

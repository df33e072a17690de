"""The base of every partner API view: key auth, scopes, per-partner throttling, bounded JSON,
and the Idempotency-Key rules for POSTs (api-v1.md):

- the key is required on every POST (400 `idempotency_key_required`), 1–255 characters;
- the body is validated first: a 400 is not stored and the same key may be retried;
- the operation and its idempotency record share one durable transaction, so the record exists
  if and only if the effect committed; a 2xx and a 409/422 domain refusal are stored;
- a replay returns the stored status and the byte-identical body (header
  `Idempotent-Replayed: true`); the same key with another method, path or body is
  `422 idempotency_key_reused`; a duplicate racing one still in flight waits for it (up to
  PARTNER_API_IDEMPOTENCY_WAIT_MS) and replays it, else `409 idempotency_key_in_use`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import SimpleTemplateResponse
from django.utils import timezone, translation
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from common.errors import DomainError, IdempotencyKeyReused, InvalidInput
from partners import services
from partners.api.authentication import ApiKeyAuthentication
from partners.api.errors import IdempotencyKeyRequired, RequestTooLarge, error_body
from partners.api.fields import simple_validated
from partners.api.pagination import PartnerCursorPagination
from partners.api.parsers import BoundedJSONParser, body_limit
from partners.api.permissions import HasScope
from partners.api.throttling import PartnerRateThrottle
from partners.models import IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# Domain refusals that are answers, stored and replayed like a success (api-v1.md).
STORED_ERROR_STATUSES = frozenset({409, 422})
_renderer = JSONRenderer()


class _Replay(Exception):
    def __init__(self, record: IdempotencyRecord):
        self.record = record


def render_json(data: Any) -> str:
    return _renderer.render(data).decode()


def json_response(body: str, status: int, *, replayed: bool = False) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class PartnerAPIView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [PartnerRateThrottle]
    parser_classes = [BoundedJSONParser]
    renderer_classes = [JSONRenderer]
    pagination_class = PartnerCursorPagination
    metadata_class = None  # no OPTIONS metadata: every method the API has is documented
    # The scope each HTTP method needs, e.g. {"GET": Scope.SHOPS_READ}.
    scopes: ClassVar[dict[str, str]] = {}
    # Claim the Idempotency-Key before the work (operations not idempotent by themselves), or
    # store the record after it (ledger operations, which serialise on the account lock and
    # carry their own ledger key): see partners.services.idempotency.
    idempotency_claim_first: ClassVar[bool] = True

    idempotency_key: str | None = None

    @property
    def partner_id(self) -> int:
        return int(self.request.auth.partner_id)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if "HTTP_ACCEPT_LANGUAGE" in request.META:
            return super().dispatch(request, *args, **kwargs)  # LocaleMiddleware's choice
        # Machines calling machines: English unless the partner asks for a language (the site's
        # default is Chinese for merchants), so a detail is never half translated. For this
        # answer only: activating it for good left the thread in English after the response, for
        # whatever ran next in that worker outside a request's middleware.
        with translation.override("en"):
            response = super().dispatch(request, *args, **kwargs)
            if isinstance(response, SimpleTemplateResponse):
                # Rendered here, not later by the handler: a lazily translated string in the
                # data is English too, as the answer's language says.
                response.render()
            # LocaleMiddleware would name the thread's language, restored by then.
            response["Content-Language"] = "en"
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authentication, scopes, throttling
        if request.method == "OPTIONS" or not hasattr(self, (request.method or "").lower()):
            return  # the method is not allowed here: a 405 follows, nothing else to check
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > self.max_body_bytes():
            raise self.body_too_large()
        unknown = sorted(set(request.query_params) - self.allowed_query_params())
        if unknown:
            raise ValidationError({name: ["Unknown query parameter."] for name in unknown})
        if request.method == "POST":
            key = request.META.get("HTTP_IDEMPOTENCY_KEY")
            if key is None or not key.strip():
                raise IdempotencyKeyRequired()
            if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
                raise InvalidInput(
                    f"The Idempotency-Key is {len(key)} characters; at most "
                    f"{MAX_IDEMPOTENCY_KEY_LENGTH} are allowed.",
                    fields={IDEMPOTENCY_HEADER: ["Must be 1 to 255 characters."]},
                )
            self.idempotency_key = key

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        """DRF's negotiation, answered without parsing the Accept header when the partner takes
        anything or JSON (most send no Accept at all): a view that renders only JSON then gets
        what DRF would give it, JSON as `application/json`."""
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if (
            accept in ("*/*", "application/json")
            and self.renderer_classes == [JSONRenderer]
            and not self.format_kwarg
            and api_settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    def max_body_bytes(self) -> int:
        """The largest body this view reads (an upload endpoint allows its file's limit)."""
        return body_limit()

    def body_too_large(self) -> Exception:
        return RequestTooLarge()

    def allowed_query_params(self) -> set[str]:
        """Query parameters this view reads; any other is a 400 naming it (a typo such as
        `?stauts=` must not silently list everything)."""
        query = getattr(self, "query_serializer_class", None)
        if query is None or self.request.method != "GET":
            return set()
        return set(query().fields)

    def validated(self, serializer_class: type[Serializer], data: Any = None) -> dict[str, Any]:
        """Validate the body (or `data`); a 400 here is never stored. A body the serializer
        would surely accept is taken without building it (`simple_validated`)."""
        payload = self.request.data if data is None else data
        simple = simple_validated(serializer_class, payload)
        if simple is not None:
            return simple
        serializer = serializer_class(data=payload, context={"view": self})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def ledger_key(self) -> str:
        """The ledger service's own idempotency key: per partner, so two partners' keys never
        collide (a key of 255 characters plus the prefix stays within the ledger's 300)."""
        return f"api:{self.partner_id}:{self.idempotency_key}"

    def idempotent(
        self,
        perform: Callable[[], tuple[int, Any]],
        *,
        fingerprint_data: Any = None,
        redact: Callable[[Any], Any] | None = None,
    ) -> HttpResponse:
        """Run `perform` (returning status and body data) exactly once per Idempotency-Key.
        `fingerprint_data` stands for the body when it is not JSON (an upload: its digest).
        `redact` gives what the record keeps of a success when the answer holds a secret that
        must never be stored (a rotated key): a replay answers that, not the secret."""
        request = self.request
        assert self.idempotency_key is not None
        fingerprint = services.request_fingerprint(
            method=request.method or "POST",
            path=request.path,
            data=request.data if fingerprint_data is None else fingerprint_data,
        )
        record_args = {
            "partner_id": self.partner_id,
            "key": self.idempotency_key,
            "fingerprint": fingerprint,
            "method": request.method or "POST",
            "path": request.path,
        }
        now = timezone.now()
        try:
            with transaction.atomic(durable=True):
                record_id = None
                if self.idempotency_claim_first:
                    record_id, existing = services.idempotency_claim(
                        **record_args,
                        now=now,
                        wait_ms=max(
                            1, getattr(settings, "PARTNER_API_IDEMPOTENCY_WAIT_MS", 10_000)
                        ),
                    )
                    if existing is not None:
                        raise _Replay(existing)
                try:
                    status, data = perform()
                except DomainError as exc:
                    if exc.http_status not in STORED_ERROR_STATUSES:
                        raise  # 400/404: rolled back, not stored, the key may be retried
                    status, data = exc.http_status, error_body(exc.code, exc.detail, exc.fields)
                body = render_json(data)
                kept = body if redact is None or status >= 300 else render_json(redact(data))
                if record_id is not None:
                    services.idempotency_complete(
                        record_id=record_id, status_code=status, response_body=kept
                    )
                else:
                    existing = services.idempotency_store(
                        **record_args, status_code=status, response_body=kept, now=now
                    )
                    if existing is not None:
                        # An earlier request committed this key first: undo ours, answer theirs.
                        raise _Replay(existing)
        except _Replay as replay:
            return self._replay(replay.record, fingerprint)
        return json_response(body, status)

    def _replay(self, record: IdempotencyRecord, fingerprint: str) -> HttpResponse:
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used for a different request "
                f"({record.method} {record.path}); use a new key for a new request.",
                fields={IDEMPOTENCY_HEADER: ["Already used with another method, path or body."]},
            )
        if record.status_code is None:  # cannot be seen committed; defensive
            raise services.IdempotencyKeyInUse()
        return json_response(record.response_body, record.status_code, replayed=True)

"""Partners' own endpoints: webhook endpoints, the pull feed of events, key rotation."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import PermissionDenied
from partners import selectors, services
from partners.api.base import PartnerAPIView
from partners.api.pagination import OldestFirstCursorPagination
from partners.api.schema import (
    IDEMPOTENCY_KEY_PARAMETER,
    POST_ERRORS,
    READ_ERRORS,
    RETRY_AFTER_HEADER,
    error_responses,
)
from partners.api.serializers import (
    ApiKeyRotatedOutput,
    ApiKeyRotateInput,
    DeliveryDetailOutput,
    DeliveryListQuery,
    DeliveryOutput,
    EventListQuery,
    EventOutput,
    WebhookEndpointCreatedOutput,
    WebhookEndpointCreateInput,
    WebhookEndpointOutput,
)
from partners.models import Delivery, Event, Scope, WebhookEndpoint

_ENDPOINT_EXAMPLE = {
    "id": "5d1c2a4e-8f0b-4c4e-9a57-2f7d0e1b9c11",
    "url": "https://partner.example.com/deposit-desk/webhooks",
    "event_types": ["deposit.entry_posted", "shop.status_changed"],
    "description": "production receiver",
    "is_active": True,
    "disabled_reason": "",
    "created_at": "2026-11-02T06:00:00Z",
}
_EVENT_EXAMPLE = {
    "id": "0b6f3c5e-2a7d-4f0e-8c1b-9d2e3f4a5b6c",
    "type": "shop.status_changed",
    "created_at": "2026-11-02T06:00:00Z",
    "data": {
        "shop": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "external_ref": "tmall-123",
        "status": "ACTIVE",
        "previous_status": "ONBOARDING",
        "deposit": {
            "currency": "CNY",
            "required_minor": 5000000,
            "posted_minor": 5000000,
            "held_minor": 0,
            "available_minor": 5000000,
            "guaranteed_minor": 0,
            "debt_minor": 0,
            "shortfall_minor": 0,
        },
        "restrictions": [],
    },
}


def _parse_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


class PartnerListView(PartnerAPIView, generics.ListAPIView):  # type: ignore[misc]
    """Lists: cursor-paginated, scoped to the calling partner."""

    def allowed_query_params(self) -> set[str]:
        if self.request.method != "GET":
            return set()
        paginator = self.pagination_class
        assert paginator is not None
        return super().allowed_query_params() | {
            paginator.cursor_query_param,
            paginator.page_size_query_param,
        }


class WebhookEndpointsView(PartnerListView):
    scopes = {"GET": Scope.WEBHOOKS_MANAGE, "POST": Scope.WEBHOOKS_MANAGE}
    serializer_class = WebhookEndpointOutput

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return selectors.webhook_endpoints_for_partner(self.partner_id)

    @extend_schema(
        operation_id="webhook_endpoints_list",
        summary="List webhook endpoints",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: WebhookEndpointOutput(many=True), **error_responses(*READ_ERRORS)},
        tags=["webhooks"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="webhook_endpoints_create",
        summary="Create a webhook endpoint",
        description=(
            "Registers a URL for the given event types. The response carries the signing "
            "`secret` **this once**: store it to verify `Deposit-Signature`. Loopback and "
            "private addresses are refused unless the platform allow-lists them; https is "
            "required outside development."
        ),
        request=WebhookEndpointCreateInput,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, RETRY_AFTER_HEADER],
        responses={201: WebhookEndpointCreatedOutput, **error_responses(*POST_ERRORS)},
        examples=[
            OpenApiExample(
                "all events",
                value={"url": "https://partner.example.com/hooks", "event_types": ["*"]},
                request_only=True,
            ),
            OpenApiExample(
                "created",
                value={**_ENDPOINT_EXAMPLE, "secret": "whsec_3q2+7w…"},
                response_only=True,
                status_codes=["201"],
            ),
        ],
        tags=["webhooks"],
    )
    def post(self, request: Request) -> HttpResponse:
        data = self.validated(WebhookEndpointCreateInput)

        def perform() -> tuple[int, Any]:
            endpoint = services.webhook_endpoint_create(
                partner_id=self.partner_id,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
                now=timezone.now(),
            )
            return 201, WebhookEndpointCreatedOutput(endpoint).data

        return self.idempotent(perform)


class WebhookEndpointDetailView(PartnerAPIView):
    scopes = {"GET": Scope.WEBHOOKS_MANAGE, "DELETE": Scope.WEBHOOKS_MANAGE}

    def _endpoint(self, endpoint_id: str) -> WebhookEndpoint:
        endpoint = (
            selectors.webhook_endpoints_for_partner(self.partner_id)
            .filter(public_id=_parse_uuid(endpoint_id))
            .first()
        )
        if endpoint is None:
            raise NotFound()
        return endpoint

    @extend_schema(
        operation_id="webhook_endpoints_retrieve",
        summary="Get a webhook endpoint",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: WebhookEndpointOutput, **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("endpoint", value=_ENDPOINT_EXAMPLE, response_only=True)],
        tags=["webhooks"],
    )
    def get(self, request: Request, endpoint_id: str) -> Response:
        return Response(WebhookEndpointOutput(self._endpoint(endpoint_id)).data)

    @extend_schema(
        operation_id="webhook_endpoints_destroy",
        summary="Delete a webhook endpoint",
        description="Nothing more is sent to it; its pending deliveries are cancelled.",
        parameters=[RETRY_AFTER_HEADER],
        responses={204: None, **error_responses(*READ_ERRORS)},
        tags=["webhooks"],
    )
    def delete(self, request: Request, endpoint_id: str) -> Response:
        services.webhook_endpoint_delete(endpoint=self._endpoint(endpoint_id), now=timezone.now())
        return Response(status=204)


class EventListView(PartnerListView):
    scopes = {"GET": Scope.EVENTS_READ}
    serializer_class = EventOutput
    query_serializer_class = EventListQuery
    pagination_class = OldestFirstCursorPagination

    def get_queryset(self) -> QuerySet[Event]:
        query = self.validated(EventListQuery, self.request.query_params.dict())
        events = selectors.events_for_partner(self.partner_id)
        if "type" in query:
            events = events.filter(type=query["type"])
        if "after" in query:
            after = events.filter(public_id=query["after"]).values_list("pk", flat=True).first()
            if after is None:
                raise NotFound("No event with that id for this partner.")
            events = events.filter(pk__gt=after)
        return events

    @extend_schema(
        operation_id="events_list",
        summary="List events (pull)",
        description=(
            "The partner's events, **oldest first**, the same objects webhooks deliver. Poll "
            "with `after=<last event id you processed>`; `next` is null on the last page."
        ),
        parameters=[EventListQuery, RETRY_AFTER_HEADER],
        responses={200: EventOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[
            OpenApiExample(
                "a page",
                value=_EVENT_EXAMPLE,
                response_only=True,
            )
        ],
        tags=["events"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookDeliveryListView(PartnerListView):
    """The delivery log the admin shows ops, readable by the partner it concerns."""

    scopes = {"GET": Scope.WEBHOOKS_MANAGE}
    serializer_class = DeliveryOutput
    query_serializer_class = DeliveryListQuery

    def get_queryset(self) -> QuerySet[Delivery]:
        query = self.validated(DeliveryListQuery, self.request.query_params.dict())
        deliveries = selectors.deliveries_for_partner(self.partner_id)
        if "status" in query:
            deliveries = deliveries.filter(status=query["status"])
        if "endpoint" in query:
            deliveries = deliveries.filter(endpoint__public_id=query["endpoint"])
        if "event" in query:
            deliveries = deliveries.filter(event__public_id=query["event"])
        if "event_type" in query:
            deliveries = deliveries.filter(event__type=query["event_type"])
        return deliveries

    @extend_schema(
        operation_id="webhook_deliveries_list",
        summary="List webhook deliveries",
        description=(
            "Every delivery of an event to one of your endpoints, **newest first**: its status, "
            "attempts so far, the next attempt (while pending), the last HTTP status or error "
            "your receiver gave. A delivery is retried with backoff for 24 hours, then FAILED; "
            "ask for a redelivery with `POST /webhook-deliveries/{id}/redeliver/`."
        ),
        parameters=[DeliveryListQuery, RETRY_AFTER_HEADER],
        responses={200: DeliveryOutput(many=True), **error_responses(*READ_ERRORS)},
        tags=["webhooks"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


def _own_delivery(partner_id: int, delivery_id: str) -> Delivery:
    delivery = (
        selectors.deliveries_for_partner(partner_id)
        .filter(public_id=_parse_uuid(delivery_id))
        .first()
    )
    if delivery is None:
        raise NotFound()  # another partner's delivery looks exactly like a missing one
    return delivery


class WebhookDeliveryDetailView(PartnerAPIView):
    scopes = {"GET": Scope.WEBHOOKS_MANAGE}

    @extend_schema(
        operation_id="webhook_deliveries_retrieve",
        summary="Get a webhook delivery with its attempts",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: DeliveryDetailOutput, **error_responses(*READ_ERRORS)},
        tags=["webhooks"],
    )
    def get(self, request: Request, delivery_id: str) -> Response:
        return Response(DeliveryDetailOutput(_own_delivery(self.partner_id, delivery_id)).data)


class WebhookDeliveryRedeliverView(PartnerAPIView):
    scopes = {"POST": Scope.WEBHOOKS_MANAGE}

    @extend_schema(
        operation_id="webhook_deliveries_redeliver",
        summary="Ask for a webhook delivery again",
        description=(
            "Puts the delivery back in the queue with a fresh 24-hour retry window; it is sent "
            "at once, after any earlier pending delivery for the same shop (order per shop is "
            "kept). Works for SUCCEEDED and FAILED deliveries; a CANCELLED one (its endpoint "
            "was deleted) is `409 invalid_state`. The event is the same: its `id` lets your "
            "receiver recognise a repeat."
        ),
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, RETRY_AFTER_HEADER],
        responses={202: DeliveryOutput, **error_responses(*POST_ERRORS)},
        tags=["webhooks"],
    )
    def post(self, request: Request, delivery_id: str) -> HttpResponse:
        delivery = _own_delivery(self.partner_id, delivery_id)

        def perform() -> tuple[int, Any]:
            services.delivery_redeliver_for_partner(delivery=delivery, now=timezone.now())
            delivery.refresh_from_db()
            return 202, DeliveryOutput(delivery).data

        return self.idempotent(perform)


class RedocView(SpectacularRedocView):
    """Redoc from local static files only (the stock template links Google Fonts), under the
    product's icon."""

    template_name = "partners/api/redoc.html"


class SwaggerView(SpectacularSwaggerSplitView):
    """Swagger UI from local static files, its start script from a file (CSP), under the
    product's icon (the stock template shows Swagger's)."""

    template_name = "partners/api/swagger_ui.html"


class ApiKeyRotateView(PartnerAPIView):
    """A partner rotates the key it calls with (no scope needed: the successor can do exactly
    what the caller's key can, so no four-eyes either). Only itself: a key that could rotate
    another key of its partner would get that key's scopes."""

    @extend_schema(
        operation_id="api_keys_rotate",
        summary="Rotate the calling API key",
        description=(
            "Issues a new key with the same scopes and label as the key this request is made "
            "with, which must be the key named by `prefix`; the old key keeps working for "
            "`overlap_hours` (default 24), then answers `401 not_authenticated`. The new key "
            "is in this response **only**: a replay of the same Idempotency-Key answers "
            "`key: null`. A key already rotated is `409 key_already_rotated`; another key of "
            "your partner is `403 permission_denied`; a key that is not yours is `404`."
        ),
        request=ApiKeyRotateInput,
        parameters=[IDEMPOTENCY_KEY_PARAMETER, RETRY_AFTER_HEADER],
        responses={201: ApiKeyRotatedOutput, **error_responses(*POST_ERRORS)},
        examples=[
            OpenApiExample("a week of overlap", value={"overlap_hours": 168}, request_only=True),
            OpenApiExample(
                "rotated",
                value={
                    "prefix": "ddk_9f3a0c1e",
                    "key": "ddk_9f3a0c1e_Zx3…",
                    "scopes": ["shops:read", "deposits:write"],
                    "created_at": "2026-12-07T06:00:00Z",
                    "expires_at": None,
                    "replaces": {"prefix": "ddk_41b7e2d0", "expires_at": "2026-12-08T06:00:00Z"},
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
        tags=["keys"],
    )
    def post(self, request: Request, prefix: str) -> HttpResponse:
        data = self.validated(ApiKeyRotateInput)
        target = selectors.api_key_of_partner(self.partner_id, prefix)
        if target is None:
            raise NotFound()
        if target.pk != request.auth.pk:
            raise PermissionDenied("A key may rotate only itself; send this with that key.")

        def perform() -> tuple[int, Any]:
            issued = services.api_key_rotate(
                api_key_id=target.pk,
                now=timezone.now(),
                overlap_hours=data.get("overlap_hours"),
                partner_id=self.partner_id,
            )
            new = issued.api_key
            old = new.replaces  # the locked row, with its new expiry
            assert old is not None
            body = {
                "prefix": new.prefix,
                "key": issued.raw,
                "scopes": new.scopes,
                "created_at": new.created_at,
                "expires_at": new.expires_at,
                "replaces": {"prefix": old.prefix, "expires_at": old.expires_at},
            }
            return 201, ApiKeyRotatedOutput(body).data

        return self.idempotent(perform, redact=lambda body: {**body, "key": None})

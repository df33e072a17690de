"""Input and output serializers for webhook endpoints and events (explicit, one per purpose)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from partners.api.fields import InputSerializer, StrictCharField, UtcDateTimeField
from partners.models import EVENT_TYPES, Event
from partners.services import event_payload

EVENT_TYPE_HELP = "Known types: " + ", ".join(EVENT_TYPES) + '; or ["*"] for every type.'


class WebhookEndpointCreateInput(InputSerializer):
    url = serializers.URLField(max_length=2000, help_text="https:// URL that receives POSTs.")
    event_types = serializers.ListField(
        child=StrictCharField(max_length=60),
        min_length=1,
        max_length=50,
        # DRF's own words are "Ensure this field has at least 1 elements."
        error_messages={
            "min_length": 'Give at least one event type, or ["*"] for all.',
            "max_length": "Give at most {max_length} event types.",
        },
        help_text=EVENT_TYPE_HELP,
    )
    description = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookEndpointOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    url = serializers.CharField(read_only=True)
    event_types = serializers.ListField(child=serializers.CharField(), read_only=True)
    description = serializers.CharField(read_only=True)
    is_active = serializers.BooleanField(
        read_only=True,
        help_text="False once disabled (deliveries kept failing for 24 hours) or deleted.",
    )
    disabled_reason = serializers.CharField(read_only=True)
    created_at = UtcDateTimeField()

    class Meta:
        ref_name = "WebhookEndpoint"


class WebhookEndpointCreatedOutput(WebhookEndpointOutput):
    secret = serializers.CharField(
        read_only=True,
        help_text="Signs every delivery (Deposit-Signature). Shown only in this response.",
    )

    class Meta:
        ref_name = "WebhookEndpointWithSecret"


class EventOutput(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    type = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    data = serializers.DictField(read_only=True)

    class Meta:
        ref_name = "Event"

    def to_representation(self, instance: Event) -> dict[str, Any]:
        # Exactly the body a webhook delivery carries.
        return event_payload(instance)


class EventListQuery(serializers.Serializer):  # unknown names: PartnerAPIView.initial
    type = serializers.CharField(
        max_length=60, required=False, help_text="Only events of this type."
    )
    after = serializers.UUIDField(
        required=False,
        help_text=(
            "Only events newer than this event id: store the last id you processed and "
            "poll with it."
        ),
    )


class DeliveryAttemptOutput(serializers.Serializer):
    attempted_at = UtcDateTimeField()
    status_code = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Your receiver's HTTP status; null: no answer."
    )
    error = serializers.CharField(read_only=True, help_text="Timeout, refused, reset, … or empty.")
    duration_ms = serializers.IntegerField(read_only=True)
    response_excerpt = serializers.CharField(
        read_only=True, help_text="The start of your receiver's answer (500 characters at most)."
    )

    class Meta:
        ref_name = "WebhookDeliveryAttempt"


class DeliveryOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    event = serializers.SerializerMethodField()
    endpoint = serializers.SerializerMethodField()
    status = serializers.CharField(
        read_only=True, help_text="PENDING, SUCCEEDED, FAILED (gave up after 24 h) or CANCELLED."
    )
    attempts = serializers.IntegerField(read_only=True)
    next_attempt_at = serializers.SerializerMethodField()
    give_up_at = UtcDateTimeField()
    last_attempt_at = UtcDateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(read_only=True, allow_null=True)
    last_error = serializers.CharField(read_only=True)
    delivered_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()

    class Meta:
        ref_name = "WebhookDelivery"

    def get_event(self, delivery: Any) -> dict[str, str]:
        return {"id": str(delivery.event.public_id), "type": delivery.event.type}

    def get_endpoint(self, delivery: Any) -> dict[str, str]:
        return {"id": str(delivery.endpoint.public_id), "url": delivery.endpoint.url}

    def get_next_attempt_at(self, delivery: Any) -> str | None:
        if delivery.status != "PENDING":
            return None
        return UtcDateTimeField().to_representation(delivery.next_attempt_at)


class DeliveryDetailOutput(DeliveryOutput):
    attempt_log = serializers.SerializerMethodField(
        help_text="The latest attempts, newest first (at most 20)."
    )

    class Meta:
        ref_name = "WebhookDeliveryWithAttempts"

    def get_attempt_log(self, delivery: Any) -> list[dict[str, Any]]:
        attempts = delivery.attempt_log.order_by("-id")[:20]
        return DeliveryAttemptOutput(attempts, many=True).data


class DeliveryListQuery(serializers.Serializer):  # unknown names: PartnerAPIView.initial
    status = serializers.ChoiceField(
        choices=["PENDING", "SUCCEEDED", "FAILED", "CANCELLED"],
        required=False,
        help_text="Only deliveries in this status.",
    )
    endpoint = serializers.UUIDField(required=False, help_text="Only this endpoint's.")
    event = serializers.UUIDField(required=False, help_text="Only this event's.")
    event_type = serializers.CharField(
        max_length=60, required=False, help_text="Only events of this type."
    )


class ApiKeyRotateInput(InputSerializer):
    overlap_hours = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=(
            "How long the old key keeps working, in hours (default 24; at most 168 unless the "
            "platform set another maximum). 0 ends it at once."
        ),
    )


class ApiKeyReplacedOutput(serializers.Serializer):
    prefix = serializers.CharField(read_only=True)
    expires_at = UtcDateTimeField(help_text="The end of the overlap: 401 after it.")

    class Meta:
        ref_name = "ApiKeyReplaced"


class ApiKeyRotatedOutput(serializers.Serializer):
    prefix = serializers.CharField(read_only=True, help_text="The new key's visible start.")
    key = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text=(
            "The new key, shown only in this response: it is stored hashed. A replay of the "
            "same Idempotency-Key answers null here (the key was never stored to be replayed)."
        ),
    )
    scopes = serializers.ListField(child=serializers.CharField(), read_only=True)
    created_at = UtcDateTimeField()
    expires_at = UtcDateTimeField(allow_null=True)
    replaces = ApiKeyReplacedOutput(read_only=True)

    class Meta:
        ref_name = "ApiKeyRotated"

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

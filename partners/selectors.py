"""Reads for partners: the API key behind a request, a partner's endpoints and events."""

from __future__ import annotations

from django.db.models import QuerySet

from partners.models import ApiKey, Event, WebhookEndpoint


def api_key_by_hash(key_hash: str) -> ApiKey | None:
    """One indexed lookup (unique key_hash) with the partner joined: the only query
    authentication makes."""
    return ApiKey.objects.select_related("partner").filter(key_hash=key_hash).first()


def webhook_endpoints_for_partner(partner_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner_id=partner_id, deleted_at__isnull=True)


def events_for_partner(partner_id: int) -> QuerySet[Event]:
    return Event.objects.filter(partner_id=partner_id)

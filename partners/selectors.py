"""Reads for partners: the API key behind a request, a partner's endpoints and events."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet

from partners.models import ApiKey, Event, Partner, WebhookEndpoint

_KEY_FIELDS = ("id", "partner_id", "prefix", "scopes", "expires_at", "revoked_at", "last_used_at")
_KEY_SQL = (
    "SELECT "
    + ", ".join(f"k.{f}" for f in _KEY_FIELDS)
    + ", p.is_active AS partner_is_active, p.throttle_per_minute AS partner_throttle"
    + f" FROM {ApiKey._meta.db_table} k JOIN {Partner._meta.db_table} p ON p.id = k.partner_id"
    " WHERE k.key_hash = %s"
)


def api_key_by_hash(key_hash: str) -> ApiKey | None:
    """One indexed lookup (unique key_hash) with the partner joined: the only query
    authentication makes. A raw query (the fields it does not select are deferred, so the
    instances stay safe to use): through the ORM, building the query and two full model
    instances cost as much as the round trip itself (bench/api_profile.py)."""
    api_key = next(iter(ApiKey.objects.raw(_KEY_SQL, [key_hash])), None)
    if api_key is None:
        return None
    api_key.partner = Partner.from_db(
        connection.alias,
        ["id", "is_active", "throttle_per_minute"],
        [api_key.partner_id, bool(api_key.partner_is_active), api_key.partner_throttle],
    )
    return api_key


def webhook_endpoints_for_partner(partner_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner_id=partner_id, deleted_at__isnull=True)


def events_for_partner(partner_id: int) -> QuerySet[Event]:
    return Event.objects.filter(partner_id=partner_id)

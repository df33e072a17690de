"""Reads for partners: the API key behind a request, a partner's endpoints and events."""

from __future__ import annotations

import json

from django.db import connection
from django.db.models import Q, QuerySet

from partners.models import ApiKey, Delivery, Event, Partner, WebhookEndpoint

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
    authentication makes. The fields it does not select are deferred, so the instances stay safe
    to use. On PostgreSQL the row is read with a plain cursor and `from_db`: through the ORM, or
    even a RawQuerySet, building the query and mapping its columns cost as much as the round trip
    itself (bench/api_profile.py). psycopg2 returns every column ready except the JSON scopes,
    which Django leaves as text; SQLite returns datetimes as text too, so it keeps the
    RawQuerySet, whose converters handle them."""
    if connection.vendor != "postgresql":
        api_key = next(iter(ApiKey.objects.raw(_KEY_SQL, [key_hash])), None)
        if api_key is None:
            return None
        is_active, throttle = api_key.partner_is_active, api_key.partner_throttle
    else:
        with connection.cursor() as cursor:
            cursor.execute(_KEY_SQL, [key_hash])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row[: len(_KEY_FIELDS)])
        scopes = _KEY_FIELDS.index("scopes")
        if isinstance(values[scopes], str):
            values[scopes] = json.loads(values[scopes])
        api_key = ApiKey.from_db(connection.alias, list(_KEY_FIELDS), values)
        is_active, throttle = row[len(_KEY_FIELDS) :]
    api_key.partner = Partner.from_db(
        connection.alias,
        ["id", "is_active", "throttle_per_minute"],
        [api_key.partner_id, bool(is_active), throttle],
    )
    return api_key


def webhook_endpoints_for_partner(partner_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(partner_id=partner_id, deleted_at__isnull=True)


def events_for_partner(partner_id: int) -> QuerySet[Event]:
    return Event.objects.filter(partner_id=partner_id)


def deliveries_for_partner(partner_id: int) -> QuerySet[Delivery]:
    """The partner's webhook deliveries (to its own endpoints, deleted ones included: their
    log stays readable), newest first, with what a list shows joined in."""
    return Delivery.objects.filter(endpoint__partner_id=partner_id).select_related(
        "event", "endpoint"
    )


# A failed delivery attempt: no HTTP answer at all, or one outside 2xx (the overview counts these
# in the last 24 hours, the attempts list filters by the same condition).
FAILED_ATTEMPT = Q(status_code__isnull=True) | Q(status_code__lt=200) | Q(status_code__gte=300)


def api_key_of_partner(partner_id: int, prefix: str) -> ApiKey | None:
    """A key of this partner by its visible prefix (another partner's key is None: not found)."""
    return ApiKey.objects.filter(partner_id=partner_id, prefix=prefix).first()

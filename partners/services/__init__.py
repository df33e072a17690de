"""Every write for partners. Import from here: `from partners import services`."""

from partners.services.events import deliveries_enqueue_on_commit, event_publish, retry_window
from partners.services.idempotency import (
    IdempotencyKeyInUse,
    idempotency_claim,
    idempotency_complete,
    idempotency_records_prune,
    idempotency_store,
    request_fingerprint,
)
from partners.services.key_approvals import (
    MONEY_SCOPES,
    api_key_create_or_request,
    api_key_rotate_or_request,
)
from partners.services.key_cache import (
    api_key_for_request,
    api_keys_forget,
    throttle_count,
    throttle_key,
)
from partners.services.keys import (
    IssuedKey,
    api_key_create,
    api_key_revoke,
    api_key_rotate,
    api_key_touch,
    hash_key,
    partner_get_or_create,
    rotation_overlap,
)
from partners.services.webhooks import (
    deliveries_enqueue_due,
    deliveries_redeliver,
    delivery_attempt,
    delivery_redeliver_for_partner,
    event_body,
    event_payload,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_url_problem,
)

__all__ = [
    "IdempotencyKeyInUse",
    "IssuedKey",
    "MONEY_SCOPES",
    "api_key_create",
    "api_key_create_or_request",
    "api_key_for_request",
    "api_keys_forget",
    "api_key_revoke",
    "api_key_rotate",
    "api_key_rotate_or_request",
    "api_key_touch",
    "deliveries_enqueue_due",
    "deliveries_enqueue_on_commit",
    "deliveries_redeliver",
    "delivery_attempt",
    "delivery_redeliver_for_partner",
    "event_body",
    "event_payload",
    "event_publish",
    "hash_key",
    "idempotency_claim",
    "idempotency_complete",
    "idempotency_records_prune",
    "idempotency_store",
    "partner_get_or_create",
    "request_fingerprint",
    "retry_window",
    "rotation_overlap",
    "throttle_count",
    "throttle_key",
    "webhook_endpoint_create",
    "webhook_endpoint_delete",
    "webhook_endpoint_disable",
    "webhook_endpoint_enable",
    "webhook_url_problem",
]

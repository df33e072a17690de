"""Partner organisations and everything the partner API keeps about them.

Invariants:
- A partner's name is unique; everything a partner creates points at it, and every API query is
  scoped to the calling partner (another partner's object is "not found").
- An API key is stored only as the SHA-256 of a high-entropy secret (`key_hash`, unique, indexed):
  one indexed lookup per request, never a slow password hash. `prefix` is the visible, non-secret
  start of the key so people can tell keys apart. A key is usable while not revoked and not
  expired; revocation and expiry are timestamps, never deletions (who used what stays auditable).
- Rotation issues a successor with the same partner, label and scopes (`replaces` points back,
  unique) and moves the old key's expiry to the end of an overlap window, never later: both work
  until then, so a partner can switch without downtime. A lineage has at most two usable keys:
  rotating a key ends its own predecessor's overlap at once.
- An idempotency record is unique per (partner, key) and is written in the same database
  transaction as the effect it records, so a posting never exists without its record or vice
  versa. Records are pruned after 24 hours (partners.tasks.prune_idempotency_records).
- Events are the outbox: written in the transaction of the change they describe. A Delivery is
  one event for one webhook endpoint, unique per (event, endpoint); deliveries of one endpoint
  with the same `ordering_key` (the shop) are sent strictly in event order: a delivery is only
  attempted when no earlier delivery of its queue is still pending.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Partner(models.Model):
    class Kind(models.TextChoices):
        MARKETPLACE = "MARKETPLACE", _("Marketplace")
        PAYMENT = "PAYMENT", _("Payment provider")
        INSURER = "INSURER", _("Insurer")
        OTHER = "OTHER", _("Other")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.MARKETPLACE
    )
    is_active = models.BooleanField(_("active"), default=True)
    throttle_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=6000,
        help_text=_("API requests this partner may make per minute (api-v1.md: at least 6,000)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self) -> str:
        return self.name


class Scope(models.TextChoices):
    """What a key may do. `create_partner_key` grants all of them."""

    SHOPS_READ = "shops:read", _("Read shops, deposits, ledgers and holds")
    SHOPS_WRITE = "shops:write", _("Register shops")
    DEPOSITS_WRITE = "deposits:write", _("Top up, deduct, hold, capture, release and withdraw")
    WEBHOOKS_MANAGE = "webhooks:manage", _("Manage webhook endpoints")
    EVENTS_READ = "events:read", _("Read events")
    INSURANCE_WRITE = "insurance:write", _("Request insurance quotes and submit applications")
    INSURANCE_UNDERWRITE = (
        "insurance:underwrite",
        _("Accept or decline insurance applications (the product's insurer)"),
    )
    CLAIMS_READ = "claims:read", _("Read claims")
    CLAIMS_WRITE = "claims:write", _("File, escalate and withdraw claims")
    CLAIMS_DECIDE = "claims:decide", _("Decide claims (the marketplace's ops)")
    CLAIMS_APPEAL = "claims:appeal", _("Appeal a decided claim (relaying the merchant's grounds)")


class ApiKey(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("label"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=20, unique=True, editable=False)
    key_hash = models.CharField(_("SHA-256 of the key"), max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_reason = models.CharField(_("why revoked"), max_length=300, blank=True)
    # Written at most once a minute per key (authentication), so it costs nothing per request.
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    # The key this one was issued to replace (partners.services.keys.api_key_rotate). One-to-one:
    # a key is replaced at most once, so two rotations at once cannot both issue a successor.
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="replaced_by",
        verbose_name=_("replaces"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.partner})"


class IdempotencyRecord(models.Model):
    """The first response to a POST, replayed for the same Idempotency-Key (api-v1.md)."""

    partner = models.ForeignKey(
        Partner,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # idempotency_key_per_partner leads with it
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    # Null only inside the transaction that claimed the key; never visible committed.
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    # The rendered JSON exactly as first sent, so a replay is byte-identical.
    response_body = models.TextField(_("response body"), blank=True)
    # Found by age only when pruning: a BRIN index on PostgreSQL (partners 0010), nearly free
    # for rows that arrive in time order, where a B-tree took one more entry per API posting.
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["partner", "key"], name="idempotency_key_per_partner")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class WebhookEndpoint(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("URL"), max_length=2000)
    event_types = models.JSONField(
        _("event types"), default=list, help_text=_('A list of event types, or ["*"] for all.')
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Kept in clear: it signs every delivery. Shown to the partner once, at creation.
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.TextField(_("why disabled"), blank=True)
    # Set at the first failure after a success, cleared by a success: an endpoint failing for
    # WEBHOOK_DISABLE_AFTER is disabled and ops are told.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.url} ({self.partner})"

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class Event(models.Model):
    """The outbox: one row per thing that happened that partners may want to hear about.

    Written in the same database transaction as the change it describes (so an event exists if
    and only if the change committed); delivered to webhook endpoints after commit and served by
    the pull endpoint `/api/v1/events/`. `ordering_key` (the shop's id) keeps delivery in order
    per shop; `id` order is creation order.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Every index here is paid for by every posting (the ledger writes its event in the same
    # call), so only those a query uses: the partner's feed by id, and the admin's filter by
    # type. No LIKE indexes (`db_index=True` on a CharField builds one); nothing looks events up
    # by ordering key (deliveries carry their own).
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        db_index=False,  # event_partner_idx leads with it
    )
    type = models.CharField(_("type"), max_length=60)
    ordering_key = models.CharField(_("ordering key"), max_length=100, blank=True)
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["partner", "id"], name="event_partner_idx"),
            models.Index(fields=["type"], name="event_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"


class Delivery(models.Model):
    """One event for one endpoint: pending until a 2xx answer, retried with backoff until
    `give_up_at`. The attempts are logged in DeliveryAttempt."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SUCCEEDED = "SUCCEEDED", _("Delivered")
        FAILED = "FAILED", _("Gave up")
        CANCELLED = "CANCELLED", _("Cancelled (endpoint deleted)")

    # The partner's handle on it (GET /webhook-deliveries/{id}/). Rows inserted by the outbox's
    # SQL function take it from the column's database default (gen_random_uuid(), migration
    # 0006), ORM inserts from uuid4.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # delivery_once_per_endpoint leads with it
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    ordering_key = models.CharField(_("ordering key"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    give_up_at = models.DateTimeField(_("give up at"))
    # A worker sending it holds this lease; an expired lease (a crashed worker) is retaken.
    lease_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_once_per_endpoint")
        ]
        indexes = [
            models.Index(
                fields=["endpoint", "ordering_key", "event"],
                condition=Q(status="PENDING"),
                name="delivery_pending_queue_idx",
            ),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="PENDING"),
                name="delivery_pending_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url}"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per HTTP attempt, success or not."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(_("attempted at"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    response_excerpt = models.CharField(_("response (start)"), max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        # The ops overview counts the last 24 hours' failures; without it, a scan of the whole log.
        indexes = [models.Index(fields=["attempted_at"], name="delivery_attempt_at_idx")]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"


# The event types partners can subscribe to (api-v1.md fixes the first five; add, never rename).
EVENT_TYPES: dict[str, str] = {
    "shop.status_changed": "A shop's status changed (e.g. ONBOARDING → ACTIVE, ACTIVE → FROZEN).",
    "deposit.shortfall_opened": "A live shop's deposit fell below its requirement.",
    "deposit.shortfall_resolved": "A shortfall was made good; its restrictions were lifted.",
    "deposit.entry_posted": "A ledger entry was posted on a shop's deposit.",
    "hold.expired": "A hold reached its expiry without being captured or released.",
}

"""Partner organisations: the marketplace, the payment provider and the insurer.

Invariants: a partner's name is unique; everything a partner creates points at it, and every API
query is scoped to the calling partner.
"""

from __future__ import annotations

import uuid

from django.db import models
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


class Event(models.Model):
    """The outbox: one row per thing that happened that partners may want to hear about.

    Written in the same database transaction as the change it describes (so an event exists if
    and only if the change committed); delivered to webhook endpoints after commit and served by
    the pull endpoint `/api/v1/events/`. `ordering_key` (the shop's id) keeps delivery in order
    per shop; `id` order is creation order.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    type = models.CharField(_("type"), max_length=60, db_index=True)
    ordering_key = models.CharField(_("ordering key"), max_length=100, blank=True, db_index=True)
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["partner", "id"], name="event_partner_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"

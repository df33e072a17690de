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

"""Evidence on a claim, and the consumers ops flagged for malicious complaints (domain.md §6.1
"Evidence" and "Malicious complaints").

Invariants (the database enforces the ones marked *):
- An evidence file is a JPEG, PNG, GIF or PDF judged by its bytes (claims.domain.evidence), of
  1 byte to 5 MiB (*), at most 10 per party per claim (services, under the claim's row lock).
  `content_type` is the sniffed type, never what the uploader said. `sha256` is of the stored
  bytes. `stored_name` is a random name under the private evidence directory
  (settings.CLAIMS_EVIDENCE_DIR), outside every URL the site serves: files go out only through
  the authorised views, as attachments.
- Rows are append-only records; a file is never replaced.
- A consumer flag belongs to one partner's consumer reference (consumer refs are the partner's
  ids). It is active while not lifted and not expired; lifting records who, when and why (*:
  the three together).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from claims.domain.evidence import MAX_FILE_BYTES
from claims.models.claims import Claim


class Party(models.TextChoices):
    CONSUMER = "CONSUMER", _("Consumer")
    MERCHANT = "MERCHANT", _("Merchant")
    OPS = "OPS", _("Ops")


class ClaimEvidence(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="evidence")
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=40)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.CharField(
        _("submitted by"), max_length=200, blank=True, help_text=_("The partner or user by name.")
    )
    stored_name = models.CharField(_("stored file"), max_length=100, unique=True, editable=False)

    class Meta:
        ordering = ["submitted_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gt=0, size__lte=MAX_FILE_BYTES), name="claim_evidence_size"
            ),
        ]
        indexes = [models.Index(fields=["claim", "party"], name="claim_evidence_party_idx")]

    def __str__(self) -> str:
        return f"{self.party} {self.filename}"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class ConsumerFlag(models.Model):
    """A consumer blacklisted for malicious complaints: their claims go to ops review."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="consumer_flags"
    )
    consumer_ref = models.CharField(_("consumer reference"), max_length=100)
    claim = models.ForeignKey(
        Claim,
        on_delete=models.PROTECT,
        related_name="consumer_flags",
        null=True,
        blank=True,
        verbose_name=_("claim marked malicious"),
    )
    reason = models.TextField(_("reason"), max_length=2000)
    flagged_by = models.CharField(_("flagged by"), max_length=200)
    flagged_at = models.DateTimeField(_("flagged at"))
    expires_at = models.DateTimeField(_("expires at"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.CharField(_("lifted by"), max_length=200, blank=True)
    lift_reason = models.TextField(_("reason for lifting"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-flagged_at", "-id"]
        verbose_name = _("flagged consumer")
        verbose_name_plural = _("blacklist")
        constraints = [
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by="", lift_reason="")
                | (Q(lifted_at__isnull=False) & ~Q(lifted_by="") & ~Q(lift_reason="")),
                name="consumer_flag_lifted_with_who_and_why",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("flagged_at")),
                name="consumer_flag_expires_after_flagging",
            ),
        ]
        indexes = [models.Index(fields=["partner", "consumer_ref"], name="consumer_flag_ref_idx")]

    def __str__(self) -> str:
        return self.consumer_ref

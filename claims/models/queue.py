"""The ops queue's own admin screen: the same claims, listed as ops work them (claims waiting on
ops, nearest deadline first). A proxy: no table, only a second changelist beside the claims'."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from claims.models.claims import Claim


class QueuedClaim(Claim):
    class Meta:
        proxy = True
        verbose_name = _("claim waiting on ops")
        # Also the list's count: "2 claims waiting on ops", not "2 claims queue".
        verbose_name_plural = _("claims waiting on ops")

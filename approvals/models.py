"""Four-eyes requests: one table for every money action that needs a second person.

An action above its threshold (approvals.registry, `settings.FOUR_EYES_THRESHOLDS_MINOR`) is not
carried out when ops make it: it is kept here with the maker's reason and a JSON payload (what
the executor needs to carry it out, plain values only) until a different user with the kind's
permission approves it; the registered executor then runs once.

Invariants (the database enforces the ones marked *):
- A request is decided once: PENDING → APPROVED | REJECTED | EXPIRED, under the request's row
  lock (approvals.locks), so two approvers racing carry the action out once.
- The checker of an APPROVED request is not its maker (*); the maker may withdraw their own
  request (REJECTED with their reason), never approve it.
- A decided request has `checked_at` (*); a REJECTED one keeps its reason in `check_note`.
- `expires_at` is `made_at` + 72 h; from then on it cannot be approved (it becomes EXPIRED,
  lazily when someone tries, or by the periodic sweep `approvals.tasks.expire_requests`).
- At most one PENDING request per (action, subject) for kinds registered `exclusive` (*), e.g.
  one decision per claim.

The apps' own views of their requests (claims' ClaimDecisionRequest, deposits'
AdjustmentRequest) are proxies of this model filtered by `action`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class RequestStatus(models.TextChoices):
    PENDING = "PENDING", _("Waiting for a second person")
    APPROVED = "APPROVED", _("Approved and carried out")
    REJECTED = "REJECTED", _("Rejected")
    EXPIRED = "EXPIRED", _("Expired")


class RequestWhy(models.TextChoices):
    THRESHOLD = "THRESHOLD", _("Above the action's threshold")
    DAILY_LIMIT = "DAILY_LIMIT", _("Above the maker's daily limit")
    OWN_LIMIT = "OWN_LIMIT", _("Above the maker's own limit")
    ALWAYS = "ALWAYS", _("Always needs a second person")


class ActionManager(models.Manager):
    """The requests of one action kind (for the apps' proxies)."""

    def __init__(self, action: str | None = None) -> None:
        super().__init__()
        self.action = action

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = super().get_queryset()
        return queryset.filter(action=self.action) if self.action else queryset

    def deconstruct(self) -> tuple[bool, str | None, str | None, tuple[Any, ...], dict[str, Any]]:
        # A plain manager in migrations: the filter is behaviour, not schema.
        return (False, "django.db.models.Manager", None, (), {})


class FourEyesRequest(models.Model):
    action = models.CharField(_("action"), max_length=60, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    # What the action is about (the claim, the account, the shop, the rule), by app label and pk:
    # this app sits below every app that owns them, so it cannot point at them by foreign key.
    subject_type = models.CharField(_("subject type"), max_length=60, blank=True)
    subject_id = models.BigIntegerField(_("subject id"), null=True, blank=True)
    subject_label = models.CharField(_("subject"), max_length=200, blank=True)
    exclusive = models.BooleanField(default=False, editable=False)
    amount_minor = models.BigIntegerField(
        _("amount"), null=True, blank=True, help_text=_("Signed; empty for actions without one.")
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    why = models.CharField(
        _("why four eyes"), max_length=12, choices=RequestWhy.choices, default=RequestWhy.THRESHOLD
    )
    reason = models.TextField(_("maker's reason"), max_length=2000)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)
    maker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("made by"),
    )
    made_at = models.DateTimeField(_("made at"))
    expires_at = models.DateTimeField(_("expires at"))
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    check_note = models.TextField(_("check note"), max_length=2000, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = ActionManager()

    class Meta:
        ordering = ["expires_at", "id"]
        verbose_name = _("four-eyes request")
        verbose_name_plural = _("four-eyes requests")
        permissions = [
            ("approve_request", _("Can approve or reject another person's four-eyes request")),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="PENDING"),
                name="four_eyes_pending_idx",
            ),
            models.Index(fields=["action", "subject_id"], name="four_eyes_subject_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "subject_id"],
                condition=Q(status="PENDING") & Q(exclusive=True),
                name="four_eyes_one_pending_per_subject",
            ),
            models.CheckConstraint(
                condition=~Q(status="APPROVED") | ~Q(checker=F("maker")),
                name="four_eyes_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(status="PENDING") | Q(checked_at__isnull=False),
                name="four_eyes_checked_at",
            ),
        ]

    def __str__(self) -> str:
        from approvals.registry import kind_of

        try:
            action = str(kind_of(self.action).label)
        except LookupError:
            action = self.action
        subject = f" · {self.subject_label}" if self.subject_label else ""
        # No status here: admin messages name the request as it was before the action.
        return f"#{self.pk} {action}{subject}"

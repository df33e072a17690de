"""Four-eyes on large claim decisions (issue 13, item 9): a decision whose award is above
`settings.CLAIMS_FOUR_EYES_ABOVE_MINOR` is not carried out when ops make it; it waits here until
a different staff user approves it, and only then does `claims.services.claim_decide` run, with
the maker's outcome, amount and note.

Invariants (the database enforces the ones marked *):
- At most one PENDING request per claim (*): a second maker, or a direct decision, is refused
  while one waits.
- The checker of an APPROVED request is not its maker (*). The maker may withdraw their own
  request (REJECTED with their reason), never approve it.
- A request is decided once: PENDING → APPROVED | REJECTED | EXPIRED, under the request's row
  lock (claims.locks), so two approvers racing carry the decision out once.
- `expires_at` is `made_at` + 72 h; from then on it cannot be approved (it becomes EXPIRED).
- A rejection keeps its reason (`check_note`, required by the service); every step is on the
  claim's timeline too.

The permissions `claims.decide_claim` (make a decision, or a request) and
`claims.approve_claim_decision` (approve or reject another person's request) are declared here,
so they live with the four-eyes rows; roles as groups will bundle them later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from claims.models.claims import Claim, Outcome


class DecisionRequestStatus(models.TextChoices):
    PENDING = "PENDING", _("Waiting for a second person")
    APPROVED = "APPROVED", _("Approved and carried out")
    REJECTED = "REJECTED", _("Rejected")
    EXPIRED = "EXPIRED", _("Expired")


class ClaimDecisionRequest(models.Model):
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="decision_requests", verbose_name=_("claim")
    )
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices)
    amount_minor = models.BigIntegerField(
        _("amount"), null=True, blank=True, help_text=_("As the maker typed it; none: the rule's.")
    )
    award_minor = models.BigIntegerField(
        _("award when requested"),
        help_text=_("What the decision would have paid when it was made."),
    )
    currency = models.CharField(_("currency"), max_length=3)
    note = models.TextField(_("note"), max_length=2000)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DecisionRequestStatus.choices,
        default=DecisionRequestStatus.PENDING,
    )
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

    class Meta:
        ordering = ["expires_at", "id"]
        verbose_name = _("decision waiting for a second person")
        verbose_name_plural = _("decisions waiting for a second person")
        permissions = [
            ("decide_claim", _("Can decide claims")),
            ("approve_claim_decision", _("Can approve another person's claim decision")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status="PENDING"),
                name="claim_one_pending_decision_request",
            ),
            models.CheckConstraint(
                condition=~Q(status="APPROVED") | ~Q(checker=F("maker")),
                name="claim_decision_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status="PENDING") | Q(checked_at__isnull=False),
                name="claim_decision_request_checked_at",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__isnull=True) | Q(amount_minor__gt=0),
                name="claim_decision_request_amount_gt_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim.external_ref}: {self.outcome} ({self.status})"

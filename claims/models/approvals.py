"""Four-eyes on large claim decisions (issue 13, item 9; issue 14, part 4): a decision whose
award is above `settings.FOUR_EYES_THRESHOLDS_MINOR["claims.decision"]`, or above the deciding
agent's own limit (`AgentLimit`), is not carried out when ops make it; it waits as a four-eyes
request (approvals.FourEyesRequest, action "claims.decision") until a different staff user with
`claims.approve_claim_decision` approves it, and only then does `claims.services.claim_decide`
run, with the maker's outcome, amount and note.

`ClaimDecisionRequest` is the claims app's view of those rows (a proxy): the subject is the
claim; `amount_minor` is the award when the decision was made (what the threshold compares);
the payload keeps the outcome and the amount as the maker typed it (none: the rule's).

Invariants on top of approvals.models': at most one PENDING request per claim (the kind is
registered exclusive: a partial unique index), and every step is on the claim's timeline too.

The permissions `claims.decide_claim` (make a decision, or a request) and
`claims.approve_claim_decision` (approve or reject another person's request) are declared here,
so they live with the four-eyes rows; roles bundle them (shops/migrations/0007_staff_roles).
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.models import ActionManager, FourEyesRequest, RequestStatus
from claims.models.claims import Claim, Outcome

# The statuses kept their claims name for the code that reads them.
DecisionRequestStatus = RequestStatus


class ClaimDecisionRequest(FourEyesRequest):
    ACTION = "claims.decision"

    objects = ActionManager(ACTION)

    class Meta:
        proxy = True
        ordering = ["expires_at", "id"]
        verbose_name = _("decision waiting for a second person")
        verbose_name_plural = _("decisions waiting for a second person")
        permissions = [
            ("decide_claim", _("Can decide claims")),
            ("approve_claim_decision", _("Can approve another person's claim decision")),
        ]

    @property
    def claim_id(self) -> int | None:
        return self.subject_id

    @cached_property
    def claim(self) -> Claim:
        return Claim.objects.get(pk=self.subject_id)

    @property
    def outcome(self) -> str:
        return str(self.payload.get("outcome", ""))

    def get_outcome_display(self) -> str:
        outcome = self.outcome
        return str(Outcome(outcome).label) if outcome in Outcome.values else outcome

    @property
    def typed_amount_minor(self) -> int | None:
        """The amount as the maker typed it (None: the rule's)."""
        return self.payload.get("amount_minor")

    @property
    def award_minor(self) -> int:
        """What the decision would have paid when it was made."""
        return self.amount_minor or 0

    @property
    def note(self) -> str:
        return self.reason

    def __str__(self) -> str:
        return f"{self.subject_label}: {self.outcome} ({self.status})"


class AgentLimit(models.Model):
    """How much one claims agent may award alone (part 3 of issue 14). A supervisor sets it in
    the admin; an agent without a row has `settings.CLAIMS_AGENT_DEFAULT_LIMIT_MINOR`. Above it
    (or above the four-eyes amount, whichever is lower) the decision waits for a second person."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="claims_agent_limit",
        verbose_name=_("agent"),
    )
    limit_minor = models.BigIntegerField(
        _("may award alone up to"), help_text=_("Minor units (fen), in CNY.")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY", editable=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
        editable=False,
    )

    class Meta:
        verbose_name = _("claims agent limit")
        verbose_name_plural = _("claims agent limits")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(limit_minor__gte=0), name="claims_agent_limit_gte_0"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.limit_minor}"

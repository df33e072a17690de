"""The ops panel on a claim's admin page (issue 13, item 9): its forms and everything it shows
(order, story, deadlines, rule and calculator, hold and funding, timeline, four-eyes), in the
staff user's language. Rendered by the `claim_ops_panel` template tag, so this module imports
nothing of the admin (template libraries load while the admin itself is being imported); the
POST views behind the forms are claims.admin_ops.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from claims import ops_selectors, selectors
from claims.domain import computation_texts
from claims.models import Claim, ClaimStatus, DecisionRequestStatus, Outcome, RuleKind
from common.templatetags import money as money_tags
from deposits import selectors as deposit_selectors

# What ops typed into the decision form when it was refused, kept in the session for one showing.
TYPED_DECISION_KEY = "claims_ops_typed_decision"
DECIDE_PERMISSION = "claims.decide_claim"
APPROVE_PERMISSION = "claims.approve_claim_decision"


def clock() -> datetime:
    """The one clock read of the ops screens (tests replace it)."""
    return timezone.now()


def local_time(value: datetime | None) -> str:
    """An absolute time as ops read it: the platform's zone (Asia/Shanghai) with its offset."""
    if value is None:
        return "—"
    local = timezone.localtime(value)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def money_text(amount_minor: int | None, currency: str) -> str:
    """As common.admin.money_text (which imports the admin): "¥ 4,730.00", "—" for none."""
    return money_tags.money(amount_minor, currency)


# The timeline's actions as ops read them (claims.services writes these codes); an action another
# slice adds shows as its code in words until it is named here.
ACTION_LABELS = {
    "filed": _("Filed"),
    "settled": _("Settled by the merchant"),
    "escalated": _("Escalated: the platform intervenes"),
    "withdrawn": _("Withdrawn"),
    "decision_requested": _("Decision made, waiting for a second person"),
    "decision_approved": _("Decision approved by a second person"),
    "decision_rejected": _("Decision rejected by a second person"),
    "decision_request_withdrawn": _("Decision withdrawn by its maker"),
    "decision_request_expired": _("Decision expired without a second person"),
    "appealed": _("Appealed by the merchant"),
    "appeal_decided:UPHELD": _("Appeal upheld: the payout was reversed"),
    "appeal_decided:REJECTED": _("Appeal rejected: the decision stands"),
    "closed": pgettext_lazy("claim status", "Closed"),
    "evidence added:CONSUMER": _("Evidence added by the consumer"),
    "evidence added:MERCHANT": _("Evidence added by the merchant"),
    "evidence added:OPS": _("Evidence added by the platform"),
    "evidence_closed": _("Evidence windows closed"),
    "material_requested:CONSUMER": _("The platform asked the consumer for more"),
    "material_requested:MERCHANT": _("The platform asked the merchant for more material"),
    "auto_decision_skipped": _("Left to the platform to decide"),
    "marked malicious": _("Rejected as a malicious complaint"),
    "marked for review": _("Marked for the platform's review"),
    "reviewed": _("Reviewed by the platform"),
    "consumer flag lifted": _("Malicious-complaint flag lifted"),
}


def action_label(action: str) -> str:
    if action.startswith("decided:"):
        outcome = action.split(":", 1)[1]
        label = Outcome(outcome).label if outcome in Outcome.values else outcome
        return f"{_('Decided')}: {label}"
    # A code named nowhere yet still reads as words, not "evidence added:MERCHANT".
    return str(ACTION_LABELS.get(action, action.replace("_", " ").replace(":", ": ")))


def _chinese() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


# --- Forms ---------------------------------------------------------------------------------


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        help_text=_("For a partly upheld claim, or when the rule leaves the amount to ops."),
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("Required. The merchant reads this note on the claim's timeline, as typed."),
    )


class CheckForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Appeal outcome"),
        choices=[
            (Outcome.UPHELD, _("Appeal upheld: the payout is reversed")),
            (Outcome.REJECTED, _("Appeal rejected: the decision stands")),
        ],
    )
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("The merchant reads this note on the claim's timeline, as typed."),
    )


def _decision_form(request: HttpRequest, claim: Claim) -> DecisionForm:
    typed = request.session.pop(TYPED_DECISION_KEY, None) if hasattr(request, "session") else None
    if typed and typed.get("claim") == claim.pk:
        return DecisionForm(initial=typed["data"])
    return DecisionForm()


# --- The panel -----------------------------------------------------------------------------


def ops_panel_context(request: HttpRequest, claim: Claim) -> dict[str, Any]:
    """Everything the ops panel shows for `claim`, in the staff user's language."""
    now = clock()
    claim = selectors.claim_with_details(claim.pk)
    user = request.user
    can_decide = user.has_perm(DECIDE_PERMISSION)
    can_approve = user.has_perm(APPROVE_PERMISSION)
    pending = ops_selectors.pending_decision_request(claim)
    due = ops_selectors.queue_due(claim)
    calculation = ops_selectors.claim_calculation(claim)
    award = calculation.award
    hold = (
        deposit_selectors.hold_by_public_id(claim.hold_public_id) if claim.hold_public_id else None
    )
    threshold = ops_selectors.agent_limit_minor(user)
    computation = claim.computation_text()
    calculator_computation = computation_texts.computation_text(
        award.facts, award.computation_en, award.computation_zh
    )

    def money(amount: int | None) -> str:
        return money_text(amount, claim.currency)

    deadlines = [
        (_("respond by"), claim.respond_by),
        (_("consumer's evidence by"), claim.consumer_evidence_by),
        (_("merchant's evidence by"), claim.merchant_evidence_by),
        (_("decide by"), claim.decide_by),
        (_("appeal by"), claim.appeal_by),
    ]
    if claim.status == ClaimStatus.APPEALED and due is not None:
        deadlines.append((_("decide the appeal by"), due))
    return {
        "claim": claim,
        "now": now,
        "due": local_time(due) if due else None,
        "overdue": due is not None and due < now,
        "deadlines": [(label, local_time(at)) for label, at in deadlines if at],
        "filed_at": local_time(claim.filed_at),
        "order_paid_at": local_time(claim.order_paid_at),
        "order_shipped_at": local_time(claim.order_shipped_at),
        "paid": money(claim.order_paid_minor),
        "requested": money(claim.requested_minor),
        "compensation": money(claim.compensation_minor),
        "computation": computation,
        # Before the decision the stored text is the estimate at filing; shown only when the
        # calculator now says something else (an award decided meanwhile changed the cap).
        "show_computation": claim.outcome is not None or computation != calculator_computation,
        "decided": claim.outcome is not None,
        "calculator": {
            "amount": money(award.amount_minor),
            "ops_decide": claim.rule.kind == RuleKind.OPS_DECIDES,
            "computation": calculator_computation,
            "cap_took": money(award.cap_took_minor) if award.cap_took_minor else None,
            "earlier": [
                {
                    "claim": c,
                    "url": reverse("admin:claims_claim_change", args=[c.pk]),
                    "paid_at": local_time(c.order_paid_at),
                    "award": money(c.compensation_minor),
                    "decided_at": local_time(c.decided_at),
                }
                for c in calculation.earlier_awards
            ],
            "earlier_total": money(calculation.earlier_total_minor),
            "window_hours": claim.rule.window_hours,
            "above_four_eyes": award.amount_minor > threshold,
        },
        "four_eyes_above": money_text(threshold, claim.currency),
        "hold": {
            "amount": money(hold.amount_minor),
            "captured": money(hold.captured_minor),
            "status": hold.get_status_display(),
            "public_id": hold.public_id,
            "expires_at": local_time(hold.expires_at),
        }
        if hold
        else None,
        "funding": [
            {
                "source": f.get_source_display(),
                "amount": money(f.amount_minor),
                "transaction": f.transaction_public_id,
                "at": local_time(f.created_at),
            }
            for f in claim.funding.all()
        ],
        "events": [
            {"at": local_time(e.at), "event": e, "label": action_label(e.action), "note": e.text()}
            for e in reversed(list(claim.events.all()))
        ],
        "pending": pending,
        "pending_award": money(pending.award_minor) if pending else None,
        "pending_expires": local_time(pending.expires_at) if pending else None,
        "pending_expired": pending is not None and pending.expires_at <= now,
        "pending_made_at": local_time(pending.made_at) if pending else None,
        "requests": [
            {
                "request": r,
                "award": money(r.award_minor),
                "made_at": local_time(r.made_at),
                "checked_at": local_time(r.checked_at),
            }
            for r in ops_selectors.decision_requests_of(claim)
            if r.status != DecisionRequestStatus.PENDING
        ],
        "can_decide": can_decide and claim.status == ClaimStatus.IN_REVIEW and pending is None,
        "may_decide": can_decide,
        "can_approve": can_approve and pending is not None and pending.maker_id != user.pk,
        "is_maker": pending is not None and pending.maker_id == user.pk,
        "can_reject": pending is not None
        and ((can_approve and pending.maker_id != user.pk) or pending.maker_id == user.pk),
        "decision_form": _decision_form(request, claim),
        "check_form": CheckForm(),
        "appeal_form": AppealDecisionForm(),
        "urls": {
            "decide": reverse("admin:claims_claim_ops_decide", args=[claim.pk]),
            "appeal": reverse("admin:claims_claim_ops_appeal", args=[claim.pk]),
            "approve": reverse("admin:claims_claim_ops_approve", args=[claim.pk, pending.pk])
            if pending
            else None,
            "reject": reverse("admin:claims_claim_ops_reject", args=[claim.pk, pending.pk])
            if pending
            else None,
            "queue": reverse("admin:claims_queuedclaim_changelist"),
        },
    }

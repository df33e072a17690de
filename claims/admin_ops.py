"""The POST views behind the ops panel's forms on a claim's admin page (issue 13, item 9);
ClaimAdmin mounts `ops_urls` and shows the panel (claims.admin_panel) through
`change_form_outer_before_template`; everything else lives in these modules so the admin slices
merge.

Views stay thin: check the permission (`claims.decide_claim`, `claims.approve_claim_decision`;
403 without), validate the form, make one service call with the user and one clock read, and
report the result or the refusal as an admin message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from claims import admin_panel, ops_selectors
from claims import services as claim_services
from claims.admin_panel import (
    APPROVE_PERMISSION,
    DECIDE_PERMISSION,
    TYPED_DECISION_KEY,
    AppealDecisionForm,
    CheckForm,
    DecisionForm,
    money_text,
)
from claims.models import Claim, ClaimDecisionRequest
from common.errors import DomainError
from common.money import Money

# --- The views -----------------------------------------------------------------------------


def _back(claim_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim_id]))


def _keep_typed(request: HttpRequest, claim_id: int) -> HttpResponseRedirect:
    """Back to the claim, what ops typed kept for the form: a refusal must not cost the note."""
    request.session[TYPED_DECISION_KEY] = {
        "claim": claim_id,
        "data": {k: request.POST.get(k, "") for k in ("outcome", "amount", "note")},
    }
    return _back(claim_id)


# The service's field names (the partner API's) for the decision form's own fields.
DECISION_FORM_FIELDS = {"amount_minor": "amount", "outcome": "outcome", "note": "note"}


def _refused(request: HttpRequest, exc: DomainError, form: forms.Form | None = None) -> None:
    """One message per refusal: a field's refusal under the label ops see on the form, in their
    language (DecisionRefused.ops_text), never the service's field names or minor units."""
    if isinstance(exc, claim_services.DecisionRefused):
        name = DECISION_FORM_FIELDS.get(exc.field)
        label = form.fields[name].label if form is not None and name in form.fields else None
        text = f"{label}: {exc.ops_text}" if label else exc.ops_text
        messages.error(request, gettext("Refused: %(detail)s") % {"detail": text})
        return
    messages.error(request, gettext("Refused: %(detail)s") % {"detail": exc.detail})


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else field
        messages.error(request, f"{label}: {' '.join(errors)}")


@require_POST
def decide_view(request: HttpRequest, object_id: int) -> HttpResponse:
    if not request.user.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied
    claim = get_object_or_404(Claim, pk=object_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _keep_typed(request, claim.pk)
    amount_text = form.cleaned_data["amount"].strip()
    try:
        amount = Money.parse(amount_text, claim.currency).amount_minor if amount_text else None
        result = claim_services.claim_decision_make(
            claim=claim,
            outcome=form.cleaned_data["outcome"],
            amount_minor=amount,
            note=form.cleaned_data["note"],
            maker=request.user,
            now=admin_panel.clock(),
        )
    except DomainError as exc:
        _refused(request, exc, form)
        return _keep_typed(request, claim.pk)
    if isinstance(result, ClaimDecisionRequest):
        messages.warning(
            request,
            gettext(
                "The award %(award)s is above %(limit)s: the decision waits for a second person "
                "and nothing has moved yet."
            )
            % {
                "award": money_text(result.award_minor, claim.currency),
                "limit": money_text(ops_selectors.agent_limit_minor(request.user), claim.currency),
            },
        )
    else:
        messages.success(
            request,
            gettext("Decided: %(outcome)s, %(award)s.")
            % {
                "outcome": result.get_outcome_display(),
                "award": money_text(result.compensation_minor, result.currency),
            },
        )
    return _back(claim.pk)


@require_POST
def approve_view(request: HttpRequest, object_id: int, request_id: int) -> HttpResponse:
    if not request.user.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied
    decision = get_object_or_404(ClaimDecisionRequest, pk=request_id, subject_id=object_id)
    form = CheckForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        claim = claim_services.claim_decision_approve(
            request_id=decision.pk, checker=request.user, now=admin_panel.clock(), note=note
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            gettext("Approved and carried out: %(outcome)s, %(award)s.")
            % {
                "outcome": claim.get_outcome_display(),
                "award": money_text(claim.compensation_minor, claim.currency),
            },
        )
    return _back(object_id)


@require_POST
def reject_view(request: HttpRequest, object_id: int, request_id: int) -> HttpResponse:
    decision = get_object_or_404(ClaimDecisionRequest, pk=request_id, subject_id=object_id)
    own = decision.maker_id == request.user.pk
    if not (request.user.has_perm(APPROVE_PERMISSION) or own):
        raise PermissionDenied
    form = CheckForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        claim_services.claim_decision_reject(
            request_id=decision.pk, checker=request.user, now=admin_panel.clock(), note=note
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            gettext("Withdrawn; nothing has moved.")
            if own
            else gettext("Rejected; nothing moved."),
        )
    return _back(object_id)


@require_POST
def appeal_decide_view(request: HttpRequest, object_id: int) -> HttpResponse:
    """Ops decide the merchant's appeal (claims.services.claim_appeal_decide): UPHELD reverses
    the payout by new postings, REJECTED closes the claim."""
    if not request.user.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied
    claim = get_object_or_404(Claim, pk=object_id)
    form = AppealDecisionForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(claim.pk)
    try:
        decided = claim_services.claim_appeal_decide(
            claim=claim,
            outcome=form.cleaned_data["outcome"],
            now=admin_panel.clock(),
            note=form.cleaned_data["note"],
            actor="OPS",
            actor_label=request.user.get_username(),
        )
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            gettext("Appeal decided: %(outcome)s.")
            % {"outcome": decided.get_appeal_outcome_display()},
        )
    return _back(claim.pk)


def ops_urls(model_admin: Any) -> list[Any]:
    """The claim page's POST targets, under /admin/claims/claim/<id>/ops/."""
    wrap = model_admin.admin_site.admin_view
    return [
        path("<int:object_id>/ops/decide/", wrap(decide_view), name="claims_claim_ops_decide"),
        path(
            "<int:object_id>/ops/appeal/", wrap(appeal_decide_view), name="claims_claim_ops_appeal"
        ),
        path(
            "<int:object_id>/ops/requests/<int:request_id>/approve/",
            wrap(approve_view),
            name="claims_claim_ops_approve",
        ),
        path(
            "<int:object_id>/ops/requests/<int:request_id>/reject/",
            wrap(reject_view),
            name="claims_claim_ops_reject",
        ),
    ]

"""Merchant dashboard: a claim's evidence (domain.md §6.1 "Evidence").

Who may do what: any merchant user of the shop's merchant sees and downloads a claim's files;
uploading the merchant's side needs the owner or the claims role (as every
other action on the shop's money and claims). Another merchant's claim is a 404, exactly like a
missing one. Files go out only through `evidence_download` (claims.evidence_files: attachment,
the sniffed type, nosniff).

The claim page includes `claims/_evidence.html` with the context `evidence_panel()` returns;
this module's own page (`claims:evidence`) shows the same panel alone and is where a refused
upload is shown again with its error next to the field.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from claims import selectors, services
from claims.domain.evidence import MAX_FILE_BYTES
from claims.evidence_files import evidence_response
from claims.models import Claim, Party
from common.errors import DomainError, EvidenceWindowClosed
from common.uploads import upload_limit
from shops.models import MerchantUser
from shops.selectors import membership_for_user

ACCEPT = "image/jpeg,image/png,image/gif,application/pdf"


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("JPEG, PNG, GIF or PDF, at most 5 MiB; at most 10 files per side."),
        allow_empty_file=True,  # the service refuses it, with the same words as every refusal
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("What the file shows (optional)."),
    )


def _claim_for(request: HttpRequest, claim_id: uuid.UUID) -> tuple[MerchantUser, Claim]:
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    claim = selectors.claim_for_merchant(membership.merchant_id, claim_id)
    if claim is None:
        raise Http404  # another merchant's claim looks exactly like a missing one
    return membership, claim


def evidence_panel(
    request: HttpRequest,
    claim: Claim,
    *,
    form: EvidenceForm | None = None,
    next_url: str | None = None,
) -> dict[str, Any]:
    """The context `claims/_evidence.html` needs, for the claim page to merge into its own.
    After an upload the merchant comes back to `next_url` (default: the page showing it)."""
    membership = membership_for_user(request.user)
    return {
        "claim": claim,
        "evidence": list(selectors.evidence_for_claim(claim)),
        "evidence_form": form or EvidenceForm(),
        "may_upload_evidence": bool(membership and membership.may_answer_claims)
        and claim.status in ("NEGOTIATING", "IN_REVIEW"),
        "evidence_next": next_url or request.get_full_path(),
    }


@login_required
@require_GET
def claim_evidence(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    _, claim = _claim_for(request, claim_id)
    return render(request, "claims/evidence.html", evidence_panel(request, claim))


# Refusals the merchant can meet, by stable code, in the page's language (the file's own
# problems come from the service already translated).
_REFUSALS = {
    "invalid_claim_status": lambda: gettext(
        "This claim is decided or over: it takes no more evidence."
    ),
}


def _refusal(exc: DomainError) -> str:
    if isinstance(exc, EvidenceWindowClosed):
        return gettext(
            "Your evidence window for this claim has closed. If the platform asks you for more "
            "material, the window opens again and you will be told."
        )
    refusal = _REFUSALS.get(exc.code)
    return refusal() if refusal else gettext("The file could not be added. Try again.")


@upload_limit(MAX_FILE_BYTES)
@login_required
@require_POST
def evidence_upload(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    membership, claim = _claim_for(request, claim_id)
    if not membership.may_answer_claims:
        return render(request, "claims/evidence_forbidden.html", {"claim": claim}, status=403)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.evidence_add(
                claim=claim,
                party=Party.MERCHANT,
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
                now=timezone.now(),
                actor_label=request.user.get_username(),
            )
        except DomainError as exc:
            if exc.fields:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                form.add_error(None, _refusal(exc))
        else:
            messages.success(request, gettext("The file was added to the claim's evidence."))
            return redirect(_next(request, claim))
    return render(
        request,
        "claims/evidence.html",
        evidence_panel(request, claim, form=form, next_url=_next(request, claim)),
        status=400,
    )


def _next(request: HttpRequest, claim: Claim) -> str:
    """Where the form came from (the claim page or this app's evidence page), never elsewhere."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("claims:evidence", args=[claim.public_id])


@login_required
@require_GET
def evidence_download(
    request: HttpRequest, claim_id: uuid.UUID, evidence_id: uuid.UUID
) -> HttpResponse:
    _, claim = _claim_for(request, claim_id)
    evidence = selectors.evidence_of_claim(claim, evidence_id)
    if evidence is None:
        raise Http404
    return evidence_response(evidence)

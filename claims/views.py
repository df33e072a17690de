"""Merchant dashboard: the consumer claims against the merchant's shops (issue 13, item 8).

The list shows what needs the merchant's answer first, each row with its deadline in local time
(settings.TIME_ZONE, Asia/Shanghai: the dashboard's one time zone, as the insurance page's due
times) and how long is left. The claim page shows the order, the consumer's story, the rule's
computation in the reader's language, the funding once decided and the timeline, and acts
through claims.services: settle and contest (escalate as the merchant). Both are POSTs answered
by a redirect (POST-redirect-GET); the service's row lock and status check make a double submit
act once, and the second submit is told the claim is already where the first put it.

Amounts (the order's paid amount, the request, the estimate or award, the computation that
names them, the funding) are for every role but the viewer; answering (settle, contest, appeal,
evidence) is for the owner and the claims role (shops.models.MerchantUser). Another merchant's
claim is a 404.

The page also carries the evidence panel (claims.views_evidence: the files of every side, the
merchant's upload) and, while an award is DECIDED and before `appeal_by`, the appeal form
(claims.services.claim_appeal as the merchant).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext, gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from claims import selectors, services
from claims.domain import event_texts
from claims.models import Actor, Claim, ClaimEvent, ClaimStatus, Outcome, Reason
from claims.views_evidence import evidence_panel
from common.errors import DomainError, InvalidClaimStatus
from common.money import Money
from shops.models import MerchantUser
from shops.selectors import membership_for_user

CLAIMS_PER_PAGE = 20

# --- Deadlines and words -----------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    label: str
    at: datetime
    overdue: bool
    left: str  # "1 day, 3 hours" in the page's language; empty once overdue
    mine: bool  # the merchant's own deadline (answer or evidence), not the platform's


def claim_deadline(claim: Claim, now: datetime) -> Deadline | None:
    """The deadline the merchant should see for the claim's current step, if any."""

    def make(label: str, at: datetime | None, *, mine: bool) -> Deadline | None:
        if at is None:
            return None
        overdue = at <= now
        return Deadline(label, at, overdue, "" if overdue else timeuntil(at, now, depth=2), mine)

    if claim.status == ClaimStatus.NEGOTIATING:
        return make(gettext("Your answer by"), claim.respond_by, mine=True)
    if claim.status == ClaimStatus.IN_REVIEW:
        if claim.merchant_evidence_by and claim.merchant_evidence_by > now:
            return make(gettext("Your evidence by"), claim.merchant_evidence_by, mine=True)
        return make(gettext("Decision expected by"), claim.decide_by, mine=False)
    if claim.status == ClaimStatus.DECIDED and claim.appeal_by and claim.appeal_by > now:
        return make(gettext("Appeal possible until"), claim.appeal_by, mine=False)
    return None


def actor_words(event: ClaimEvent) -> str:
    words = {
        Actor.PARTNER: lambda: gettext("The marketplace"),
        Actor.MERCHANT: lambda: gettext("Your shop"),
        Actor.OPS: lambda: gettext("Platform review team"),
        Actor.SYSTEM: lambda: gettext("Automatic (deadline)"),
    }
    label = words.get(event.actor)  # type: ignore[call-overload]
    return label() if label else event.actor


def action_words(action: str, actor: str = "") -> str:
    """What an event did, in the reader's language. The actor tells one escalation from another:
    the merchant's own is their contest, not something done to them (the API's note keeps the
    stored action)."""
    words = {
        "filed": lambda: gettext("Claim filed by the consumer"),
        "settled": lambda: gettext("Settled with the consumer directly"),
        "escalated:MERCHANT": lambda: gettext(
            "Contested by the merchant: the platform reviews the claim"
        ),
        "escalated": lambda: gettext("Escalated: the platform reviews the claim"),
        "withdrawn": lambda: gettext("Withdrawn by the consumer"),
        "decided:UPHELD": lambda: gettext("Decided: upheld"),
        "decided:PARTLY_UPHELD": lambda: gettext("Decided: partly upheld"),
        "decided:REJECTED": lambda: gettext("Decided: rejected"),
        "appealed": lambda: gettext("Appealed by the merchant"),
        "appeal_decided:UPHELD": lambda: gettext("Appeal upheld: the payout was reversed"),
        "appeal_decided:REJECTED": lambda: gettext("Appeal rejected: the decision stands"),
        "closed": lambda: pgettext("claim status", "Closed"),
        "evidence added:CONSUMER": lambda: gettext("Evidence added by the consumer"),
        "evidence added:MERCHANT": lambda: gettext("Evidence added by the merchant"),
        "evidence added:OPS": lambda: gettext("Evidence added by the platform"),
        "evidence_closed": lambda: gettext("Evidence windows closed"),
        "material_requested:CONSUMER": lambda: gettext("The platform asked the consumer for more"),
        "material_requested:MERCHANT": lambda: gettext("The platform asked you for more material"),
        "auto_decision_skipped": lambda: gettext("Left to the platform to decide"),
        "marked malicious": lambda: gettext("Rejected as a malicious complaint"),
        "marked for review": lambda: gettext("Marked for the platform's review"),
        "reviewed": lambda: gettext("Reviewed by the platform"),
        "decision_requested": lambda: gettext("Decision proposed, awaiting a second reviewer"),
        "decision_approved": lambda: gettext("Decision approved by a second reviewer"),
        "decision_rejected": lambda: gettext("Decision rejected by a second person"),
        "decision_request_withdrawn": lambda: gettext("Decision withdrawn by its maker"),
        "decision_request_expired": lambda: gettext("Decision expired without a second person"),
        "consumer flag lifted": lambda: gettext("Malicious-complaint flag lifted"),
    }
    label = words.get(f"{action}:{actor}") or words.get(action)
    return label() if label else action.replace("_", " ").replace(":", ": ")


def timeline_note(event: ClaimEvent) -> str:
    """What a person wrote, as typed, then the system's lines in the reader's language, but
    those naming amounts or the ledger's record (the estimate, the hold, the funding): the page
    states those facts in its own panels, for the roles that may see amounts."""
    return event.text(skip=event_texts.RECORD_CODES)


def status_words(claim: Claim) -> str:
    return str(ClaimStatus(claim.status).label)


# --- Access --------------------------------------------------------------------------------


def _membership(request: HttpRequest) -> MerchantUser:
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    return membership


def _own_claim(request: HttpRequest, claim_id: uuid.UUID) -> tuple[MerchantUser, Claim]:
    membership = _membership(request)
    claim = selectors.claim_for_merchant(membership.merchant_id, claim_id)
    if claim is None:
        raise Http404  # another merchant's claim looks exactly like a missing one
    return membership, claim


# --- The list --------------------------------------------------------------------------------


def _choice(value: str, choices: Any) -> str:
    return value if value in {c for c, _ in choices} else ""


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    membership = membership_for_user(request.user)
    if membership is None:
        # A login without a merchant (as the notices page answers it).
        return render(request, "dashboard/no_merchant.html", status=403)
    now = timezone.now()
    shops = list(selectors.shops_of_merchant(membership.merchant_id))
    shop_filter = request.GET.get("shop", "")
    shop = next((s for s in shops if str(s.public_id) == shop_filter), None)
    status = _choice(request.GET.get("status", ""), ClaimStatus.choices)
    reason = _choice(request.GET.get("reason", ""), Reason.choices)
    queryset = selectors.claims_for_merchant(
        membership.merchant_id,
        now=now,
        shop_public_id=shop.public_id if shop else None,
        status=status or None,
        reason=reason or None,
    )
    page = Paginator(queryset, CLAIMS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {"claim": claim, "deadline": claim_deadline(claim, now), "status": status_words(claim)}
        for claim in page.object_list
    ]
    return render(
        request,
        "claims/list.html",
        {
            "page": page,
            "rows": rows,
            "shops": shops,
            "shop": shop,
            "status_filter": status,
            "reason_filter": reason,
            "filtered": bool(shop or status or reason),
            "statuses": ClaimStatus.choices,
            "reasons": Reason.choices,
            "may_see_money": membership.may_see_money,
            "now": now,
        },
    )


# --- The claim page and its actions ------------------------------------------------------------


class ContestForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Why you contest the claim"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Say why you contest the claim.")},
    )


class AppealForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Grounds for the appeal"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Give your grounds for the appeal.")},
    )


class SettleForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"), max_length=2000, required=False, strip=True
    )


def _detail_context(
    request: HttpRequest, membership: MerchantUser, claim: Claim, now: datetime
) -> dict[str, Any]:
    may_act = membership.may_answer_claims
    negotiating = claim.status == ClaimStatus.NEGOTIATING
    return {
        "claim": claim,
        "status": status_words(claim),
        "deadline": claim_deadline(claim, now),
        "computation": claim.computation_text(),
        "decided": claim.decided_at is not None,
        "funding": list(claim.funding.all()),
        "timeline": [
            {
                "event": event,
                "actor": actor_words(event),
                "action": action_words(event.action, event.actor),
                "note": timeline_note(event),
            }
            for event in claim.events.all()
        ],
        "may_see_money": membership.may_see_money,
        "may_act": may_act,
        "can_settle": may_act and negotiating,
        "can_contest": may_act and negotiating,
        "appeal_slot": may_act
        and claim.status == ClaimStatus.DECIDED
        and claim.outcome != Outcome.REJECTED
        and claim.appeal_by is not None
        and now < claim.appeal_by,
        "appeal_url": reverse("claims:appeal", args=[claim.public_id]),
        "appeal_form": AppealForm(),
        "evidence_slot": True,
        **evidence_panel(request, claim, next_url=reverse("claims:detail", args=[claim.public_id])),
        "form_key": uuid.uuid4().hex,
        "settle_form": SettleForm(),
        "contest_form": ContestForm(),
        **_contest_preview(membership, claim, may_act and negotiating, now),
        "now": now,
    }


def _contest_preview(
    membership: MerchantUser, claim: Claim, can_contest: bool, now: datetime
) -> dict[str, Any]:
    """What contesting would hold and whether that leaves the shop short, said before the
    merchant confirms (a healthy shop could otherwise fall short without warning). Read only."""
    if not (can_contest and membership.may_see_money):
        return {}
    preview = services.contest_hold_preview(claim=claim, now=now)
    if preview is None:
        return {}
    shop_id = claim.shop.public_id
    sandbox = bool(getattr(settings, "DEPOSIT_SANDBOX_PAYMENTS", settings.DEBUG))
    return {
        "contest_preview": preview,
        # The sandbox form opens with the shortfall to pay; without it the shop page says how.
        "top_up_url": reverse("dashboard:sandbox_top_up", args=[shop_id])
        + "?amount="
        + Money(preview.shortfall_after_minor, preview.currency).major_str().replace(",", "")
        if sandbox
        else reverse("dashboard:shop_detail", args=[shop_id]),
    }


@login_required
def claim_detail(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    membership, claim = _own_claim(request, claim_id)
    return render(
        request, "claims/detail.html", _detail_context(request, membership, claim, timezone.now())
    )


def _refusal(exc: DomainError, claim: Claim) -> str:
    """A service's refusal in the page's language (its English detail is for logs and the API)."""
    if exc.code == "invalid_claim_status":
        return gettext(
            "This is no longer possible: the claim is now “%(status)s”. The page shows where "
            "it stands."
        ) % {"status": status_words(claim)}
    if exc.code == "appeal_not_allowed":
        return gettext(
            "The decision can no longer be appealed: a claim is appealed once, before the "
            "appeal window ends."
        )
    if exc.code == "claim_already_decided":
        return gettext("The claim has already been decided.")
    if exc.code == "insufficient_funds":
        return gettext("The deposit could not hold the estimate just now. Try again.")
    return gettext("The claim could not be updated. Reload the page and try again.")


def _refused(
    request: HttpRequest, claim: Claim, exc: DomainError, done_status: str, done: str
) -> None:
    claim.refresh_from_db(fields=["status"])
    if claim.status == done_status:
        # A double submit (or the same step taken meanwhile): the first one acted.
        messages.info(request, done)
    else:
        messages.error(request, _refusal(exc, claim))


def _act(
    request: HttpRequest, claim: Claim, call: Any, done_status: str, done: str
) -> HttpResponse:
    try:
        call()
    except DomainError as exc:
        _refused(request, claim, exc, done_status, done)
    else:
        messages.success(request, done)
    return redirect("claims:detail", claim.public_id)


def _actor_label(request: HttpRequest) -> str:
    user = request.user
    return user.get_full_name() or user.get_username()  # type: ignore[union-attr]


def _forbidden(request: HttpRequest, claim: Claim) -> HttpResponse:
    messages.error(
        request,
        gettext("Only the shop owner or a colleague with the claims role can answer a claim."),
    )
    return redirect("claims:detail", claim.public_id)


@login_required
@require_POST
def claim_settle(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    membership, claim = _own_claim(request, claim_id)
    if not membership.may_answer_claims:
        return _forbidden(request, claim)
    form = SettleForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(
        request,
        claim,
        lambda: services.claim_settle(
            claim=claim, now=timezone.now(), actor_label=_actor_label(request), note=note
        ),
        ClaimStatus.SETTLED,
        gettext("Settled: the claim is closed and nothing is deducted from the deposit."),
    )


@login_required
@require_POST
def claim_contest(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    membership, claim = _own_claim(request, claim_id)
    if not membership.may_answer_claims:
        return _forbidden(request, claim)
    form = ContestForm(request.POST)
    if not form.is_valid():
        if claim.status != ClaimStatus.NEGOTIATING:
            # Nothing to contest any more: say where the claim stands rather than ask for a note.
            messages.error(request, _refusal(InvalidClaimStatus(), claim))
            return redirect("claims:detail", claim.public_id)
        context = _detail_context(request, membership, claim, timezone.now())
        context["contest_form"] = form
        context["contest_open"] = True
        return render(request, "claims/detail.html", context, status=400)
    return _act(
        request,
        claim,
        lambda: services.claim_escalate(
            claim=claim,
            now=timezone.now(),
            note=form.cleaned_data["note"],
            actor=Actor.MERCHANT,
            actor_label=_actor_label(request),
        ),
        ClaimStatus.IN_REVIEW,
        gettext(
            "Contested: the platform reviews the claim. Add your evidence before the window closes."
        ),
    )


@login_required
@require_POST
def claim_appeal(request: HttpRequest, claim_id: uuid.UUID) -> HttpResponse:
    """The merchant's one appeal against an award (claims.services.claim_appeal)."""
    membership, claim = _own_claim(request, claim_id)
    if not membership.may_answer_claims:
        return _forbidden(request, claim)
    form = AppealForm(request.POST)
    if not form.is_valid():
        if claim.status != ClaimStatus.DECIDED:
            messages.error(request, _refusal(InvalidClaimStatus(), claim))
            return redirect("claims:detail", claim.public_id)
        context = _detail_context(request, membership, claim, timezone.now())
        context["appeal_form"] = form
        return render(request, "claims/detail.html", context, status=400)
    return _act(
        request,
        claim,
        lambda: services.claim_appeal(
            claim=claim,
            now=timezone.now(),
            note=form.cleaned_data["note"],
            actor=Actor.MERCHANT,
            actor_label=_actor_label(request),
        ),
        ClaimStatus.APPEALED,
        gettext("Appealed: the platform reviews the decision and tells you its answer here."),
    )

"""Merchant dashboard: a shop's performance insurance (保证金履约险) page.

GET shows, for each product in force, whether the shop is eligible and why not (every reason),
the quote with its arithmetic in words, and the comparison with cash: what the cash deposit must
still hold, how much cash becomes free, what the premium costs, and what an upheld claim costs
(the insurer advances it; the merchant repays within the product's recovery days). Nothing is
written on GET (selectors.quote_preview). POST applies: one quote and one application through
the services, then back to the page (PRG); a refusal is a message in the page's language.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from common.errors import DomainError
from common.templatetags.money import money
from deposits.forms import AmountForm
from deposits.selectors import (
    ShopBlock,
    deposit_summary,
    shop_with_account_for_merchant,
    withdrawal_position,
)
from insurance import selectors, services
from insurance.models import OUTSTANDING_STATUSES, Policy, PolicyStatus
from insurance.recovery_display import advance_rows, outstanding_recoveries_of
from shops.models import MerchantUser, Shop
from shops.selectors import membership_for_user

# The refusals a merchant can meet when applying, by their stable code, in the page's language.
_REFUSALS = {
    "not_eligible": lambda: gettext(
        "This shop is not eligible for this insurance now: the reasons are listed below."
    ),
    "application_open": lambda: gettext(
        "This shop already has an application or a policy in progress."
    ),
    "quote_expired": lambda: gettext("The quote has expired: the page shows a fresh one."),
}


# Refusals any insurance action may meet, by stable code. The service's English `detail` is for
# the API and the logs; the page speaks the reader's language.
_COMMON_REFUSALS = {
    "shop_frozen": lambda: gettext(
        "The shop is frozen: insurance cannot be changed until it is lifted."
    ),
    "shop_closed": lambda: gettext("The shop is closed."),
    "quote_used": lambda: gettext(
        "This quote has already been used: the page shows where it stands."
    ),
    "currency_mismatch": lambda: gettext("The amount is in another currency than the policy's."),
    "idempotency_key_reused": lambda: gettext(
        "This form was already sent with other values. Reload the page and try again."
    ),
}


def _refusal(code: str, known: dict[str, Any], failed: str) -> str:
    """The refusal for `code` in the page's language; an unforeseen one says what failed and
    the code to quote to support, never the API's English text."""
    refusal = known.get(code) or _COMMON_REFUSALS.get(code)
    if refusal is not None:
        return refusal()
    return gettext(
        "%(failed)s Reload the page and try again; if it happens again, contact support and "
        "quote “%(code)s”."
    ) % {"failed": failed, "code": code}


def _shop_for(request: HttpRequest, shop_id: str) -> tuple[MerchantUser, Shop]:
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    shop = shop_with_account_for_merchant(membership.merchant, shop_id)
    if shop is None:
        raise Http404  # another merchant's shop looks exactly like a missing one
    return membership, shop


def _offer(
    shop: Shop,
    product: Any,
    deposit: Any,
    position: Any,
    now: Any,
    english: bool,
    reads: selectors.EligibilityReads,
) -> dict[str, Any]:
    preview = selectors.quote_preview(shop=shop, product=product, now=now, reads=reads)
    with_insurance = (
        replace(deposit, guaranteed_minor=deposit.guaranteed_minor + preview.coverage_minor)
        if deposit is not None
        else None
    )
    return {
        "product": product,
        "name": product.name_en if english else product.name_zh,
        "preview": preview,
        "reasons": [r["detail_en"] if english else r["detail_zh"] for r in preview.reasons],
        "computation": preview.computation_en if english else preview.computation_zh,
        # The coverage rule answers both sides (deposits.domain.coverage): cash that could be
        # withdrawn now, and once the policy stands in for part of the requirement.
        # A shop frozen by ops or closed withdraws nothing either way (withdrawal_position):
        # the comparison is then not offered at all.
        "show_cash_free": (
            preview.eligible and position is not None and position.limit not in set(ShopBlock)
        ),
        "cash_free_now_minor": position.withdrawable_minor if position is not None else 0,
        "cash_free_insured_minor": (
            with_insurance.withdrawable_minor if with_insurance is not None else 0
        ),
        "still_to_pay_insured_minor": (
            with_insurance.shortfall_minor if with_insurance is not None else 0
        ),
    }


@dataclass(frozen=True)
class _PageReads:
    """What the insurance page read once and its panels share: the eligibility facts (every
    offer and the renewal's preview), the products in force, the policies and applications
    listed (the open policies and renewals are among them) and the shop's deposit account."""

    reads: selectors.EligibilityReads
    products: dict[str, Any]
    policies: list[Policy]
    applications: list[Any]


@login_required
def shop_insurance(request: HttpRequest, shop_id: str) -> HttpResponse:
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    now = timezone.now()
    shop = selectors.shop_for_insurance_page(membership.merchant, shop_id, now)
    if shop is None:
        raise Http404  # another merchant's shop looks exactly like a missing one
    if not membership.may_manage_deposit:
        return render(request, "insurance/forbidden.html", {"shop": shop}, status=403)
    account = getattr(shop, "deposit_account", None)  # joined by the selector
    deposit = deposit_summary(account) if account is not None else None
    position = withdrawal_position(shop, account) if account is not None else None
    english = request.LANGUAGE_CODE.startswith("en")
    reads = selectors.eligibility_reads(shop, now)
    products = list(selectors.products_in_force(now).order_by("code"))
    offers = [_offer(shop, product, deposit, position, now, english, reads) for product in products]
    advances = list(selectors.advances_for_shop(shop))
    rows = advance_rows(shop, now, advances)
    policies = selectors.policies_for_insurance_page(shop)
    applications = list(selectors.applications_for_shop(shop)[:10])
    page = _PageReads(
        reads=reads,
        products={product.code: product for product in products},
        policies=policies,
        applications=applications,
    )
    return render(
        request,
        "insurance/shop_insurance.html",
        {
            "shop": shop,
            "deposit": deposit,
            "offers": offers,
            "policies": policies,
            # Each policy with advances: its advances and recoveries, repayable while owed.
            "advance_groups": [
                {"policy": policy, "rows": rows[policy.pk]}
                for policy in policies
                if policy.pk in rows
            ],
            "now": now,
            "current": [
                _current(policy, now, shop, english, page) for policy in _open_policies(policies)
            ],
            "sandbox_payments": _sandbox_payments_enabled(),
            "form_key": uuid.uuid4().hex,
            "applications": applications,
            # open_application_or_policy_exists, read with the shop (shop_for_insurance_page).
            "in_progress": shop.submitted_application or shop.open_policy,  # type: ignore[attr-defined]
            "outstanding_recoveries": outstanding_recoveries_of(advances),
        },
    )


@login_required
@require_POST
def shop_insurance_apply(request: HttpRequest, shop_id: str) -> HttpResponse:
    membership, shop = _shop_for(request, shop_id)
    if not membership.may_manage_deposit:
        return render(request, "insurance/forbidden.html", {"shop": shop}, status=403)
    now = timezone.now()
    try:
        quote = services.quote_create(
            shop=shop, now=now, product_code=request.POST.get("product", "")
        )
        services.application_submit(shop=shop, quote=quote, now=now)
    except DomainError as exc:
        messages.error(
            request,
            _refusal(exc.code, _REFUSALS, gettext("The application could not be made.")),
        )
    else:
        messages.success(
            request,
            gettext(
                "Application sent to the insurer. You will be told when it is decided; the "
                "premium is paid after acceptance."
            ),
        )
    return redirect("insurance:shop_insurance", shop.public_id)


# --- The policy in force or awaiting its premium: pay (sandbox), download, surrender ---------

# Why a surrender is refused, by the preview's stable code, in the page's language.
_SURRENDER_BLOCKS = {
    "recoveries_outstanding": lambda: gettext(
        "An advance of the insurer is still to be repaid: repay it first."
    ),
    "would_cause_shortfall": lambda: gettext(
        "Without the policy the cash deposit would not meet the requirement: top it up first."
    ),
    "invalid_state": lambda: gettext("Only a policy in force can be surrendered."),
}


def _sandbox_payments_enabled() -> bool:
    """As the deposit's sandbox top-up: only where settings allow it (by default with DEBUG)."""
    return bool(getattr(settings, "DEPOSIT_SANDBOX_PAYMENTS", settings.DEBUG))


def _open_policies(policies: list[Policy]) -> list[Policy]:
    """Among the 5 latest of the shop's `policies` (newest first, `renews` joined): those
    awaiting their premium or ACTIVE, except a renewal while the policy it renews is still
    ACTIVE: that one is shown in the renewal panel of the policy it renews."""
    open_policies = [
        policy
        for policy in policies[:5]
        if policy.status in (PolicyStatus.AWAITING_PREMIUM, PolicyStatus.ACTIVE)
    ]
    return [
        p
        for p in open_policies
        if p.renews_id is None or p.renews is None or p.renews.status != PolicyStatus.ACTIVE
    ]


def _renewal_application(policy: Policy, page: _PageReads) -> Any:
    """renewal_application_of, from the pk read with the policy: among the applications listed,
    or read (an older one than the page lists)."""
    pk = getattr(policy, "renewal_application_pk", None)
    if pk is None:
        return None
    listed = next((a for a in page.applications if a.pk == pk), None)
    return listed if listed is not None else selectors.renewal_application_of(policy)


def _renewal_policy(policy: Policy, page: _PageReads) -> Policy | None:
    """renewal_of, among the policies listed: a renewal is newer than the policy it renews, and
    an open policy is one of the 5 latest, so its renewal is one of the 10 listed."""
    return next(
        (
            p
            for p in page.policies  # newest first, as renewal_of orders
            if p.renews_id == policy.pk
            and p.status in (PolicyStatus.AWAITING_PREMIUM, PolicyStatus.ACTIVE)
        ),
        None,
    )


def _document(policy: Policy) -> Any:
    """policy_document_meta, joined with the policy (policies_for_insurance_page)."""
    return getattr(policy, "document", None)


def _renewal(
    shop: Shop, policy: Policy, now: Any, english: bool, page: _PageReads
) -> dict[str, Any] | None:
    """The renewal panel of a policy in force: shown from RENEWAL_OPENS_DAYS before its end, or
    as soon as a renewal is under way. The next term's quote (nothing written), then the
    application with the insurer, the premium to pay, and "renewed until" once paid."""
    today = selectors.market_date(now)
    if not selectors.policy_in_force(policy, today) or policy.ends_on is None:
        return None
    application = _renewal_application(policy, page)
    renewal = _renewal_policy(policy, page)
    opens_on = policy.ends_on - timedelta(days=selectors.RENEWAL_OPENS_DAYS)
    if application is None and renewal is None and today < opens_on:
        return None
    panel: dict[str, Any] = {
        "policy": policy,
        "application": application,
        "renewal": renewal,
        "days_left": (policy.ends_on - today).days,
        "next_starts_on": policy.ends_on + timedelta(days=1),
        "cash": selectors.cash_without_policy(policy, account=page.reads.account),
    }
    if renewal is not None:
        panel["outstanding_premium_minor"] = renewal.premium_minor - renewal.premium_paid_minor
        panel["document"] = _document(renewal)
    elif application is None:
        product = page.products.get(policy.product.code)  # product_in_force, read for the offers
        if product is not None:
            preview = selectors.quote_preview(
                shop=shop,
                product=product,
                now=now,
                starts_on=policy.ends_on + timedelta(days=1),
                reads=page.reads,
            )
            panel["preview"] = preview
            panel["reasons"] = [
                r["detail_en"] if english else r["detail_zh"] for r in preview.reasons
            ]
            panel["computation"] = preview.computation_en if english else preview.computation_zh
    return panel


def _current(
    policy: Policy, now: Any, shop: Shop, english: bool, page: _PageReads
) -> dict[str, Any]:
    preview = (
        selectors.surrender_preview(policy, now, account=page.reads.account)
        if policy.status == "ACTIVE"
        else None
    )
    return {
        "policy": policy,
        "renewal": _renewal(shop, policy, now, english, page),
        "in_force": selectors.policy_in_force(policy, selectors.market_date(now)),
        "outstanding_premium_minor": policy.premium_minor - policy.premium_paid_minor,
        "document": _document(policy),
        "surrender": preview,
        "surrender_blocks": [
            _refusal(r["code"], _SURRENDER_BLOCKS, gettext("The policy cannot be surrendered."))
            for r in (preview.reasons if preview else [])
        ],
    }


def _own_policy(request: HttpRequest, shop_id: str, policy_id: str) -> tuple[Shop, Policy]:
    membership, shop = _shop_for(request, shop_id)
    if not membership.may_manage_deposit:
        raise Http404
    policy = next(
        (p for p in selectors.policies_for_shop(shop) if str(p.public_id) == str(policy_id)), None
    )
    if policy is None:
        raise Http404
    return shop, policy


def _form_key(request: HttpRequest) -> str:
    """The one-time key the page rendered into the form: a double submit repeats it, so the
    service replays instead of paying or surrendering twice."""
    try:
        return uuid.UUID(request.POST.get("form_key", "")).hex
    except ValueError:
        return ""


@login_required
@require_POST
def policy_pay_sandbox(request: HttpRequest, shop_id: str, policy_id: str) -> HttpResponse:
    """The sandbox stands in for the payment provider: it pays what is still owed of the
    premium, through the same service the provider's API call uses."""
    if not _sandbox_payments_enabled():
        raise Http404
    shop, policy = _own_policy(request, shop_id, policy_id)
    key = _form_key(request)
    if not key:
        messages.error(request, gettext("The form has expired. Check and confirm again."))
        return redirect("insurance:shop_insurance", shop.public_id)
    try:
        paid = services.premium_pay(
            policy=policy,
            amount_minor=policy.premium_minor - policy.premium_paid_minor,
            currency=policy.currency,
            payment_ref=f"sandbox-premium:{key}",
            idempotency_key=f"dashboard-premium:{key}",
            now=timezone.now(),
        )
    except DomainError as exc:
        messages.error(request, _refusal(exc.code, {}, gettext("The premium could not be paid.")))
    else:
        today = selectors.market_date(timezone.now())
        if paid.status == PolicyStatus.ACTIVE and paid.starts_on and paid.starts_on > today:
            messages.success(
                request,
                gettext(
                    "Premium paid: the policy is renewed until %(until)s. The next term starts "
                    "on %(start)s, the day after the current one ends, without a gap."
                )
                % {"until": paid.ends_on, "start": paid.starts_on},
            )
        elif paid.status == PolicyStatus.ACTIVE:
            messages.success(
                request,
                gettext(
                    "Premium paid: the policy is in force and stands in for the deposit. The "
                    "e-policy is issued in a moment."
                ),
            )
    return redirect("insurance:shop_insurance", shop.public_id)


@login_required
@require_POST
def policy_surrender(request: HttpRequest, shop_id: str, policy_id: str) -> HttpResponse:
    shop, policy = _own_policy(request, shop_id, policy_id)
    key = _form_key(request)
    if not key:
        messages.error(request, gettext("The form has expired. Check and confirm again."))
        return redirect("insurance:shop_insurance", shop.public_id)
    try:
        services.policy_surrender(
            policy=policy,
            now=timezone.now(),
            idempotency_key=f"dashboard-surrender:{key}",
            reason="Surrendered by the merchant in the dashboard",
            actor=request.user,
        )
    except DomainError as exc:
        messages.error(
            request,
            _refusal(exc.code, _SURRENDER_BLOCKS, gettext("The policy could not be surrendered.")),
        )
    else:
        messages.success(
            request,
            gettext("The policy is surrendered; the unused premium is refunded by the day."),
        )
    return redirect("insurance:shop_insurance", shop.public_id)


# Why a renewal is refused, by its stable code, in the page's language.
_RENEWAL_REFUSALS = {
    "not_eligible": lambda: gettext(
        "This shop is not eligible for the next term now: the reasons are listed with the quote."
    ),
    "application_open": lambda: gettext("A renewal of this policy is already under way."),
    "invalid_state": lambda: gettext(
        "This policy cannot be renewed now: renewal opens 30 days before the term ends, for a "
        "policy in force."
    ),
}


@login_required
@require_POST
def policy_renew(request: HttpRequest, shop_id: str, policy_id: str) -> HttpResponse:
    """Renew: a quote for the next term and the application with it, sent to the insurer."""
    shop, policy = _own_policy(request, shop_id, policy_id)
    try:
        services.policy_renew(policy=policy, now=timezone.now())
    except DomainError as exc:
        messages.error(
            request,
            _refusal(exc.code, _RENEWAL_REFUSALS, gettext("The renewal could not be asked for.")),
        )
    else:
        messages.success(
            request,
            gettext(
                "Renewal sent to the insurer. Once it accepts, pay the premium here: the next "
                "term starts the day after this one ends."
            ),
        )
    return redirect("insurance:shop_insurance", shop.public_id)


@login_required
def policy_document(request: HttpRequest, shop_id: str, policy_id: str) -> HttpResponse:
    """The stored e-policy, byte for byte as issued (its SHA-256 in a header)."""
    _, policy = _own_policy(request, shop_id, policy_id)
    document = selectors.policy_document_pdf(policy)
    if document is None:
        raise Http404
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="e-policy-{policy.policy_number}.pdf"'
    response["X-Content-SHA256"] = document.sha256
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def recovery_repay_sandbox(request: HttpRequest, shop_id: str, recovery_id: str) -> HttpResponse:
    """The sandbox stands in for the payment provider: it repays what is still outstanding of
    an insurer's advance through the service the partner API's repayment uses. The form's
    one-time key is the payment reference, so a double submit repays once."""
    if not _sandbox_payments_enabled():
        raise Http404
    membership, shop = _shop_for(request, shop_id)
    if not membership.may_manage_deposit:
        return render(request, "insurance/forbidden.html", {"shop": shop}, status=403)
    try:
        recovery_uuid = uuid.UUID(str(recovery_id))
    except ValueError:
        raise Http404 from None
    recovery = selectors.recovery_for_shop(shop, recovery_uuid)
    if recovery is None:
        raise Http404
    key = _form_key(request)
    if not key:
        messages.error(request, gettext("The form has expired. Check and confirm again."))
        return redirect("insurance:shop_insurance", shop.public_id)
    payment_ref = f"sandbox-repay:{key}"
    if recovery.status not in OUTSTANDING_STATUSES:
        # A double submit, or a repayment or cancellation that came meanwhile.
        messages.info(request, gettext("Nothing is owed on this advance any more."))
        return redirect("insurance:shop_insurance", shop.public_id)
    # The amount typed (the outstanding amount is filled in; less is a partial repayment). A
    # form without the field repays everything outstanding.
    amount_minor = recovery.outstanding_minor
    if "amount" in request.POST:
        form = AmountForm(request.POST, currency=recovery.currency)
        if not form.is_valid():
            messages.error(
                request,
                gettext("Amount: %(message)s") % {"message": " ".join(form.errors["amount"])},
            )
            return redirect("insurance:shop_insurance", shop.public_id)
        amount_minor = form.cleaned_data["amount"].amount_minor
        if amount_minor > recovery.outstanding_minor:
            messages.error(
                request,
                gettext("Amount: %(message)s")
                % {
                    "message": gettext("At most %(most)s, what is still owed on this advance.")
                    % {"most": money(recovery.outstanding_minor, recovery.currency)}
                },
            )
            return redirect("insurance:shop_insurance", shop.public_id)
    try:
        repaid = services.recovery_repay(
            recovery_id=recovery.pk,
            amount_minor=amount_minor,
            currency=recovery.currency,
            payment_ref=payment_ref,
            now=timezone.now(),
            actor=request.user,
        )
    except DomainError as exc:
        if exc.code in ("duplicate_reference", "invalid_state"):
            messages.info(request, gettext("Nothing is owed on this advance any more."))
        elif exc.code == "validation_error":
            messages.error(
                request,
                gettext("The amount owed has changed meanwhile. Check and confirm again."),
            )
        else:
            messages.error(
                request, _refusal(exc.code, {}, gettext("The advance could not be repaid."))
            )
    else:
        if repaid.status != "REPAID":
            messages.success(
                request,
                gettext(
                    "Repaid %(amount)s: %(left)s is still owed on this advance, by its due time."
                )
                % {
                    "amount": money(amount_minor, repaid.currency),
                    "left": money(repaid.outstanding_minor, repaid.currency),
                },
            )
        if repaid.status == "REPAID":
            messages.success(
                request,
                gettext(
                    "Repaid: the policy's limit and the guarantee on the deposit are restored, "
                    "and a supervision for this advance is lifted."
                ),
            )
    return redirect("insurance:shop_insurance", shop.public_id)

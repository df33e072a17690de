"""Merchant dashboard: one shop's deposit, notices and the sandbox top-up (the shops list is
config.dashboard_home: its columns span apps).

Reads go through selectors; the one write, the sandbox payment's confirmation, through the same
service a payment provider's callback uses.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import DomainError
from common.money import CURRENCY_EXPONENTS, Money
from common.pagination import UncountedPage
from common.templatetags.money import money
from deposits import services
from deposits.forms import AmountForm, top_up_refusal
from deposits.models import Account, ShortfallCase
from deposits.selectors import (
    claim_refs_for_shop,
    debt_origin,
    deposit_summary,
    entries_for_account,
    holds_for_account,
    requirement_explanation,
    requirement_why,
    shop_with_account_for_merchant,
)
from deposits.services import refund_available_at
from deposits.services.shortfall import (
    shortfall_banner,
    shortfall_cases_for_page,
    shortfall_open_cases_by_shop,
    shortfall_restriction_texts,
    step_description,
)
from deposits.views_withdraw import withdraw_shop_context
from shops.models import MerchantUser, Shop
from shops.selectors import (
    membership_for_user,
)

ENTRIES_PER_PAGE = 25


@login_required
def shop_detail(request: HttpRequest, shop_id: str) -> HttpResponse:
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    shop = shop_with_account_for_merchant(membership.merchant, shop_id)
    if shop is None:
        # Another merchant's shop looks exactly like a missing one.
        raise Http404
    # Joined by the selector (select_related): no query of its own.
    account = getattr(shop, "deposit_account", None)
    active = shop.active_restrictions  # type: ignore[attr-defined]
    # The active ones are listed with what lifts them; history shows the rest.
    lifted = shop.lifted_restrictions  # type: ignore[attr-defined]
    # The open case and those the restrictions name, read once for the banner and the texts.
    cases = shortfall_cases_for_page(shop, account, active + lifted) if account else None
    texts = shortfall_restriction_texts(
        shop=shop,
        account=account,
        restrictions=active + lifted,
        cases=cases.by_ref if cases else None,
    )
    for restriction in active + lifted:
        restriction.texts = texts.get(restriction.pk)
    page = None
    holds = []
    if account and membership.may_manage_deposit:
        page = UncountedPage(
            entries_for_account(account), request.GET.get("page"), ENTRIES_PER_PAGE
        )
        holds = list(holds_for_account(account, active_only=True))
    shortfall_context = _shortfall_shop_context(
        membership, shop, account, cases.open if cases else None
    )
    _name_claims(shop, page, holds, shortfall_context["shortfall"])
    return render(
        request,
        "dashboard/shop_detail.html",
        {
            "shop": shop,
            "account": account,
            "deposit": deposit_summary(account) if account else None,
            "explanation": requirement_explanation(
                account.requirement_basis, language=request.LANGUAGE_CODE
            )
            if account
            else None,
            "why": requirement_why(
                account.requirement_basis, currency=account.currency, language=request.LANGUAGE_CODE
            )
            if account and membership.may_manage_deposit
            else [],
            "entries_page": page,
            "holds": holds,
            "lifted_restrictions": lifted,
            "refund_on": refund_available_at(shop.closed_at) if shop.closed_at else None,
            "may_see_money": membership.may_manage_deposit,
            **shortfall_context,
            **withdraw_shop_context(membership, shop, account),
        },
    )


def _name_claims(
    shop: Shop, page: UncountedPage | None, holds: list[Any], shortfall: dict[str, Any] | None
) -> None:
    """Give each ledger line, hold and the banner's latest deduction posted for a claim
    ("claim:<uuid>") that claim's order reference and link (`claim_ref`), read in one query for
    the whole page: the bare reference was a code to the merchant."""
    rows = [*(page or []), *holds]
    if shortfall and shortfall.get("latest_deduction") is not None:
        rows.append(shortfall["latest_deduction"])
    refs = claim_refs_for_shop(shop, (row.reference for row in rows))
    for row in rows:
        row.claim_ref = refs.get(row.reference)


# --- Shortfall banner, notices and the sandbox payment page ------------------------------------


def _sandbox_payments_enabled() -> bool:
    """The sandbox credits the ledger without real money: only where settings allow it (by
    default with DEBUG on), never silently in production."""
    return bool(getattr(settings, "DEPOSIT_SANDBOX_PAYMENTS", settings.DEBUG))


def shortfall_home_context(membership: MerchantUser, shops: list[Shop]) -> dict[str, Any]:
    cases = shortfall_open_cases_by_shop([shop.pk for shop in shops])
    rows = []
    for shop in shops:
        case = cases.get(shop.pk)
        account = getattr(shop, "deposit_account", None)
        if case is None or account is None:
            continue
        upcoming = [item for item in case.plan if item["position"] >= case.step]
        rows.append(
            {
                "shop": shop,
                "case": case,
                "amount_minor": account.shortfall_minor,
                "debt_minor": account.debt_minor,
                "currency": account.currency,
                "next_when": datetime.fromisoformat(upcoming[0]["due_at"]) if upcoming else None,
                "next_what": step_description(upcoming[0]) if upcoming else "",
            }
        )
    return {
        "shortfall_rows": rows,
        "sandbox_payments": _sandbox_payments_enabled(),
    }


def _shortfall_shop_context(
    membership: MerchantUser, shop: Shop, account: Account | None, case: ShortfallCase | None
) -> dict[str, Any]:
    return {
        "shortfall": shortfall_banner(shop=shop, account=account, case=case),
        # What is owed, to whom and why: only for those who may see the deposit's amounts.
        "debt": debt_origin(account) if account and membership.may_manage_deposit else None,
        "sandbox_payments": _sandbox_payments_enabled(),
    }


def _own_shop(request: HttpRequest, shop_id: str) -> tuple[MerchantUser, Shop]:
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    shop = shop_with_account_for_merchant(membership.merchant, shop_id)
    if shop is None:
        raise Http404  # another merchant's shop looks exactly like a missing one
    return membership, shop


SANDBOX_SESSION_KEY = "sandbox_payments"


def _closed_shop_refusal(request: HttpRequest, shop: Shop) -> HttpResponse:
    """A shop that has exited takes no new payment from its merchant: its deposit is on its way
    back (the services refuse it too, `shop_closed`: a payment the provider confirms late is
    returned by the provider, not credited)."""
    messages.error(
        request,
        # Whether the refund is still to come or done, the shop page's exit banner says.
        gettext("This shop has exited, so it cannot be topped up."),
    )
    return redirect("dashboard:shop_detail", shop.public_id)


def sandbox_top_up_limit(account: Account) -> int:
    """The most one sandbox payment credits: the setting's amount, or twice what the shop must
    keep plus its debt when that is more (a shop's own shortfall is always payable at once)."""
    exponent = CURRENCY_EXPONENTS[account.currency]
    configured = settings.DEPOSIT_SANDBOX_TOP_UP_MAX_MAJOR * 10**exponent
    return max(configured, 2 * account.required_minor + account.debt_minor)


@login_required
def sandbox_top_up(request: HttpRequest, shop_id: str) -> HttpResponse:
    """Step 1 of the sandbox payment: the merchant enters an amount. A valid POST creates a
    pending sandbox payment (in the session) and redirects to its confirmation page (PRG)."""
    if not _sandbox_payments_enabled():
        raise Http404
    membership, shop = _own_shop(request, shop_id)
    if not membership.may_manage_deposit:
        return render(request, "dashboard/sandbox_forbidden.html", {"shop": shop}, status=403)
    if shop.closed_at is not None:
        return _closed_shop_refusal(request, shop)
    account = getattr(shop, "deposit_account", None)  # joined by the selector
    if account is None:
        raise Http404
    form = AmountForm(currency=account.currency)
    amount_text = request.GET.get("amount", "")
    if request.method == "POST":
        form = AmountForm(
            request.POST, currency=account.currency, max_minor=sandbox_top_up_limit(account)
        )
        amount_text = form.typed_amount()
        if form.is_valid():
            payment_id = str(uuid.uuid4())
            pending = request.session.get(SANDBOX_SESSION_KEY, {})
            pending[payment_id] = {
                "shop": str(shop.public_id),
                "amount_minor": form.cleaned_data["amount"].amount_minor,
            }
            request.session[SANDBOX_SESSION_KEY] = pending
            return redirect("dashboard:sandbox_top_up_confirm", shop.public_id, payment_id)
    elif not amount_text and account.shortfall_minor:
        amount_text = Money(account.shortfall_minor, account.currency).major_str().replace(",", "")
    return render(
        request,
        "dashboard/sandbox_top_up.html",
        {
            "shop": shop,
            "deposit": deposit_summary(account),
            "amount_text": amount_text,
            "errors": form.errors,
        },
        status=400 if form.errors else 200,
    )


@login_required
def sandbox_top_up_confirm(request: HttpRequest, shop_id: str, payment_id: str) -> HttpResponse:
    """Step 2: confirm the sandbox payment. The POST does what a payment provider's callback
    does: `deposit_top_up` with this payment's own reference and an idempotency key derived from
    the payment id in the form, so a double submit (or a reload) credits once."""
    if not _sandbox_payments_enabled():
        raise Http404
    membership, shop = _own_shop(request, shop_id)
    if not membership.may_manage_deposit:
        return render(request, "dashboard/sandbox_forbidden.html", {"shop": shop}, status=403)
    if shop.closed_at is not None:
        return _closed_shop_refusal(request, shop)
    account = getattr(shop, "deposit_account", None)  # joined by the selector
    pending = request.session.get(SANDBOX_SESSION_KEY, {}).get(str(payment_id))
    if account is None or pending is None or pending["shop"] != str(shop.public_id):
        raise Http404
    if request.method == "POST":
        if request.POST.get("idempotency_key") != str(payment_id):
            raise Http404
        try:
            result = services.deposit_top_up(
                account_id=account.pk,
                amount_minor=pending["amount_minor"],
                currency=account.currency,
                payment_ref=f"sandbox:{payment_id}",
                idempotency_key=f"sandbox-top-up:{payment_id}",
                now=timezone.now(),
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, top_up_refusal(exc.code))
            return redirect("dashboard:sandbox_top_up", shop.public_id)
        amount = money(pending["amount_minor"], account.currency)
        if result.replayed:
            messages.info(
                request,
                gettext("This payment was already credited (%(amount)s).") % {"amount": amount},
            )
        else:
            messages.success(
                request,
                gettext("Sandbox payment of %(amount)s credited to the deposit.")
                % {"amount": amount},
            )
        return redirect("dashboard:shop_detail", shop.public_id)
    return render(
        request,
        "dashboard/sandbox_top_up_confirm.html",
        {
            "shop": shop,
            "deposit": deposit_summary(account),
            "payment_id": payment_id,
            "amount_minor": pending["amount_minor"],
            "currency": account.currency,
        },
    )

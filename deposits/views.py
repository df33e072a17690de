"""Merchant dashboard: the shops list and one shop's deposit. Reads only, through selectors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from deposits.selectors import (
    account_for_shop,
    deposit_summary,
    entries_for_account,
    holds_for_account,
    requirement_explanation,
    shops_with_accounts_for_merchant,
)
from deposits.services import refund_available_at
from shops.selectors import membership_for_user

ENTRIES_PER_PAGE = 25


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = membership_for_user(request.user)
    if membership is None:
        return render(request, "dashboard/no_merchant.html", status=403)
    shops = list(shops_with_accounts_for_merchant(membership.merchant))
    rows = []
    for shop in shops:
        account = getattr(shop, "deposit_account", None)
        rows.append({"shop": shop, "deposit": deposit_summary(account) if account else None})
    status_filter = request.GET.get("status", "")
    if status_filter:
        rows = [row for row in rows if row["shop"].status == status_filter]
    return render(
        request,
        "dashboard/home.html",
        {
            "merchant": membership.merchant,
            "membership": membership,
            "rows": rows,
            "shop_count": len(shops),
            "status_filter": status_filter,
            "may_see_money": membership.may_manage_deposit,
        },
    )


@login_required
def shop_detail(request: HttpRequest, shop_id: str) -> HttpResponse:
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    shop = shops_with_accounts_for_merchant(membership.merchant).filter(public_id=shop_id).first()
    if shop is None:
        # Another merchant's shop looks exactly like a missing one.
        raise Http404
    account = account_for_shop(shop)
    page = None
    holds = []
    if account and membership.may_manage_deposit:
        page = Paginator(entries_for_account(account), ENTRIES_PER_PAGE).get_page(
            request.GET.get("page")
        )
        holds = list(holds_for_account(account, active_only=True))
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
            "entries_page": page,
            "holds": holds,
            # The active ones are listed above with what lifts them; history shows the rest.
            "lifted_restrictions": shop.restrictions.filter(lifted_at__isnull=False).order_by(
                "-lifted_at"
            )[:50],
            "refund_on": refund_available_at(shop.closed_at) if shop.closed_at else None,
            "may_see_money": membership.may_manage_deposit,
        },
    )

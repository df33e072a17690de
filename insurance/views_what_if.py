"""Merchant dashboard: "what if" for one shop, adding a category or a brand or changing the shop
type: the requirement it would have (by the same rules, `deposits.services.requirement_what_if`),
the cash that would be needed today (the coverage rule), and the insurance alternative when the
shop would be eligible (`selectors.quote_preview` with a what-if profile: no quote row).

A GET form: trying writes nothing. It lives in insurance because it prices insurance; deposits,
below it, cannot. Refusals are said in the page's language, naming the field they are about.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext

from common.errors import DomainError
from deposits import services as deposit_services
from deposits.forms import WhatIfForm
from deposits.selectors import deposit_summary, requirement_why, shop_with_account_only
from insurance import selectors
from insurance.services.underwriting import DEFAULT_PRODUCT
from shops.models import Shop, ShopType, TrademarkStatus
from shops.selectors import category_catalogue, membership_for_user


def _refusal(exc: DomainError, form: WhatIfForm, shop: Shop, english: bool) -> tuple[str, str]:
    """(field, sentence) for a refused what-if, in the page's language; field "" for the form."""
    data = form.cleaned_data
    category = form.categories.get(data.get("category") or "")
    name = (category.name_en if english else category.name_zh) if category else ""
    if exc.code == "category_not_open":
        return "category", gettext(
            "Category to add: “{category}” is not open to shops on this marketplace, so it "
            "cannot be added."
        ).format(category=name)
    if exc.code == "category_already_held":
        return "category", gettext(
            "Category to add: your shop already sells in “{category}”."
        ).format(category=name)
    if exc.code == "no_requirement_rule":
        field = next(iter(exc.fields or {"shop_type": []}))
        shop_type = data.get("shop_type") or shop.shop_type
        trademark = (
            TrademarkStatus.APPLIED
            if data.get("brand_trademark") == TrademarkStatus.APPLIED
            else shop.trademark_status
        )
        label = gettext("Shop type") if field == "shop_type" else gettext("Brand to add")
        return field, gettext(
            "{field}: no deposit rule covers a {shop_type} with {trademark}, so the platform "
            "would not accept this change."
        ).format(
            field=label,
            shop_type=ShopType(shop_type).label,
            trademark=TrademarkStatus(trademark).label,
        )
    if exc.code == "shop_closed":
        return "", gettext("This shop has exited: nothing about it can change any more.")
    if exc.code == "nothing_changed":
        return "", gettext(
            "Choose a category to add, a brand to add or another shop type, then try again."
        )
    return "", gettext("This change cannot be tried here.")


def _insurance_alternative(
    shop: Shop, result: Any, now: Any, english: bool
) -> dict[str, Any] | None:
    preview = selectors.quote_preview_what_if(
        shop=shop,
        account=shop.deposit_account,  # type: ignore[attr-defined]
        categories=result.categories,
        requirement_minor=result.required_minor,
        product_code=DEFAULT_PRODUCT,
        now=now,
    )
    if preview is None:
        return None
    product = preview.product
    # As on the insurance page: the policy's coverage stands beside today's guarantees, and
    # the coverage rule says what cash would still be needed.
    insured = replace(
        result.after, guaranteed_minor=result.after.guaranteed_minor + preview.coverage_minor
    )
    return {
        "name": product.name_en if english else product.name_zh,
        "preview": preview,
        "reasons": [r["detail_en"] if english else r["detail_zh"] for r in preview.reasons],
        "computation": preview.computation_en if english else preview.computation_zh,
        "cash_needed_insured_minor": insured.shortfall_minor,
    }


@login_required
def what_if(request: HttpRequest, shop_id: str) -> HttpResponse:
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    # Without the categories and restrictions prefetched: the catalogue below says which
    # categories are the shop's, in the same query (the page's query budget).
    shop = shop_with_account_only(membership.merchant, shop_id)
    if shop is None:
        raise Http404  # another merchant's shop looks exactly like a missing one
    if not membership.may_manage_deposit:
        return render(request, "dashboard/what_if_forbidden.html", {"shop": shop}, status=403)
    account = getattr(shop, "deposit_account", None)
    english = request.LANGUAGE_CODE.startswith("en")
    catalogue = category_catalogue(shop)
    form = WhatIfForm(request.GET if request.GET else None, categories=catalogue, english=english)
    result = insurance = None
    status = 200
    if form.is_bound and form.is_valid() and account is not None:
        now = timezone.now()
        try:
            result = deposit_services.requirement_what_if(
                shop=shop,
                account=account,
                categories=[c for c in catalogue if c.on_shop],
                change=deposit_services.ProfileChange(**form.change_values()),
                now=now,
            )
        except DomainError as exc:
            field, sentence = _refusal(exc, form, shop, english)
            form.add_error(field or None, sentence)
            status = 400
        if result is not None and result.required_minor > 0:
            insurance = _insurance_alternative(shop, result, now, english)
    elif form.is_bound and not form.is_valid():
        status = 400  # a choice that is not offered: the form says which field
    return render(
        request,
        "dashboard/what_if.html",
        {
            "shop": shop,
            "deposit": deposit_summary(account) if account is not None else None,
            "form": form,
            "result": result,
            "why": (
                requirement_why(
                    result.basis, currency=shop.currency, language=request.LANGUAGE_CODE
                )
                if result is not None
                else []
            ),
            "insurance": insurance,
        },
        status=status,
    )

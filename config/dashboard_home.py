"""The merchant's home: one row per shop with its status, requirement, cash, guarantee,
shortfall, open claims and the end of its insurance cover, sortable by each column.

It lives in config, not in deposits where the shop pages are, because its columns come from
three apps (deposits' balances, claims' open claims, insurance's policies) and only code above
all of them may combine them (docs/architecture.md). Every column is read in one statement
(claims and insurance give their counts as subquery expressions), so the page costs the same
number of queries for one shop or a hundred; sorting is done on those rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext

from claims.selectors import open_claims_count_of_shop
from deposits.domain.coverage import Coverage
from deposits.selectors import deposit_summary, shops_with_accounts_for_merchant
from deposits.views import shortfall_home_context
from insurance.selectors import policy_ends_on_of_shop
from shops.models import Shop, ShopStatus
from shops.selectors import membership_for_user

# Most urgent first when sorted by status ascending.
STATUS_ORDER = {
    ShopStatus.FROZEN: 0,
    ShopStatus.RESTRICTED: 1,
    ShopStatus.ONBOARDING: 2,
    ShopStatus.ACTIVE: 3,
    ShopStatus.CLOSED: 4,
}


@dataclass(frozen=True)
class HomeRow:
    shop: Shop
    deposit: Coverage | None
    open_claims: int
    policy_ends_on: date | None


# key → (label, is an amount, the value sorted on; None sorts last in either direction)
_Column = tuple[Callable[[], str], bool, Callable[[HomeRow], Any]]


def _amount(field: str) -> Callable[[HomeRow], Any]:
    return lambda row: getattr(row.deposit, field) if row.deposit is not None else None


COLUMNS: dict[str, _Column] = {
    "name": (lambda: gettext("Shop"), False, lambda row: row.shop.name.casefold()),
    "status": (lambda: gettext("Status"), False, lambda row: STATUS_ORDER.get(row.shop.status)),
    "required": (lambda: gettext("Required"), True, _amount("required_minor")),
    "cash": (lambda: gettext("Cash available"), True, _amount("available_minor")),
    "guarantee": (lambda: gettext("Guarantee"), True, _amount("guaranteed_minor")),
    "shortfall": (lambda: gettext("Shortfall"), True, _amount("shortfall_minor")),
    "claims": (lambda: gettext("Open claims"), False, lambda row: row.open_claims),
    "policy": (lambda: gettext("Insurance until"), False, lambda row: row.policy_ends_on),
}


def home_rows(shops: list[Shop]) -> list[HomeRow]:
    rows = []
    for shop in shops:
        account = getattr(shop, "deposit_account", None)
        rows.append(
            HomeRow(
                shop=shop,
                deposit=deposit_summary(account) if account is not None else None,
                open_claims=shop.open_claims,  # type: ignore[attr-defined]
                policy_ends_on=shop.policy_ends_on,  # type: ignore[attr-defined]
            )
        )
    return rows


def sort_rows(rows: list[HomeRow], key: str, descending: bool) -> list[HomeRow]:
    """By the column, ties by name; rows without the value (no deposit account, no policy) come
    last whichever the direction."""
    value = COLUMNS[key][2]
    by_name = sorted(rows, key=lambda row: (row.shop.name.casefold(), row.shop.pk))
    present = [row for row in by_name if value(row) is not None]
    missing = [row for row in by_name if value(row) is None]
    return sorted(present, key=value, reverse=descending) + missing


def _sort_choice(request: HttpRequest, may_see_money: bool) -> tuple[str, bool]:
    raw = request.GET.get("sort", "name")
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    # A member who may not see amounts may not sort by them either: the order would tell them.
    if key not in COLUMNS or (COLUMNS[key][1] and not may_see_money):
        return "name", False
    return key, descending


def _header(key: str, current: str, descending: bool, status_filter: str) -> dict[str, Any]:
    label, is_amount, _value = COLUMNS[key]
    active = key == current
    # A first click sorts amounts and counts from the largest, names and dates from the first.
    first_descending = is_amount or key == "claims"
    next_descending = (not descending) if active else first_descending
    query = {"sort": ("-" if next_descending else "") + key}
    if status_filter:
        query["status"] = status_filter
    return {
        "key": key,
        "label": label(),
        "num": is_amount or key == "claims",
        "href": "?" + urlencode(query),
        "aria_sort": ("descending" if descending else "ascending") if active else "none",
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = membership_for_user(request.user)
    if membership is None:
        if request.user.is_staff:
            # Ops who signed in at /admin/login/ land here (the admin's login form sends no
            # `next`, so LOGIN_REDIRECT_URL applies): the admin is where they meant to go.
            return redirect("admin:index")
        return render(request, "dashboard/no_merchant.html", status=403)
    may_see_money = membership.may_manage_deposit
    shops = list(
        shops_with_accounts_for_merchant(membership.merchant).annotate(
            open_claims=open_claims_count_of_shop(), policy_ends_on=policy_ends_on_of_shop()
        )
    )
    rows = home_rows(shops)
    status_filter = request.GET.get("status", "")
    if status_filter:
        rows = [row for row in rows if row.shop.status == status_filter]
    key, descending = _sort_choice(request, may_see_money)
    rows = sort_rows(rows, key, descending)
    keys = [k for k, column in COLUMNS.items() if may_see_money or not column[1]]
    return render(
        request,
        "dashboard/home.html",
        {
            "merchant": membership.merchant,
            "membership": membership,
            "rows": rows,
            "shop_count": len(shops),
            "status_filter": status_filter,
            "sort": ("-" if descending else "") + key,
            "headers": [_header(k, key, descending, status_filter) for k in keys],
            "may_see_money": may_see_money,
            **shortfall_home_context(membership, shops),
        },
    )

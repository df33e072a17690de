"""Reads of deposits for the dashboard, the API and ops, with joins planned (no N+1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from deposits.models import Account, Entry, Hold
from shops.models import Merchant, Shop
from shops.selectors import shops_for_merchant


@dataclass(frozen=True)
class DepositSummary:
    currency: str
    required_minor: int
    posted_minor: int
    held_minor: int
    available_minor: int
    guaranteed_minor: int
    debt_minor: int
    shortfall_minor: int
    surplus_minor: int

    def as_dict(self) -> dict[str, int | str]:
        return {
            "currency": self.currency,
            "required_minor": self.required_minor,
            "posted_minor": self.posted_minor,
            "held_minor": self.held_minor,
            "available_minor": self.available_minor,
            "guaranteed_minor": self.guaranteed_minor,
            "debt_minor": self.debt_minor,
            "shortfall_minor": self.shortfall_minor,
        }


def deposit_summary(account: Account) -> DepositSummary:
    available = account.posted_minor - account.held_minor
    coverage = available + account.guaranteed_minor
    shortfall = max(0, account.required_minor - coverage + account.debt_minor)
    # What may be withdrawn: cash above what the requirement still needs after guarantees,
    # never more than is available, and nothing while a debt is open.
    cash_needed = max(0, account.required_minor - account.guaranteed_minor)
    surplus = 0 if account.debt_minor else max(0, min(available, available - cash_needed))
    return DepositSummary(
        currency=account.currency,
        required_minor=account.required_minor,
        posted_minor=account.posted_minor,
        held_minor=account.held_minor,
        available_minor=available,
        guaranteed_minor=account.guaranteed_minor,
        debt_minor=account.debt_minor,
        shortfall_minor=shortfall,
        surplus_minor=surplus,
    )


def shops_with_accounts_for_merchant(merchant: Merchant) -> QuerySet[Shop]:
    return shops_for_merchant(merchant).select_related("deposit_account")


def account_for_shop(shop: Shop) -> Account | None:
    return Account.objects.filter(shop=shop).first()


def entries_for_account(account: Account) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(account=account).select_related("transaction", "actor").order_by("-id")
    )


def holds_for_account(account: Account, *, active_only: bool = False) -> QuerySet[Hold]:
    qs = Hold.objects.filter(account=account).order_by("-id")
    if active_only:
        qs = qs.filter(status=Hold.Status.ACTIVE)
    return qs


def requirement_explanation(basis: dict[str, Any], *, language: str) -> dict[str, Any]:
    """Turn the cached requirement basis into sentences and rows for the merchant, in their
    language: which rule and which category set the amount."""
    from common.money import format_minor
    from shops.models import ShopType, TrademarkStatus

    deciding = basis.get("deciding")
    shop_type = str(ShopType(basis["shop_type"]).label) if basis.get("shop_type") else ""
    trademark = (
        str(TrademarkStatus(basis["trademark_status"]).label)
        if basis.get("trademark_status")
        else ""
    )
    english = language.startswith("en")
    rows = [
        {
            "category": line["category_en"] if english else line["category_zh"],
            "rule": _("Category rule") if line["rule"] == "category" else _("Standard table"),
            "amount_minor": line["amount_minor"],
            "deciding": line["category"] == basis.get("deciding_category"),
        }
        for line in basis.get("categories", [])
    ]
    deciding_name = next((r["category"] for r in rows if r["deciding"]), "")
    if deciding == "closed":
        text = _(
            "The shop has exited: no deposit is required any more; what is left is "
            "refunded once the exit period has passed."
        )
    elif deciding == "override":
        text = _("The platform set this amount for your shop: %(reason)s") % {
            "reason": basis.get("override_reason", "")
        }
    elif deciding == "gmv":
        text = _("Your recent sales (%(gmv)s) fall in a sales tier that requires this amount.") % {
            "gmv": format_minor(basis.get("gmv_minor", 0), "CNY")
        }
    elif deciding == "category":
        text = _(
            "“%(category)s” has an amount of its own for a %(shop_type)s, and it is the "
            "highest among your categories."
        ) % {"category": deciding_name, "shop_type": shop_type}
    elif deciding == "base":
        text = _(
            "The standard amount for a %(shop_type)s with %(trademark)s; none of your "
            "categories has a higher amount of its own."
        ) % {
            # Lower-case only the first letter: "(R)" and "(TM)" keep their capitals.
            "shop_type": shop_type,
            "trademark": trademark[:1].lower() + trademark[1:] if english else trademark,
        }
    else:
        text = ""
    return {"text": text, "rows": rows}

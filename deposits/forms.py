"""Merchant dashboard forms: an amount typed by a person is parsed once, here, with
`common.money.Money`, and every refusal is said in the page's language.

Messages are chosen by the stable `code` of the domain error (common/errors.py), never by
matching the English text the API speaks.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext

from common.errors import DomainError
from common.money import CURRENCY_EXPONENTS, Money
from common.templatetags.money import money
from shops.models import ShopType, TrademarkStatus

NOT_A_NUMBER = "amount_not_a_number"


def amount_message(code: str, currency: str) -> str:
    """What Money.parse refused, by its error code, in the page's language."""
    if code == "amount_too_precise":
        return gettext("At most %(places)s decimal places for %(currency)s.") % {
            "places": CURRENCY_EXPONENTS[currency],
            "currency": currency,
        }
    if code == "amount_too_large":
        return gettext("The amount is too large.")
    return gettext("Enter a number such as 1000.00.")


def top_up_refusal(code: str) -> str:
    """Why a sandbox payment was not credited, by the domain error's code, in the page's
    language (never the API's English `detail`, which names fields such as amount_minor)."""
    if code == "duplicate_reference":
        return gettext("This payment has already been credited to another deposit.")
    if code == "shop_closed":
        return gettext("This shop has exited, so it cannot be topped up.")
    if code in ("amount_not_a_number", "amount_too_precise", "amount_too_large"):
        return gettext("Amount: enter a number such as 1000.00.")
    if code == "validation_error":
        return gettext("Amount: the payment could not be taken in this amount. Enter it again.")
    return gettext("The payment could not be credited. Start again, or contact support.")


class AmountForm(forms.Form):
    """One amount in the deposit's currency, above zero; `cleaned_data["amount"]` is a Money."""

    amount = forms.CharField(max_length=64, strip=True)

    def __init__(
        self, *args: Any, currency: str, max_minor: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.max_minor = max_minor  # the most this form accepts, when it has a limit
        self.fields["amount"].error_messages["required"] = amount_message(NOT_A_NUMBER, currency)

    def clean_amount(self) -> Money:
        try:
            amount = Money.parse(self.cleaned_data["amount"], self.currency)
        except DomainError as exc:
            raise forms.ValidationError(
                amount_message(exc.code, self.currency), code=exc.code
            ) from None
        if amount.amount_minor < 1:
            raise forms.ValidationError(
                gettext("Enter an amount above zero."), code="amount_not_positive"
            )
        if self.max_minor is not None and amount.amount_minor > self.max_minor:
            raise forms.ValidationError(
                gettext("at most %(limit)s in one payment.")
                % {"limit": money(self.max_minor, self.currency)},
                code="amount_above_limit",
            )
        return amount

    def typed_amount(self) -> str:
        """What the person typed, to show again beside the error."""
        return str(self.data.get("amount", "")).strip() if self.is_bound else ""


class WithdrawForm(AmountForm):
    """The withdrawal form: the amount and the one-time key of this showing of the form.

    Each showing carries a new key (`new_key`); the POST spends it on one `deposit_withdraw`
    call, so a double submit withdraws once and a refused key is never offered again."""

    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)

    @staticmethod
    def new_key() -> str:
        return uuid.uuid4().hex

    def clean_idempotency_key(self) -> str:
        key = self.cleaned_data.get("idempotency_key", "")
        try:
            return uuid.UUID(key).hex
        except ValueError:
            # Not a field error: the merchant can do nothing about a hidden field but reload.
            self.add_error(None, gettext("The form has expired. Check and confirm again."))
            return ""


class WhatIfForm(forms.Form):
    """ "What if I add a category, a brand, or change the shop type": three optional fields, at
    least one (the service says so, `nothing_changed`). Every category is offered, those closed
    to shops too, so that the page can say why one cannot be added rather than hide it."""

    category = forms.ChoiceField(required=False)
    brand_trademark = forms.ChoiceField(required=False)
    shop_type = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, categories: list[Any], english: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.categories = {c.code: c for c in categories}
        self.fields["category"].label = gettext("Category to add")
        self.fields["category"].choices = [("", "—")] + [
            (
                c.code,
                (c.name_en if english else c.name_zh)
                + ("" if c.is_active else " · " + gettext("closed to shops")),
            )
            for c in categories
        ]
        self.fields["brand_trademark"].label = gettext("Brand to add")
        self.fields["brand_trademark"].choices = [
            ("", "—"),
            (TrademarkStatus.REGISTERED, gettext("A brand with a registered trademark (R)")),
            (TrademarkStatus.APPLIED, gettext("A brand whose trademark is only applied for (TM)")),
        ]
        self.fields["shop_type"].label = gettext("Shop type")
        self.fields["shop_type"].choices = [("", "—"), *ShopType.choices]

    def change_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "add_category": self.categories.get(data["category"]) if data["category"] else None,
            "brand_trademark": data["brand_trademark"] or None,
            "shop_type": data["shop_type"] or None,
        }

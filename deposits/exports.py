"""Columns of the deposits exports (django-import-export Resources): ledger entries, and shops
with their coverage. The admin screens export them from their filtered lists
(shops.admin_exports); amounts are decimal strings in major units beside their currency."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from import_export.fields import Field
from import_export.resources import Resource

from common.exports import MoneyField, choice_field, text_field, time_field
from common.money import decimal_text
from deposits.domain.coverage import Coverage, coverage_of
from deposits.models import Entry, SystemAccount, TransactionKind
from shops.models import ShopStatus, ShopType


class LedgerEntryResource(Resource):
    id = text_field("id", _("entry"))
    transaction = text_field("transaction_id", _("transaction"))
    occurred_at = time_field("occurred_at", _("occurred at"))
    recorded_at = time_field("recorded_at", _("recorded at"))
    shop = text_field("account__shop__name", _("shop"))
    # Empty for a shop's deposit (the shop column names it), the account's name for the
    # system side of a posting.
    system_account = choice_field(
        "account__system_code", SystemAccount.choices, _("system account")
    )
    kind = choice_field("kind", TransactionKind.choices, _("kind"))
    bucket = choice_field("bucket", Entry.Bucket.choices, _("bucket"))
    currency = text_field("currency", _("currency"))
    amount = MoneyField(attribute="amount_minor", column_name=_("amount"))
    balance_after = MoneyField(attribute="balance_after_minor", column_name=_("balance after"))
    reason = text_field("reason", _("reason"))
    reference = text_field("reference", _("reference"))
    actor = text_field("actor__username", _("actor"))

    class Meta:
        export_order = [
            "id",
            "transaction",
            "occurred_at",
            "recorded_at",
            "shop",
            "system_account",
            "kind",
            "bucket",
            "currency",
            "amount",
            "balance_after",
            "reason",
            "reference",
            "actor",
        ]


def _coverage(shop: Any) -> Coverage | None:
    account = getattr(shop, "deposit_account", None)
    return None if account is None else coverage_of(account)


def _money(shop: Any, figure: str) -> str:
    coverage = _coverage(shop)
    if coverage is None:
        return ""
    return decimal_text(getattr(coverage, figure), coverage.currency)


class ShopCoverageResource(Resource):
    """One row per shop with its deposit's position (deposits.domain.coverage, the one rule)."""

    public_id = text_field("public_id", _("shop id"))
    name = text_field("name", _("shop"))
    external_ref = text_field("external_ref", _("external reference"))
    merchant = text_field("merchant__name", _("merchant"))
    status = choice_field("status", ShopStatus.choices, _("status"))
    shop_type = choice_field("shop_type", ShopType.choices, _("shop type"))
    currency = text_field("currency", _("currency"))
    required = Field(column_name=_("requirement"))
    cash = Field(column_name=_("cash paid in"))
    held = Field(column_name=_("held for claims"))
    available = Field(column_name=_("available cash"))
    guaranteed = Field(column_name=_("guarantees"))
    coverage = Field(column_name=_("coverage"))
    shortfall = Field(column_name=_("shortfall"))
    debt = Field(column_name=_("debt"))
    went_live_at = time_field("went_live_at", _("went live at"))

    class Meta:
        export_order = [
            "public_id",
            "name",
            "external_ref",
            "merchant",
            "status",
            "shop_type",
            "currency",
            "required",
            "cash",
            "held",
            "available",
            "guaranteed",
            "coverage",
            "shortfall",
            "debt",
            "went_live_at",
        ]

    def dehydrate_required(self, shop: Any) -> str:
        return _money(shop, "required_minor")

    def dehydrate_cash(self, shop: Any) -> str:
        return _money(shop, "posted_minor")

    def dehydrate_held(self, shop: Any) -> str:
        return _money(shop, "held_minor")

    def dehydrate_available(self, shop: Any) -> str:
        return _money(shop, "available_minor")

    def dehydrate_guaranteed(self, shop: Any) -> str:
        return _money(shop, "guaranteed_minor")

    def dehydrate_coverage(self, shop: Any) -> str:
        return _money(shop, "coverage_minor")

    def dehydrate_shortfall(self, shop: Any) -> str:
        return _money(shop, "shortfall_minor")

    def dehydrate_debt(self, shop: Any) -> str:
        return _money(shop, "debt_minor")

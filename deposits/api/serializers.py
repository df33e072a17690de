"""Explicit input and output serializers for the shop, deposit, ledger and hold endpoints.

Outputs are built by deposits.api.representations; the output serializers here declare those
shapes for the OpenAPI schema (and are what drf-spectacular documents)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from common.money import CURRENCY_EXPONENTS
from deposits.models import Entry, Hold, TransactionKind
from partners.api.fields import (
    AmountField,
    AwareDateTimeField,
    InputSerializer,
    StrictBooleanField,
    StrictCharField,
)
from shops.models import RestrictionKind, ShopStatus, ShopType, TrademarkStatus

CURRENCIES = list(CURRENCY_EXPONENTS)
MAX_HOLD_HORIZON = timedelta(days=5 * 366)


def _currency_field(**kwargs: Any) -> serializers.ChoiceField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("default", "CNY")
    kwargs.setdefault("help_text", "ISO 4217; must be the deposit's currency. Default CNY.")
    return serializers.ChoiceField(choices=CURRENCIES, **kwargs)


def _text(max_length: int, *, required: bool = True, help_text: str = "") -> StrictCharField:
    if required:
        return StrictCharField(max_length=max_length, help_text=help_text)
    return StrictCharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


# --- Inputs -----------------------------------------------------------------------------------


class MerchantInput(InputSerializer):
    email = serializers.EmailField(max_length=254)
    name = _text(200)


class ShopCreateInput(InputSerializer):
    external_ref = _text(100, help_text="Your own id for the shop; unique among your shops.")
    name = _text(200)
    shop_type = serializers.ChoiceField(choices=ShopType.values)
    trademark_status = serializers.ChoiceField(choices=TrademarkStatus.values)
    categories = serializers.ListField(
        child=StrictCharField(max_length=40),
        min_length=1,
        max_length=50,
        # DRF's own words are "Ensure this field has at least 1 elements."
        error_messages={
            "min_length": "Give at least one category code.",
            "max_length": "Give at most {max_length} category codes.",
        },
        help_text=(
            "Category codes: apparel, jewelry, shoes_bags, home_furnishing, digital_3c, "
            "home_appliances, food, books_media, services, education, medical_services, "
            "health_supplements (docs/api.md, 'Shops: categories')."
        ),
    )
    merchant = MerchantInput()
    currency = _currency_field(help_text="The deposit's currency, fixed at creation. Default CNY.")


class ShopListQuery(serializers.Serializer):  # unknown names: PartnerAPIView.initial
    status = serializers.ChoiceField(choices=ShopStatus.values, required=False)
    external_ref = StrictCharField(max_length=100, required=False)


class TopUpInput(InputSerializer):
    amount_minor = AmountField()
    currency = _currency_field()
    payment_ref = _text(200, help_text="The payment provider's reference; credits once.")


class DeductionInput(InputSerializer):
    amount_minor = AmountField()
    currency = _currency_field()
    reason = _text(300, help_text="Why, in words the merchant will read (e.g. 延迟发货赔付).")
    reference = _text(200, help_text="What it pays for: order, claim, …")
    allow_debt = StrictBooleanField(
        required=False,
        default=False,
        help_text=(
            "Deduct what is available and record the rest as the merchant's debt instead of "
            "refusing with insufficient_funds."
        ),
    )


class WithdrawalInput(InputSerializer):
    amount_minor = AmountField()
    currency = _currency_field()


class HoldPlaceInput(InputSerializer):
    amount_minor = AmountField()
    currency = _currency_field()
    reason = _text(300, help_text="What the hold is for (the claim).")
    reference = _text(200, help_text="The claim or order it reserves for.")
    expires_at = AwareDateTimeField(
        help_text="When an unresolved hold is released by itself; in the future, within 5 years."
    )

    def validate_expires_at(self, value: Any) -> Any:
        now = timezone.now()
        if value <= now:
            raise serializers.ValidationError("Must be in the future.")
        if value > now + MAX_HOLD_HORIZON:
            raise serializers.ValidationError("Must be within 5 years.")
        return value


class HoldCaptureInput(InputSerializer):
    amount_minor = AmountField(
        required=False,
        help_text="How much to pay out (at most the held amount; default all); the rest is "
        "released.",
    )


class HoldReleaseInput(InputSerializer):
    pass


class HoldListQuery(serializers.Serializer):  # unknown names: PartnerAPIView.initial
    status = serializers.ChoiceField(choices=Hold.Status.values, required=False)


# --- Outputs (schema) -------------------------------------------------------------------------


class DepositOutput(serializers.Serializer):
    currency = serializers.ChoiceField(choices=CURRENCIES)
    required_minor = serializers.IntegerField()
    posted_minor = serializers.IntegerField()
    held_minor = serializers.IntegerField()
    available_minor = serializers.IntegerField(help_text="posted − held")
    guaranteed_minor = serializers.IntegerField(help_text="Active guarantees (insurance).")
    debt_minor = serializers.IntegerField()
    shortfall_minor = serializers.IntegerField(
        help_text="max(0, required − available − guaranteed + debt)"
    )

    class Meta:
        ref_name = "Deposit"


class RestrictionOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RestrictionKind.values)
    reason = serializers.CharField()
    since = serializers.DateTimeField()
    lifts_when = serializers.CharField(help_text="What lifts it, in words.")

    class Meta:
        ref_name = "Restriction"


class ShopOutput(serializers.Serializer):
    id = serializers.UUIDField()
    external_ref = serializers.CharField()
    name = serializers.CharField()
    shop_type = serializers.ChoiceField(choices=ShopType.values)
    trademark_status = serializers.ChoiceField(choices=TrademarkStatus.values)
    categories = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=ShopStatus.values)
    restrictions = RestrictionOutput(many=True, help_text="Active restrictions only.")
    deposit = DepositOutput()
    created_at = serializers.DateTimeField()
    went_live_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Shop"


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    transaction_id = serializers.UUIDField(help_text="The ledger transaction it belongs to.")
    kind = serializers.ChoiceField(choices=TransactionKind.values)
    bucket = serializers.ChoiceField(
        choices=Entry.Bucket.values,
        help_text="POSTED: the deposit balance; DEBT: the merchant's debt (balance ≤ 0).",
    )
    amount_minor = serializers.IntegerField(help_text="Signed: credits positive.")
    balance_after_minor = serializers.IntegerField(allow_null=True)
    currency = serializers.ChoiceField(choices=CURRENCIES)
    reason = serializers.CharField()
    reference = serializers.CharField()
    occurred_at = serializers.DateTimeField()

    class Meta:
        ref_name = "Entry"


class WithdrawalPayoutOutput(serializers.Serializer):
    reference = serializers.CharField(
        help_text='The withdrawal\'s reference, e.g. "WD-2026-000123".'
    )
    status = serializers.ChoiceField(
        choices=["REQUESTED", "SENT", "PAID", "FAILED"], help_text="Where the payout stands."
    )
    bank_account_tail = serializers.CharField(
        help_text="Last four digits of the account it is paid to; empty when none is bound."
    )
    failure_reason = serializers.CharField(help_text="Why the payout failed; empty otherwise.")

    class Meta:
        ref_name = "WithdrawalPayout"


class WithdrawalPayoutInput(InputSerializer):
    status = serializers.ChoiceField(
        choices=["SENT", "PAID", "FAILED"],
        help_text="SENT: sent to the bank; PAID: credited; FAILED: it will not arrive (the "
        "amount goes back into the deposit).",
    )
    reason = StrictCharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why it failed, as the merchant should read it; required with FAILED.",
    )
    provider_ref = StrictCharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="Your own payout id.",
    )
    bank_account_tail = StrictCharField(
        max_length=4,
        required=False,
        allow_blank=True,
        default="",
        help_text="Last four digits of the account paid to (with SENT).",
    )

    def validate(self, attrs: dict) -> dict:  # type: ignore[type-arg]
        if attrs["status"] == "FAILED" and not attrs.get("reason", "").strip():
            raise serializers.ValidationError({"reason": ["Say why the payout failed."]})
        return attrs


class WithdrawalOutput(serializers.Serializer):
    reference = serializers.CharField()
    shop = serializers.UUIDField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=["REQUESTED", "SENT", "PAID", "FAILED"])
    bank_account_tail = serializers.CharField()
    provider_ref = serializers.CharField()
    failure_reason = serializers.CharField()
    requested_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Withdrawal"


class WithdrawalPostingOutput(serializers.Serializer):
    entry = EntryOutput(allow_null=True, help_text="The deposit's WITHDRAWAL entry.")
    deposit = DepositOutput()
    withdrawal = WithdrawalPayoutOutput(help_text="The payout of this withdrawal.")

    class Meta:
        ref_name = "WithdrawalPosting"


class PostingOutput(serializers.Serializer):
    entry = EntryOutput(
        allow_null=True,
        help_text="The deposit's entry; null when a deduction with allow_debt found nothing "
        "available (the debt grew instead).",
    )
    deposit = DepositOutput()

    class Meta:
        ref_name = "Posting"


class HoldOutput(serializers.Serializer):
    id = serializers.UUIDField()
    shop = serializers.UUIDField()
    amount_minor = serializers.IntegerField()
    captured_minor = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    status = serializers.ChoiceField(choices=Hold.Status.values)
    reason = serializers.CharField()
    reference = serializers.CharField()
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)

    class Meta:
        ref_name = "Hold"

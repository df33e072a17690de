"""Explicit input and output serializers for the insurance endpoints (api-v1.md, "Performance
insurance"). Outputs are built by insurance.api.representations; these declare the shapes for the
OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from common.money import CURRENCY_EXPONENTS
from insurance.models import ApplicationStatus, PolicyStatus, RecoveryStatus
from partners.api.fields import AmountField, InputSerializer, StrictCharField

CURRENCIES = list(CURRENCY_EXPONENTS)

# --- Inputs -----------------------------------------------------------------------------------


class QuoteCreateInput(InputSerializer):
    product = StrictCharField(
        max_length=40,
        required=False,
        help_text=(
            "The product's code (GET /api/v1/insurance/products/). Default perf-bond, or for a "
            "renewal the renewed policy's product."
        ),
    )
    renews = serializers.UUIDField(
        required=False,
        help_text=(
            "Renewal: the id of the shop's policy in force whose next term this quote prices "
            "(from 30 days before its end). The term then starts the day after it ends."
        ),
    )


class ApplicationSubmitInput(InputSerializer):
    quote = serializers.UUIDField(help_text="The id of an eligible, unexpired quote of the shop.")


class ApplicationAcceptInput(InputSerializer):
    policy_number = StrictCharField(max_length=64, help_text="Your policy number; unique for you.")


class ApplicationDeclineInput(InputSerializer):
    reason_code = serializers.RegexField(
        r"^[a-z][a-z0-9_]{0,59}$",
        help_text="Your own snake_case reason code, e.g. abnormal_operation, overdue_loans.",
    )
    detail = StrictCharField(max_length=1000, help_text="A sentence the merchant is shown.")


class ApplicationListQuery(serializers.Serializer):  # unknown names: PartnerAPIView.initial
    status = serializers.ChoiceField(choices=ApplicationStatus.values, required=False)


class EmptyInput(InputSerializer):
    pass


class PremiumPaymentInput(InputSerializer):
    amount_minor = AmountField(help_text="Minor units; at most the premium still outstanding.")
    currency = serializers.ChoiceField(
        choices=CURRENCIES, default="CNY", help_text="The policy's currency."
    )
    payment_ref = StrictCharField(
        max_length=200, help_text="The payment provider's reference; credits once."
    )


class RepaymentInput(InputSerializer):
    amount_minor = AmountField(help_text="Minor units; at most the recovery's outstanding amount.")
    currency = serializers.ChoiceField(
        choices=CURRENCIES, help_text="ISO 4217; must be the recovery's currency."
    )
    payment_ref = StrictCharField(
        max_length=100, help_text="The payment provider's reference; credits once."
    )


# --- Outputs (schema) -------------------------------------------------------------------------


class ProductOutput(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    insurer = serializers.CharField(allow_null=True, help_text="The insurer's name; null: unset.")
    premium_rate_bps = serializers.IntegerField(help_text="Premium a year, in basis points.")
    coverage_share_bps = serializers.IntegerField(help_text="Share of the requirement covered.")
    term_days = serializers.IntegerField()
    recovery_days = serializers.IntegerField()
    categories = serializers.ListField(child=serializers.CharField())
    effective_from = serializers.DateTimeField()


class ReasonOutput(serializers.Serializer):
    code = serializers.CharField(
        help_text=(
            "shop_closed, no_requirement, category_not_eligible, not_new_or_trend_or_stable, "
            "counterfeit_award_recent."
        )
    )
    detail = serializers.CharField(help_text="In the request's language (Accept-Language).")
    detail_en = serializers.CharField()
    detail_zh = serializers.CharField()


class QuoteOutput(serializers.Serializer):
    id = serializers.UUIDField()
    shop = serializers.UUIDField()
    product = serializers.CharField()
    eligible = serializers.BooleanField()
    reasons = ReasonOutput(many=True)
    requirement_minor = serializers.IntegerField()
    coverage_minor = serializers.IntegerField()
    premium_minor = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    starts_on = serializers.DateField(help_text="If the premium were paid in full today.")
    ends_on = serializers.DateField()
    valid_until = serializers.DateTimeField()
    day_count = serializers.CharField(help_text="Always ACT/365.")
    cash_required_minor = serializers.IntegerField(
        help_text="Cash the deposit must still hold with the policy active."
    )
    computation = serializers.CharField(help_text="The arithmetic in words.")
    created_at = serializers.DateTimeField()
    renews = serializers.UUIDField(
        allow_null=True, help_text="The policy this quote renews; null for a first policy."
    )


class PolicyOutput(serializers.Serializer):
    id = serializers.UUIDField()
    shop = serializers.UUIDField()
    product = serializers.CharField()
    policy_number = serializers.CharField()
    status = serializers.ChoiceField(choices=PolicyStatus.values)
    coverage_minor = serializers.IntegerField()
    limit_remaining_minor = serializers.IntegerField()
    premium_minor = serializers.IntegerField()
    premium_paid_minor = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True)
    premium_due_at = serializers.DateTimeField(
        help_text="An unpaid premium by then cancels the policy and expires the application."
    )
    refund_minor = serializers.IntegerField(
        allow_null=True, help_text="The premium refunded on surrender; null unless SURRENDERED."
    )
    renews = serializers.UUIDField(
        allow_null=True, help_text="The policy whose next term this one is; null for a first."
    )
    renewed_by = serializers.UUIDField(
        allow_null=True, help_text="The paid renewal of this policy (its next term), if any."
    )
    in_force = serializers.BooleanField(
        help_text=(
            "ACTIVE and today (Asia/Shanghai) within the term. A renewal paid ahead is ACTIVE "
            "but not in force until its starts_on, the day after the renewed policy ends."
        )
    )


class SurrenderReasonOutput(serializers.Serializer):
    code = serializers.CharField(
        help_text="recoveries_outstanding, would_cause_shortfall or invalid_state."
    )
    detail = serializers.CharField()


class SurrenderQuoteOutput(serializers.Serializer):
    allowed = serializers.BooleanField()
    reasons = SurrenderReasonOutput(many=True)
    refund_minor = serializers.IntegerField(
        help_text="premium − coverage × rate × used_days / 365, rounded half up."
    )
    used_days = serializers.IntegerField(
        help_text="The start day through today (Asia/Shanghai), both included."
    )
    term_days = serializers.IntegerField()
    outstanding_recoveries_minor = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    surrender_on = serializers.DateField(help_text="Today, Asia/Shanghai.")
    computation = serializers.CharField(help_text="The refund's arithmetic in words.")
    computation_zh = serializers.CharField()


class ApplicationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    quote = serializers.UUIDField()
    shop = serializers.UUIDField()
    product = serializers.CharField()
    status = serializers.ChoiceField(choices=ApplicationStatus.values)
    coverage_minor = serializers.IntegerField()
    premium_minor = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    submitted_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decline_reason_code = serializers.CharField(allow_null=True)
    decline_detail = serializers.CharField(allow_null=True)
    policy = PolicyOutput(allow_null=True)
    renews = serializers.UUIDField(
        allow_null=True, help_text="The policy this application renews; null for a first policy."
    )


class RecoverySummaryOutput(serializers.Serializer):
    id = serializers.UUIDField()
    due_on = serializers.DateField(help_text="The advance's date (Asia/Shanghai) + recovery_days.")
    due_at = serializers.DateTimeField(help_text="Overdue from: 00:00 Shanghai after due_on.")
    amount_minor = serializers.IntegerField()
    outstanding_minor = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RecoveryStatus.choices)


class AdvanceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    policy = serializers.UUIDField()
    claim = serializers.CharField(help_text="The claim's reference.")
    amount_minor = serializers.IntegerField(help_text="What the insurer advanced.")
    requested_minor = serializers.IntegerField(help_text="What the claim asked for.")
    uncovered_minor = serializers.IntegerField(help_text="Beyond the limit: cash, then debt.")
    currency = serializers.CharField()
    advanced_at = serializers.DateTimeField()
    recovery = RecoverySummaryOutput()


class RepaymentOutput(serializers.Serializer):
    amount_minor = serializers.IntegerField()
    payment_ref = serializers.CharField()
    repaid_at = serializers.DateTimeField()


class RecoveryOutput(RecoverySummaryOutput):
    advance = serializers.UUIDField()
    policy = serializers.UUIDField()
    claim = serializers.CharField()
    currency = serializers.CharField()
    overdue_at = serializers.DateTimeField(allow_null=True)
    repaid_at = serializers.DateTimeField(allow_null=True)
    repayments = RepaymentOutput(many=True)

"""Explicit input and output serializers for the claims endpoints (api-v1.md "Claims"). Outputs
are built by claims.services.claim_data; these declare the shapes for the OpenAPI schema."""

from __future__ import annotations

from rest_framework import serializers

from claims.models import ClaimStatus, FundingSource, Outcome, Reason, ReturnedTo
from claims.models.claims import APPEAL_OUTCOME_CHOICES
from common.money import CURRENCY_EXPONENTS
from partners.api.fields import AmountField, AwareDateTimeField, InputSerializer, StrictCharField

CURRENCIES = list(CURRENCY_EXPONENTS)


class OrderInput(InputSerializer):
    ref = StrictCharField(max_length=100, help_text="The marketplace's order number.")
    paid_minor = AmountField(help_text="What the consumer paid, in minor units.")
    currency = serializers.ChoiceField(choices=CURRENCIES, default="CNY")
    paid_at = AwareDateTimeField()
    shipped_at = AwareDateTimeField(allow_null=True, help_text="null: not shipped.")


class ConsumerInput(InputSerializer):
    ref = StrictCharField(max_length=100, help_text="The marketplace's id for the consumer.")


class ClaimFileInput(InputSerializer):
    external_ref = StrictCharField(max_length=100, help_text="Your reference; unique for you.")
    shop = serializers.UUIDField(help_text="The shop's id.")
    reason = serializers.ChoiceField(choices=Reason.values)
    order = OrderInput()
    consumer = ConsumerInput()
    description = StrictCharField(max_length=5000)
    requested_minor = AmountField(
        required=False, allow_null=True, help_text="What the consumer asks for (optional)."
    )


class NoteInput(InputSerializer):
    note = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)


class ClaimDecisionInput(InputSerializer):
    outcome = serializers.ChoiceField(choices=Outcome.values)
    amount_minor = AmountField(
        required=False,
        allow_null=True,
        help_text=(
            "Optional for UPHELD when the rule gives an amount; required for PARTLY_UPHELD and "
            "for reasons the rule leaves to ops; absent for REJECTED."
        ),
    )
    note = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)


class AppealInput(InputSerializer):
    note = StrictCharField(
        max_length=5000, help_text="The merchant's grounds for the appeal, relayed by you."
    )


class AppealDecisionInput(InputSerializer):
    outcome = serializers.ChoiceField(
        choices=APPEAL_OUTCOME_CHOICES,
        help_text="UPHELD: the appeal succeeds and the payout is reversed; REJECTED: it stands.",
    )
    note = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)


class ClaimListQuery(serializers.Serializer):  # unknown names: PartnerAPIView.initial
    status = serializers.ChoiceField(choices=ClaimStatus.values, required=False)
    shop = serializers.UUIDField(required=False)
    reason = serializers.ChoiceField(choices=Reason.values, required=False)


class OrderOutput(serializers.Serializer):
    ref = serializers.CharField()
    paid_minor = serializers.IntegerField()
    currency = serializers.ChoiceField(choices=CURRENCIES)
    paid_at = serializers.DateTimeField()
    shipped_at = serializers.DateTimeField(allow_null=True)


class ConsumerOutput(serializers.Serializer):
    ref = serializers.CharField()


class RuleOutput(serializers.Serializer):
    code = serializers.CharField(
        help_text="The reason and the version's start, e.g. LATE_SHIPMENT@2024-01-01."
    )
    kind = serializers.ChoiceField(choices=["RATE", "MULTIPLIER", "OPS_DECIDES"])
    computation = serializers.CharField(help_text="The arithmetic in words, in your language.")
    computation_en = serializers.CharField()
    computation_zh = serializers.CharField()


class FundingOutput(serializers.Serializer):
    source = serializers.ChoiceField(choices=FundingSource.values)
    amount_minor = serializers.IntegerField()
    transaction = serializers.UUIDField(help_text="The ledger transaction that moved it.")


class DeadlinesOutput(serializers.Serializer):
    respond_by = serializers.DateTimeField(
        allow_null=True, help_text="The current deadline: whoever `party` names acts by then."
    )
    kind = serializers.ChoiceField(
        choices=["respond", "evidence", "decide", "appeal"],
        allow_null=True,
        help_text="Which deadline runs: the merchant's answer, the evidence windows, the "
        "platform's review target (4 working days), the merchant's appeal.",
    )
    at_local = serializers.CharField(
        allow_null=True, help_text="The same moment in Asia/Shanghai, as people read it."
    )
    party = serializers.ChoiceField(
        choices=["MERCHANT", "CONSUMER", "BOTH", "PLATFORM"], allow_null=True
    )
    consequence = serializers.CharField(
        allow_null=True, help_text="What happens when it passes, in the request's language."
    )
    consequence_en = serializers.CharField(allow_null=True)
    consequence_zh = serializers.CharField(allow_null=True)
    consumer_evidence_by = serializers.DateTimeField(allow_null=True)
    merchant_evidence_by = serializers.DateTimeField(allow_null=True)
    evidence_closed_at = serializers.DateTimeField(allow_null=True)
    decide_by = serializers.DateTimeField(allow_null=True)
    appeal_by = serializers.DateTimeField(allow_null=True)


class ReversalEntryOutput(serializers.Serializer):
    source = serializers.ChoiceField(
        choices=FundingSource.values, help_text="Which part of the funding this gives back."
    )
    returned_to = serializers.ChoiceField(
        choices=ReturnedTo.values,
        help_text=(
            "DEPOSIT: credited to the deposit; DEBT_CANCELLED: the merchant's debt cancelled; "
            "INSURER: back to the insurer, the recovery cancelled."
        ),
    )
    amount_minor = serializers.IntegerField()
    transaction = serializers.UUIDField(help_text="The new ledger transaction that moved it.")


class ReversalOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    amount_minor = serializers.IntegerField(help_text="The whole award given back.")
    entries = ReversalEntryOutput(many=True)


class TimelineOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.ChoiceField(choices=["PARTNER", "MERCHANT", "OPS", "SYSTEM"])
    actor_label = serializers.CharField()
    action = serializers.CharField()
    note = serializers.CharField()


class EvidenceInput(InputSerializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service refuses it with the contract's message
        max_length=1000,
        help_text="JPEG, PNG, GIF or PDF (judged by content), at most 5 MiB.",
    )
    note = StrictCharField(max_length=2000, required=False, default="", allow_blank=True)


class EvidenceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    party = serializers.ChoiceField(choices=["CONSUMER", "MERCHANT", "OPS"])
    filename = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    sha256 = serializers.CharField(help_text="SHA-256 of the stored bytes, hex.")
    note = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class ClaimOutput(serializers.Serializer):
    id = serializers.UUIDField()
    external_ref = serializers.CharField()
    shop = serializers.UUIDField()
    reason = serializers.ChoiceField(choices=Reason.values)
    status = serializers.ChoiceField(choices=ClaimStatus.values)
    outcome = serializers.ChoiceField(choices=Outcome.values, allow_null=True)
    order = OrderOutput()
    consumer = ConsumerOutput()
    description = serializers.CharField()
    requested_minor = serializers.IntegerField(allow_null=True)
    compensation_minor = serializers.IntegerField(
        help_text="Before a decision: the estimate; after: what was awarded."
    )
    currency = serializers.ChoiceField(choices=CURRENCIES)
    rule = RuleOutput()
    funding = FundingOutput(many=True)
    hold = serializers.UUIDField(
        allow_null=True, help_text="The deposit hold placed at escalation."
    )
    deadlines = DeadlinesOutput()
    timeline = TimelineOutput(many=True)
    filed_at = serializers.DateTimeField()
    escalated_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    appealed_at = serializers.DateTimeField(allow_null=True)
    appeal_note = serializers.CharField(help_text="The merchant's grounds; empty until appealed.")
    appeal_outcome = serializers.ChoiceField(choices=APPEAL_OUTCOME_CHOICES, allow_null=True)
    closed_at = serializers.DateTimeField(
        allow_null=True, help_text="The appeal decided, or its window over."
    )
    reversed = ReversalOutput(
        allow_null=True, help_text="Set when an upheld appeal reversed the payout."
    )
    evidence = EvidenceOutput(
        many=True, help_text="Every side's files, oldest first (beyond the fixed fields)."
    )

"""Columns of the claims export (a django-import-export Resource): each claim with its decision,
its award and its appeal. Exported from the filtered claims list (shops.admin_exports); amounts
are decimal strings in major units beside the claim's currency. The consumer's own words (the
description) go out as text: common.tabular neutralises a cell that a spreadsheet would read as
a formula."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from import_export.fields import Field
from import_export.resources import Resource

from claims.models import APPEAL_OUTCOME_CHOICES, Actor, ClaimStatus, Outcome, Reason
from common.exports import MoneyField, choice_field, text_field, time_field


class ClaimDecisionResource(Resource):
    external_ref = text_field("external_ref", _("partner's reference"))
    public_id = text_field("public_id", _("claim id"))
    shop = text_field("shop__name", _("shop"))
    reason = choice_field("reason", Reason.choices, _("reason"))
    status = choice_field("status", ClaimStatus.choices, _("status"))
    order_ref = text_field("order_ref", _("order reference"))
    consumer_ref = text_field("consumer_ref", _("consumer reference"))
    currency = text_field("currency", _("currency"))
    order_paid = MoneyField(attribute="order_paid_minor", column_name=_("order paid"))
    requested = MoneyField(attribute="requested_minor", column_name=_("requested"))
    compensation = MoneyField(attribute="compensation_minor", column_name=_("compensation"))
    filed_at = time_field("filed_at", _("filed at"))
    escalated_at = time_field("escalated_at", _("escalated at"))
    outcome = choice_field("outcome", Outcome.choices, _("outcome"))
    decided_at = time_field("decided_at", _("decided at"))
    decided_by = Field(column_name=_("decided by"))
    appealed_at = time_field("appealed_at", _("appealed at"))
    appeal_outcome = choice_field("appeal_outcome", APPEAL_OUTCOME_CHOICES, _("appeal outcome"))
    closed_at = time_field("closed_at", _("closed at"))
    description = text_field("description", _("description"))

    class Meta:
        export_order = [
            "external_ref",
            "public_id",
            "shop",
            "reason",
            "status",
            "order_ref",
            "consumer_ref",
            "currency",
            "order_paid",
            "requested",
            "compensation",
            "filed_at",
            "escalated_at",
            "outcome",
            "decided_at",
            "decided_by",
            "appealed_at",
            "appeal_outcome",
            "closed_at",
            "description",
        ]

    def dehydrate_decided_by(self, claim: Any) -> str:
        # Annotated by claims.selectors.with_decision_maker: the person or key by name, else
        # which side decided (a partner's call, the automatic rule).
        label = getattr(claim, "decided_by", None)
        kind = getattr(claim, "decided_by_kind", None)
        if label:
            return label
        return str(Actor(kind).label) if kind in Actor.values else ""

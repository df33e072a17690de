"""Shortfall enforcement: the ladder, the cases with the steps they applied, and the ops review
queue. Cases and reviews move only through the actions (services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from common.admin import (
    OPERATE,
    ActionCall,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ReasonActionForm,
    apply_to_each,
    money_column,
    service_action,
)
from deposits import services
from deposits.models import ShortfallCase, ShortfallLadderStep, ShortfallReview, ShortfallStep
from deposits.selectors import SHORTFALL_AGE_BUCKETS, shortfall_age_filter


@admin.register(ShortfallLadderStep)
class ShortfallLadderStepAdmin(ModelAdmin):
    """The enforcement ladder. A case keeps the plan it opened with: edits apply to new cases."""

    list_display = [
        "code",
        "delay",
        "action",
        "restriction_kind",
        "reminder_lead",
        "is_active",
        "position",
        "updated_at",
    ]
    # No list_editable: switching a rung off from the list took no reason and said nothing about
    # open cases; it is done on the step's page, which says what the change applies to.
    list_filter = ["action", "is_active"]
    search_fields = ["code", "note"]
    fields = [
        "code",
        "position",
        "delay",
        "action",
        "restriction_kind",
        "reminder_lead",
        "is_active",
        "note",
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a rung is switched off (audited), never deleted

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.ladder_step_save(step=obj, actor=request.user, changed_fields=form.changed_data)
        messages.info(
            request,
            _(
                "Open shortfall cases keep their deadlines; the change applies to cases "
                "opened from now on."
            ),
        )


class ShortfallStepInline(ReadOnlyInline):
    model = ShortfallStep
    fields = [
        "position",
        "code",
        "action",
        "restriction_kind",
        "due_at",
        "applied_at",
        "restriction_record",
    ]
    verbose_name_plural = _("Steps applied")

    # The model names both the kind and the row "restriction"; two columns with one heading
    # left ops guessing which was which.
    @admin.display(description=_("restriction record"))
    def restriction_record(self, step: ShortfallStep) -> str:
        return str(step.restriction) if step.restriction_id else "—"


class OpenForFilter(admin.SimpleListFilter):
    """How long a case has been open (the ops overview's age buckets)."""

    title = _("open for")
    parameter_name = "age"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("7d", _("Less than 7 days")),
            ("30d", _("7 to 30 days")),
            ("90d", _("30 to 90 days")),
            ("older", _("More than 90 days")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in SHORTFALL_AGE_BUCKETS:
            return queryset.filter(shortfall_age_filter(self.value(), now=timezone.now()))
        return queryset


@admin.register(ShortfallCase)
class ShortfallCaseAdmin(ReadOnlyAdmin):
    """Opened by the scan, moved by its steps; ops act through the two actions."""

    list_display = [
        "id",
        "shop",
        "status",
        "shortfall_now",
        "opened_at",
        "step",
        "next_due_at",
        "resolved_at",
        "resolution",
    ]
    list_filter = ["status", OpenForFilter, "resolution", "step", "opened_at"]
    search_fields = ["shop__name", "shop__external_ref", "shop__public_id"]
    list_select_related = ["shop"]
    date_hierarchy = "opened_at"
    readonly_fields = [
        "shop",
        "account",
        "status",
        "currency",
        "opened_at",
        "announced_at",
        "amount_at_open",
        "amount_now",
        "required_at_open",
        "available_at_open",
        "posted_at_open",
        "guaranteed_at_open",
        "debt_at_open",
        "deadlines",
        "step",
        "next_due_at",
        "next_reminder_at",
        "resolved_at",
        "resolution",
        "resolution_note",
        "resolved_by",
    ]
    fields = readonly_fields
    shortfall_now = money_column("amount_minor", _("shortfall"))
    amount_at_open = money_column("amount_at_open_minor", _("shortfall at opening"))
    amount_now = money_column("amount_minor", _("shortfall now"))
    required_at_open = money_column("required_at_open_minor", _("required at opening"))
    available_at_open = money_column("available_at_open_minor", _("available at opening"))
    posted_at_open = money_column("posted_at_open_minor", _("paid in at opening"))
    guaranteed_at_open = money_column("guaranteed_at_open_minor", _("guaranteed at opening"))
    debt_at_open = money_column("debt_at_open_minor", _("debt at opening"))
    inlines = [ShortfallStepInline]
    action_form = ReasonActionForm
    actions = ["evaluate_now", "resolve_by_hand"]

    @admin.display(description=_("plan (deadlines fixed at opening)"))
    def deadlines(self, case: ShortfallCase) -> str:
        rows = [
            format_html(
                "<li>{} {} — {}{}</li>",
                "✓" if item["position"] < case.step else "·",
                # In the page's time zone and format, like every other time on it (the plan
                # keeps its moments as UTC text).
                date_format(
                    timezone.localtime(datetime.fromisoformat(item["due_at"])), "DATETIME_FORMAT"
                ),
                item["code"],
                f" ({item['kind']})" if item.get("kind") else "",
            )
            for item in case.plan
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((row,) for row in rows)))

    @admin.action(
        description=_("Evaluate now (apply what is due, resolve if restored)"), permissions=OPERATE
    )
    def evaluate_now(self, request: HttpRequest, queryset: QuerySet[ShortfallCase]) -> None:
        apply_to_each(
            request,
            queryset,
            lambda case: str(
                services.shortfall_evaluate(
                    shop_id=case.shop_id, now=timezone.now(), actor=request.user
                ).resolved
                or _("evaluated")
            ),
        )

    resolve_by_hand = service_action(
        _(
            "Resolve by hand, lifting its restrictions — reason required (a new case opens "
            "if the deposit is still short)"
        ),
        done=_("resolved"),
        call=lambda case, act: services.shortfall_case_resolve_by_ops(
            case_id=case.pk, note=act.reason, actor=act.actor, now=act.now
        ),
    )


@admin.register(ShortfallStep)
class ShortfallStepAdmin(ReadOnlyAdmin):
    list_display = ["case", "code", "action", "restriction_kind", "due_at", "applied_at"]
    list_filter = ["code", "action", "applied_at"]
    search_fields = ["case__shop__name", "case__shop__external_ref"]
    list_select_related = ["case__shop"]


@admin.register(ShortfallReview)
class ShortfallReviewAdmin(ReadOnlyAdmin):
    """The ops review queue: shops short for 30 days. Closure is never automatic: decide here,
    then freeze or start the exit from the shop's page."""

    list_display = ["shop", "status", "opened_at", "shortfall_now", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["shop__name", "shop__external_ref", "decision_note"]
    list_select_related = ["shop", "case", "decided_by"]
    readonly_fields = [f.name for f in ShortfallReview._meta.fields]
    shortfall_now = money_column("case.amount_minor", _("shortfall"), currency="case.currency")
    action_form = ReasonActionForm
    actions = ["keep_enforcing", "start_closure"]

    keep_enforcing = service_action(
        _("Keep the shop, keep enforcing — reason required"),
        done=_("decided"),
        call=lambda review, act: _decide(review, act, ShortfallReview.Status.CONTINUE),
    )
    start_closure = service_action(
        _("Closure to be started (by hand, via the exit) — reason required"),
        done=_("decided"),
        call=lambda review, act: _decide(review, act, ShortfallReview.Status.CLOSURE),
    )


def _decide(review: ShortfallReview, act: ActionCall, decision: str) -> object:
    return services.shortfall_review_decide(
        review_id=review.pk, decision=decision, note=act.reason, actor=act.actor, now=act.now
    )

"""The ops queue and the four-eyes list (issue 13, item 9).

"Claims queue": claims waiting on ops (in review, appealed), nearest deadline first (the review's
`decide_by`, an appeal's decision target), overdue ones marked with the absolute local time they
fell due; filters by status, reason, overdue, shop and four-eyes; search by references. Each row
opens the claim's own page, where ops decide.

"Decisions waiting for a second person": the four-eyes requests, approved or rejected through
claims.services by a user with `claims.approve_claim_decision` (never the maker).

Staff who may view claims see both read-only; acting needs the permissions (claims.admin_ops).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from claims import admin_panel, ops_selectors
from claims import services as claim_services
from claims.admin_panel import APPROVE_PERMISSION, local_time
from claims.models import ClaimDecisionRequest, QueuedClaim
from common.admin import ReadOnlyAdmin, ReasonActionForm, money_column, service_action


def _may_view_claims(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm("claims.view_claim"))


class QueueStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(s.value, s.label) for s in ops_selectors.QUEUE_STATUSES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(status=self.value()) if self.value() else queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(
                ops_selectors.overdue_filter(now=admin_panel.clock(), overdue=self.value() == "yes")
            )
        return queryset


class DueFilter(admin.SimpleListFilter):
    """Time to the deadline, as the ops overview counts it (ops_selectors.DUE_BUCKETS)."""

    title = _("deadline")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("overdue", _("Overdue")),
            ("24h", _("Due within 24 hours")),
            ("3d", _("Due in 1 to 3 days")),
            ("later", _("Due in more than 3 days")),
            ("none", _("No deadline")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ops_selectors.DUE_BUCKETS:
            return queryset.filter(
                ops_selectors.due_bucket_filter(self.value(), now=admin_panel.clock())
            )
        return queryset


class FourEyesFilter(admin.SimpleListFilter):
    title = _("four-eyes")
    parameter_name = "four_eyes"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("waiting", _("Waiting for a second person")),
            ("above", _("Estimate above the four-eyes amount")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "waiting":
            return queryset.filter(awaiting_second_person=True)
        if self.value() == "above":
            return queryset.filter(compensation_minor__gt=ops_selectors.four_eyes_above_minor())
        return queryset


@admin.register(QueuedClaim)
class QueuedClaimAdmin(ReadOnlyAdmin):
    list_display = [
        "due",
        "external_ref",
        "status",
        "reason",
        "shop_name",
        "estimate",
        "four_eyes",
        "order_ref",
        "consumer_ref",
    ]
    list_display_links = ["external_ref"]
    list_filter = [QueueStatusFilter, "reason", OverdueFilter, DueFilter, "shop", FourEyesFilter]
    search_fields = [
        "external_ref",
        "order_ref",
        "consumer_ref",
        "shop__name",
        "shop__external_ref",
    ]
    list_select_related = ["shop"]
    list_per_page = 50
    estimate = money_column("compensation_minor", _("estimate"))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return ops_selectors.claims_queue(super().get_queryset(request), now=admin_panel.clock())

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Nearest deadline first; a claim without one (none so far) last.
        return [F("queue_due").asc(nulls_last=True), "pk"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_view_claims(request) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view_claims(request) or super().has_module_permission(request)

    @admin.display(description=_("deadline"), ordering="queue_due")
    def due(self, claim: Any) -> str:
        if claim.queue_due is None:
            return "—"
        if claim.queue_overdue:
            return format_html(
                '<span class="queue-overdue" style="display:inline-block;max-width:15rem;'
                "background:#b91c1c;color:#fff;border-radius:.75rem;padding:.1rem .6rem;"
                'font-weight:600">{}</span>',
                _("overdue since %(at)s") % {"at": local_time(claim.queue_due)},
            )
        return format_html(
            '<span style="white-space:nowrap">{}</span>', local_time(claim.queue_due)
        )

    @admin.display(description=_("shop"), ordering="shop__name")
    def shop_name(self, claim: Any) -> str:
        return claim.shop.name

    @admin.display(description=_("four-eyes"), boolean=False)
    def four_eyes(self, claim: Any) -> str:
        if claim.awaiting_second_person:
            return str(_("waiting for a second person"))
        if claim.compensation_minor > ops_selectors.four_eyes_above_minor():
            return str(_("needed"))
        return ""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        # A queued claim is a claim: ops work it on the claim's own page.
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[object_id]))


@admin.register(ClaimDecisionRequest)
class ClaimDecisionRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "claim_link",
        "outcome",
        "award",
        "status",
        "maker",
        "made",
        "expires",
        "checker",
        "check_note",
    ]
    list_filter = ["status", "why"]
    search_fields = ["subject_label", "maker__username", "reason"]
    list_select_related = ["maker", "checker"]
    action_form = ReasonActionForm
    actions = ["approve", "reject"]
    award = money_column("award_minor", _("award"))

    @admin.display(description=_("claim"), ordering="subject_label")
    def claim_link(self, obj: ClaimDecisionRequest) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:claims_claim_change", args=[obj.claim_id]),
            obj.subject_label,
        )

    @admin.display(description=_("made at"), ordering="made_at")
    def made(self, obj: ClaimDecisionRequest) -> str:
        return local_time(obj.made_at)

    @admin.display(description=_("expires at"), ordering="expires_at")
    def expires(self, obj: ClaimDecisionRequest) -> str:
        return local_time(obj.expires_at)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _may_view_claims(request) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _may_view_claims(request) or super().has_module_permission(request)

    def has_approve_decision_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(APPROVE_PERMISSION)

    approve = service_action(
        _("Approve and carry out (a different person than the maker)"),
        done=_("approved and carried out"),
        reason_required=False,
        call=lambda r, act: claim_services.claim_decision_approve(
            request_id=r.pk, checker=act.actor, now=act.now, note=act.reason
        ),
    )
    approve.allowed_permissions = ("approve_decision",)  # type: ignore[attr-defined]
    reject = service_action(
        _("Reject — reason required"),
        done=_("rejected"),
        call=lambda r, act: claim_services.claim_decision_reject(
            request_id=r.pk, checker=act.actor, now=act.now, note=act.reason
        ),
    )
    reject.allowed_permissions = ("approve_decision",)  # type: ignore[attr-defined]

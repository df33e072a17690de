"""Ops screen of the four-eyes mechanism: every request of every kind in one list.

Filters by state, action and maker, and "waiting for me" (pending requests this user may approve
and did not make: approvals.selectors.requests_waiting_for, which the overview page counts).
Approve and reject are actions with the action bar's reason; the services check again that the
checker is not the maker and holds the kind's permission (approvals.registry).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from approvals import registry, selectors, services
from approvals.models import FourEyesRequest, RequestStatus
from common.admin import (
    ReadOnlyAdmin,
    ReasonActionForm,
    apply_to_each,
    money_text,
    service_action,
)

APPROVE_PERMISSION = "approvals.approve_request"


class WaitingForMeFilter(admin.SimpleListFilter):
    title = _("waiting for me")
    parameter_name = "waiting_for_me"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Waiting for me"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            waiting = selectors.requests_waiting_for(request.user).values("pk")
            return queryset.filter(pk__in=waiting)
        return queryset


class StatusNowFilter(admin.SimpleListFilter):
    """Status as of now: a PENDING request past its expiry is listed as expired before the
    sweep has written it, so opening the list (auditors included) writes nothing."""

    title = _("status")
    parameter_name = "status_now"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(RequestStatus.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        lapsed = Q(status=RequestStatus.PENDING, expires_at__lte=now)
        if self.value() == RequestStatus.PENDING:
            return queryset.filter(status=RequestStatus.PENDING, expires_at__gt=now)
        if self.value() == RequestStatus.EXPIRED:
            return queryset.filter(Q(status=RequestStatus.EXPIRED) | lapsed)
        return queryset.filter(status=self.value()) if self.value() else queryset


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(k.action, k.label) for k in registry.kinds()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(action=self.value()) if self.value() else queryset


def action_label(action: str) -> str:
    try:
        return str(registry.kind_of(action).label)
    except LookupError:
        return action


def payload_lines(obj: FourEyesRequest) -> list[tuple[str, str]]:
    """The payload as ops read it: the kind's own description, else each value, amounts (keys
    ending in _minor) as money."""
    try:
        describe = registry.kind_of(obj.action).describe
    except LookupError:
        describe = None
    if describe is not None:
        return [(str(label), text) for label, text in describe(obj)]
    lines = []
    for key, value in sorted((obj.payload or {}).items()):
        if key.endswith("_minor") and isinstance(value, int):
            text = money_text(value, obj.currency or "CNY")
        else:
            text = "—" if value in (None, "") else str(value)
        lines.append((key.removesuffix("_minor").replace("_", " "), text))
    return lines


@admin.register(FourEyesRequest)
class FourEyesRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "action_name",
        "subject_label",
        "amount",
        "status_now",
        "why",
        "maker",
        "made_at",
        "expires_at",
        "checker",
        "check_note",
    ]
    list_filter = [WaitingForMeFilter, StatusNowFilter, ActionFilter, "why", "maker"]
    search_fields = ["subject_label", "reason", "maker__username", "check_note"]
    list_select_related = ["maker", "checker"]
    action_form = ReasonActionForm
    actions = ["approve", "reject"]
    fields = [
        "action_name",
        "status_now",
        "why",
        "subject_label",
        "amount",
        "reason",
        "details",
        "maker",
        "made_at",
        "expires_at",
        "checker",
        "checked_at",
        "check_note",
        "result",
    ]
    readonly_fields = ["action_name", "status_now", "amount", "details"]

    @admin.display(description=_("no."), ordering="pk")
    def number(self, obj: FourEyesRequest) -> int:
        # The request's number, as ops cite it to each other ("approve no. 12").
        return obj.pk

    @admin.display(description=_("action"), ordering="action")
    def action_name(self, obj: FourEyesRequest) -> str:
        return action_label(obj.action)

    @admin.display(description=_("status"), ordering="status")
    def status_now(self, obj: FourEyesRequest) -> str:
        if obj.status == RequestStatus.PENDING and obj.expires_at <= timezone.now():
            return str(RequestStatus.EXPIRED.label)
        return obj.get_status_display()

    @admin.display(description=_("amount"), ordering="amount_minor")
    def amount(self, obj: FourEyesRequest) -> str:
        return money_text(obj.amount_minor, obj.currency) if obj.currency else "—"

    @admin.display(description=_("what will be carried out"))
    def details(self, obj: FourEyesRequest) -> str:
        return format_html_join("", "<div><strong>{}</strong>: {}</div>", payload_lines(obj))

    def has_approve_request_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(APPROVE_PERMISSION)

    @admin.action(
        description=_("Approve and carry out (a different person than the maker)"),
        permissions=["approve_request"],
    )
    def approve(self, request: HttpRequest, queryset: QuerySet[FourEyesRequest]) -> None:
        note = (request.POST.get("reason") or "").strip()
        now = timezone.now()

        def one(obj: FourEyesRequest) -> str:
            result = services.request_approve(
                request_id=obj.pk, checker=request.user, now=now, note=note
            )
            shown_once = getattr(result, "show_once", None)
            if shown_once:
                # A secret the executor made (a partner key): shown to the approver, once.
                messages.warning(request, shown_once)
            return str(_("approved and carried out"))

        apply_to_each(request, queryset, one)

    reject = service_action(
        _("Reject — reason required"),
        done=_("rejected"),
        call=lambda r, act: services.request_reject(
            request_id=r.pk, checker=act.actor, now=act.now, note=act.reason
        ),
    )
    reject.allowed_permissions = ("approve_request",)  # type: ignore[attr-defined]

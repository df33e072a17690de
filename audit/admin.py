"""The audit trail in the admin: a "history" page on every tracked object and one searchable list.

The history pages replace the admin's own history view (the "History" button Unfold shows on each
change form) of the tracked models' admins. They are wired here, from the list in audit.models,
because the apps that own those admins may not import this app (it sits above them); the admin
classes themselves are not changed.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import RangeDateFilter

from audit import selectors
from audit.exports import AuditEventResource
from audit.models import EVENT_MODELS, AuditEvent
from common.history import history_enabled
from shops.admin_exports import ExportableAdmin, in_chunks


def _history_view(
    self: admin.ModelAdmin, request: HttpRequest, object_id: str, extra_context: Any = None
) -> HttpResponse:
    obj = self.get_object(request, unquote(object_id))
    if obj is None:
        raise Http404
    if not self.has_view_or_change_permission(request, obj):
        raise PermissionDenied
    opts = self.model._meta
    context = {
        **self.admin_site.each_context(request),
        "title": _("History: {object}").format(object=obj),
        "subtitle": None,
        "object": obj,
        "opts": opts,
        "app_label": opts.app_label,
        "history_recorded": history_enabled(),
        "rows": selectors.object_history(model=self.model, pk=obj.pk) if history_enabled() else [],
        **(extra_context or {}),
    }
    request.current_app = self.admin_site.name
    return TemplateResponse(request, "audit/object_history.html", context)


def install_history_views(site: admin.AdminSite) -> None:
    for model, model_admin in site._registry.items():
        if model in EVENT_MODELS:
            # On the instance: the admin class (and any other site using it) stays as written.
            model_admin.history_view = types.MethodType(_history_view, model_admin)


class TrackedModelFilter(admin.SimpleListFilter):
    title = _("object type")
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for event_model in EVENT_MODELS.values():
            seen[event_model._meta.label] = selectors.tracked_model_label(
                event_model.pgh_tracked_model._meta.label
            )
        return sorted(seen.items(), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            # Only this model's event table is read, not the union of all of them.
            return queryset.across(self.value())  # type: ignore[attr-defined]
        return queryset


class ActorFilter(admin.SimpleListFilter):
    title = _("actor")
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from django.contrib.auth.models import User

        staff = User.objects.filter(is_staff=True).order_by("username")[:50]
        return [
            ("partner", _("Partner API keys")),
            ("task", _("Tasks")),
            ("none", _("No user (direct database change)")),
            *[(f"user:{u.pk}", u.get_username()) for u in staff],
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value() or ""
        if value == "partner":
            return queryset.filter(partner_key__isnull=False)
        if value == "task":
            return queryset.filter(task__isnull=False)
        if value == "none":
            return queryset.filter(
                Q(user__isnull=True) & Q(partner_key__isnull=True) & Q(task__isnull=True)
            )
        if value.startswith("user:") and value[5:].isdigit():
            return queryset.filter(user=int(value[5:]))
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ExportableAdmin, ModelAdmin):
    """Every recorded change, newest first; search by the changed object's id or a request id."""

    export_resource = AuditEventResource
    export_permission = "shops.export_audit"

    list_display = [
        "pgh_created_at",
        "object_display",
        "pgh_label",
        "actor",
        "request_id_display",
        "diff",
    ]
    list_filter = [TrackedModelFilter, ActorFilter, ("pgh_created_at", RangeDateFilter)]
    list_filter_submit = True
    search_fields = ["=pgh_obj_id", "=request_id"]
    search_help_text = _("The id of the changed object, or a request id.")
    ordering = ["-pgh_created_at"]
    list_per_page = 50
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The supervisor and auditor roles (shops/migrations/0008) and superusers.
        return bool(request.user.is_active and request.user.has_perm("audit.view_auditevent"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return AuditEvent.objects.all()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if not history_enabled():
            context = {
                **self.admin_site.each_context(request),
                "title": AuditEvent._meta.verbose_name_plural,
                "opts": self.model._meta,
                "history_recorded": False,
                "rows": [],
            }
            return TemplateResponse(request, "audit/object_history.html", context)
        return super().changelist_view(request, extra_context)

    def export_refusal(self, request: HttpRequest) -> str | None:
        if not history_enabled():
            return str(_("The audit trail is recorded on PostgreSQL only: nothing to export."))
        return None

    def export_rows(self, queryset: QuerySet[Any]) -> Iterator[list[Any]]:
        # A chunk of events at a time through the selector, which reads each chunk's users in
        # one query: the same rows as the list shows.
        resource = self.export_resource()
        fields = resource.get_export_fields()
        events = queryset.iterator(chunk_size=self.export_chunk_size)
        for chunk in in_chunks(events, self.export_chunk_size):
            for row in selectors.rows(chunk):
                yield [resource.export_field(field, row) for field in fields]

    def _row(self, obj: Any) -> selectors.EventRow:
        cached = getattr(obj, "_audit_row", None)
        if cached is None:
            cached = selectors.rows([obj])[0]
            obj._audit_row = cached
        return cached

    @admin.display(description=_("when"), ordering="pgh_created_at")
    def when(self, obj: Any) -> Any:
        return obj.pgh_created_at

    @admin.display(description=_("event"))
    def event(self, obj: Any) -> str:
        return self._row(obj).label_display

    @admin.display(description=_("object"))
    def object_display(self, obj: Any) -> str:
        row = self._row(obj)
        return f"{row.object_label} #{row.object_id}"

    @admin.display(description=_("actor"))
    def actor(self, obj: Any) -> str:
        return self._row(obj).actor

    @admin.display(description=_("request id"))
    def request_id_display(self, obj: Any) -> str:
        return self._row(obj).request_id

    @admin.display(description=_("what changed"))
    def diff(self, obj: Any) -> str:
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><span class='font-medium'>{}</span>: {}</li>",
                ((c.field, c.text) for c in self._row(obj).changes),
            ),
        )


install_history_views(admin.site)

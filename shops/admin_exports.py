"""Exports of the filtered admin lists (CSV and XLSX), each one recorded in the export log.

A screen that mixes in `ExportableAdmin` gets an "Export" button above its list (Unfold's
`actions_list`) whose two links carry the list's current query string, so the file holds exactly
the rows the list shows with its filters and search, in its order (the admin's own ChangeList
builds the queryset). The columns are a django-import-export Resource (`export_resource`); the
file is written by common.tabular from `QuerySet.iterator(chunk_size=...)`, so neither the rows
nor the file are held in memory (django-import-export's own export builds a tablib Dataset of
every row first, which is why its admin mixin is not used).

Who may export a list is a permission of shops.ExportLog (`export_permission`), given to roles by
shops/migrations; the button is shown only to them and the URL refuses everybody else (403).
Each export is written to the log before its first row and completed with its row count.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from import_export.resources import Resource
from unfold.decorators import action

from common.tabular import csv_response, xlsx_response
from shops import services
from shops.models import ExportLog

EXPORT_ACTIONS = ("export_csv", "export_xlsx")
CHUNK_SIZE = 2000


def in_chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


class ExportableAdmin(admin.ModelAdmin):
    """Mix in before the Unfold admin class; set `export_resource` and `export_permission`."""

    export_resource: type[Resource]
    export_permission: str  # "shops.export_ledger"
    export_chunk_size = CHUNK_SIZE
    # Joined for the export's columns (the list's own list_select_related applies too).
    export_select_related: tuple[str, ...] = ()
    actions_list = [{"title": _("Export"), "icon": "download", "items": list(EXPORT_ACTIONS)}]

    def has_export_permission(self, request: HttpRequest, *args: object) -> bool:
        return bool(request.user.has_perm(self.export_permission))

    # --- what is exported ----------------------------------------------------------------------

    def export_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """The rows the list shows with this request's filters, search and order (every page)."""
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        return (
            queryset.select_related(*self.export_select_related)
            if self.export_select_related
            else queryset
        )

    def export_rows(self, queryset: QuerySet[Any]) -> Iterator[list[Any]]:
        """One list of cells per row, read `export_chunk_size` rows at a time."""
        resource = self.export_resource()
        fields = resource.get_export_fields()
        for obj in queryset.iterator(chunk_size=self.export_chunk_size):
            yield [resource.export_field(field, obj) for field in fields]

    def export_refusal(self, request: HttpRequest) -> str | None:
        """Why this list cannot be exported here at all (None when it can)."""
        return None

    # --- the two buttons -----------------------------------------------------------------------

    @action(description=_("CSV"), permissions=["export"], url_path="export-csv", icon="csv")
    def export_csv(self, request: HttpRequest) -> HttpResponse:
        return self._export(request, ExportLog.Format.CSV)

    @action(
        description=_("Excel (XLSX)"), permissions=["export"], url_path="export-xlsx", icon="table"
    )
    def export_xlsx(self, request: HttpRequest) -> HttpResponse:
        return self._export(request, ExportLog.Format.XLSX)

    def _export(self, request: HttpRequest, file_format: str) -> HttpResponse:
        if not (self.has_view_permission(request) and self.has_export_permission(request)):
            raise PermissionDenied
        opts = self.model._meta
        changelist_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        refusal = self.export_refusal(request)
        if refusal:
            messages.error(request, refusal)
            return HttpResponseRedirect(changelist_url)
        try:
            queryset = self.export_queryset(request)
        except IncorrectLookupParameters:
            messages.error(request, _("These filters are not valid for this list."))
            return HttpResponseRedirect(changelist_url)
        now = timezone.now()
        log = services.export_log_start(
            user=request.user,
            list_label=opts.label_lower,
            list_name=str(opts.verbose_name_plural),
            file_format=file_format,
            filters=dict(request.GET.lists()),
            now=now,
        )
        header = self.export_resource().get_export_headers()
        rows = _counted(
            self.export_rows(queryset), log_id=log.pk, language=translation.get_language()
        )
        filename = f"{opts.model_name}-{timezone.localtime(now):%Y%m%d-%H%M%S}"
        if file_format == ExportLog.Format.CSV:
            return csv_response(filename=filename, header=header, rows=rows)
        return xlsx_response(
            filename=filename, header=header, rows=rows, sheet_title=str(opts.verbose_name_plural)
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if context and context.get("actions_list") and request.GET:
            # Unfold links list actions to their bare URL: give the export links the list's
            # filters and search, so the file is what the screen shows.
            query = "?" + request.GET.urlencode()
            paths = {
                reverse(f"{self.admin_site.name}:{opts_name}")
                for opts_name in self._export_url_names()
            }
            for item in context["actions_list"]:
                for entry in [item, *item.get("items", [])]:
                    if entry.get("path") in paths:
                        entry["path"] += query
        return response

    def _export_url_names(self) -> list[str]:
        opts = self.model._meta
        return [f"{opts.app_label}_{opts.model_name}_{name}" for name in EXPORT_ACTIONS]


def _counted(
    rows: Iterable[list[Any]], *, log_id: int, language: str | None
) -> Iterator[list[Any]]:
    """Pass the rows on, then complete the log with how many went out. A streamed CSV is written
    after the view has returned, under the request's language still (labels in the cells)."""
    count = 0
    with translation.override(language):
        for row in rows:
            count += 1
            yield row
    services.export_log_finish(export_id=log_id, row_count=count, now=timezone.now())

"""Columns of the audit trail export (a django-import-export Resource) over the rows the audit
list shows (audit.selectors.EventRow: who, from where, what changed)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from import_export.fields import Field
from import_export.resources import Resource

from common.exports import time_field


class AuditEventResource(Resource):
    when = time_field("when", _("when"))
    event = Field(attribute="label_display", column_name=_("event"))
    object_type = Field(attribute="object_label", column_name=_("object type"))
    object_id = Field(attribute="object_id", column_name=_("object id"))
    actor = Field(attribute="actor", column_name=_("actor"))
    request_id = Field(attribute="request_id", column_name=_("request id"))
    changes = Field(column_name=_("what changed"))

    class Meta:
        export_order = [
            "when",
            "event",
            "object_type",
            "object_id",
            "actor",
            "request_id",
            "changes",
        ]

    def dehydrate_changes(self, row: Any) -> str:
        return "; ".join(f"{change.field}: {change.text}" for change in row.changes)

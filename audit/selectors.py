"""Reads of the audit trail, shaped for the admin: events with who, from where and what changed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth.models import User
from django.db import models
from django.utils.translation import gettext as _

from audit.models import EVENT_MODELS, AuditEvent


def _shown(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any
    is_update: bool

    @property
    def text(self) -> str:
        """ "before → after" for a change; the one value for a creation or a deletion."""
        if self.is_update:
            return f"{_shown(self.before)} → {_shown(self.after)}"
        return _shown(self.after if self.after is not None else self.before)


@dataclass(frozen=True)
class EventRow:
    when: datetime
    label: str
    object_label: str
    object_id: str | None
    actor: str
    request_id: str
    changes: list[Change]

    @property
    def label_display(self) -> str:
        return {"insert": _("Created"), "update": _("Changed"), "delete": _("Deleted")}.get(
            self.label, self.label
        )


def event_model_for(model: type[models.Model]) -> type[models.Model] | None:
    return EVENT_MODELS.get(model)


def tracked_model_label(obj_model_label: str) -> str:
    """`audit.TrackedShop` (the proxy the triggers hang on) -> "shop"."""
    try:
        model = apps.get_model(obj_model_label)
    except LookupError:
        return obj_model_label
    return str(model._meta.concrete_model._meta.verbose_name)


def _columns(obj_model_label: str) -> dict[str, str]:
    """Column name (as the snapshot stores it) -> the field's verbose name."""
    try:
        model = apps.get_model(obj_model_label)
    except LookupError:
        return {}
    return {f.column: str(f.verbose_name) for f in model._meta.concrete_fields}


def actor_label(context: dict[str, Any] | None, users: dict[int, User]) -> str:
    context = context or {}
    if context.get("partner_key"):
        return _("Partner key {prefix}").format(prefix=context["partner_key"])
    if context.get("task"):
        return _("Task {name}").format(name=context["task"])
    user_id = context.get("user")
    if user_id is not None:
        user = users.get(int(user_id))
        return user.get_username() if user else _("User #{id}").format(id=user_id)
    return _("No user (direct database change)")


def _changes(event: Any) -> list[Change]:
    names = _columns(event.pgh_obj_model)
    if event.pgh_diff:
        items = [(k, v[0], v[1]) for k, v in event.pgh_diff.items()]
    else:
        # The first event of an object (or a deletion) has no previous row: show its values.
        data = event.pgh_data or {}
        before_only = event.pgh_label == "delete"
        items = [(k, v, None) if before_only else (k, None, v) for k, v in data.items()]
    is_update = bool(event.pgh_diff)
    return [
        Change(field=names.get(k, k), before=b, after=a, is_update=is_update)
        for k, b, a in sorted(items)
    ]


def rows(events: list[Any]) -> list[EventRow]:
    user_ids = {
        int(e.pgh_context["user"])
        for e in events
        if e.pgh_context and e.pgh_context.get("user") is not None
    }
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    return [
        EventRow(
            when=e.pgh_created_at,
            label=e.pgh_label,
            object_label=tracked_model_label(e.pgh_obj_model),
            object_id=e.pgh_obj_id,
            actor=actor_label(e.pgh_context, users),
            request_id=(e.pgh_context or {}).get("request_id") or "",
            changes=_changes(e),
        )
        for e in events
    ]


def object_history(*, model: type[models.Model], pk: Any, limit: int = 200) -> list[EventRow]:
    """The events of one tracked object, newest first."""
    event_model = event_model_for(model)
    if event_model is None:
        return []
    events = list(
        AuditEvent.objects.across(event_model)
        .filter(pgh_obj_id=str(pk))
        .order_by("-pgh_created_at", "-pgh_id")[:limit]
    )
    return rows(events)

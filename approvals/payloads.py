"""Payloads for actions that save a row typed in an admin form (a requirement rule, a
compensation rule): the row's field values as plain JSON, and the unsaved row rebuilt from them
when the request is approved. By model label through Django's app registry, so this app needs
none of the owners' code."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime


def row_payload(obj: models.Model, *, changed_fields: list[str] | None = None) -> dict[str, Any]:
    """The concrete fields of `obj` (foreign keys by id), its pk if it exists, what changed."""
    import json

    values = {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key
    }
    return {
        "model": obj._meta.label_lower,
        "pk": obj.pk,
        "fields": json.loads(json.dumps(values, cls=DjangoJSONEncoder)),
        "changed_fields": list(changed_fields or []),
    }


def row_from_payload(payload: dict[str, Any]) -> models.Model:
    """The row as the maker typed it (unsaved changes on the existing row, or a new row)."""
    model = apps.get_model(payload["model"])
    obj = model.objects.get(pk=payload["pk"]) if payload.get("pk") else model()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname not in payload["fields"]:
            continue
        value = payload["fields"][field.attname]
        if value is not None and isinstance(field, models.DateTimeField):
            value = parse_datetime(value)
        elif value is not None and isinstance(field, models.DateField):
            value = parse_date(value)
        setattr(obj, field.attname, value)
    return obj

"""Serializer fields with the API's strictness: amounts are JSON integers (never strings, floats
or booleans) within 1 … MAX_AMOUNT_MINOR; times carry an offset and come out in UTC."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from common.money import MAX_AMOUNT_MINOR


class AmountField(serializers.IntegerField):
    default_error_messages = {
        "invalid": "Must be a JSON integer number of minor units (not a string, float or boolean).",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_AMOUNT_MINOR)
        kwargs.setdefault(
            "help_text", f"Integer minor units (fen for CNY), 1 to {MAX_AMOUNT_MINOR}."
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset in (a time without one is ambiguous), UTC out."""

    default_error_messages = {
        "naive": "Include a UTC offset, e.g. 2026-12-01T08:00:00Z or 2026-12-01T16:00:00+08:00.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


class UtcDateTimeField(serializers.DateTimeField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class StrictBooleanField(serializers.BooleanField):
    """Only JSON true/false: "yes", 1 or "false" are refused rather than guessed."""

    default_error_messages = {"invalid": "Must be a JSON boolean: true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictCharField(serializers.CharField):
    """Only JSON strings: DRF would turn 12 or true into "12" and "True"."""

    default_error_messages = {"invalid": "Must be a JSON string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class InputSerializer(serializers.Serializer):
    """An input whose unknown fields are refused, named, rather than ignored: a typo such as
    "allow_dept" must not silently change what a posting does."""

    def get_fields(self) -> dict[str, serializers.Field]:
        """Shallow copies of the declared fields instead of DRF's deep copies.

        DRF deep-copies every declared field for each serializer instance, i.e. on every
        request: a sixth of a deduction's CPU in the API (bench/api_profile.py). The declared
        fields are never bound themselves; each copy is bound to this serializer and caches
        its validators on itself, so a shallow copy keeps instances apart. A field with fields
        of its own (a ListField's child, a nested serializer) binds them at construction, so it
        keeps DRF's deep copy."""
        return {
            name: copy.deepcopy(field) if _has_subfields(field) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def _has_subfields(field: serializers.Field) -> bool:
    return isinstance(field, serializers.BaseSerializer) or hasattr(field, "child")

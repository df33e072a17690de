"""Serializer fields with the API's strictness: amounts are JSON integers (never strings, floats
or booleans) within 1 … MAX_AMOUNT_MINOR; times carry an offset and come out in UTC."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinLengthValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.serializers import Serializer
from rest_framework.validators import ProhibitSurrogateCharactersValidator

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


# --- The common case without a serializer -----------------------------------------------------
#
# Building a serializer, binding its fields and running DRF's validation cost ~0.1 ms on every
# POST (bench/api_profile.py). Almost every body a partner sends is valid; for those,
# `simple_validated` gives the serializer's validated data from the declared fields directly. It
# answers only when it is certain the serializer would accept the body with exactly that result,
# and None otherwise (a refusal, or anything it does not know): then the serializer runs and
# answers, so every error message, field name and order stays DRF's.
# tests/partners/test_simple_validation.py compares the two on many bodies.

_EMPTY: Any = serializers.empty
_TEXT_VALIDATORS = (
    MaxLengthValidator,
    MinLengthValidator,
    ProhibitNullCharactersValidator,
    ProhibitSurrogateCharactersValidator,
)
_NUMBER_VALIDATORS = (MaxValueValidator, MinValueValidator)
# NUL (ProhibitNullCharactersValidator) and lone surrogates (ProhibitSurrogateCharacters…).
_REFUSED_CHARACTERS = re.compile(r"[\x00\ud800-\udfff]")
_Check = Callable[[Any], Any]
_REFUSE: Any = object()  # a check's answer when the serializer must decide


def _amount_check(field: AmountField) -> _Check:
    low, high = field.min_value, field.max_value

    def check(value: Any) -> Any:
        if type(value) is not int:  # bool is not int's type: refused like a string
            return _REFUSE
        if (low is not None and value < low) or (high is not None and value > high):
            return _REFUSE
        return value

    return check


def _choice_check(field: serializers.ChoiceField) -> _Check:
    choices = dict(field.choice_strings_to_values)

    def check(value: Any) -> Any:
        if type(value) is not str or value == "":
            return _REFUSE
        return choices.get(value, _REFUSE)

    return check


def _text_check(field: StrictCharField) -> _Check:
    trim, allow_blank = field.trim_whitespace, field.allow_blank
    low, high = field.min_length, field.max_length

    def check(value: Any) -> Any:
        if type(value) is not str:
            return _REFUSE
        text = value.strip() if trim else value
        if text == "" or value == "":
            return "" if allow_blank else _REFUSE
        if (high is not None and len(text) > high) or (low is not None and len(text) < low):
            return _REFUSE
        if _REFUSED_CHARACTERS.search(text):
            return _REFUSE
        return text

    return check


def _boolean_check(field: StrictBooleanField) -> _Check:
    return lambda value: value if type(value) is bool else _REFUSE


def _limits_match(field: serializers.Field, kinds: tuple[type, ...]) -> bool:
    """The field validates with DRF's own validators for its limits and nothing else."""
    limits = {
        MaxLengthValidator: getattr(field, "max_length", None),
        MinLengthValidator: getattr(field, "min_length", None),
        MaxValueValidator: getattr(field, "max_value", None),
        MinValueValidator: getattr(field, "min_value", None),
    }
    for validator in field.validators:
        kind = type(validator)
        if kind not in kinds:
            return False
        if kind in limits and validator.limit_value != limits[kind]:
            return False
    return True


def _field_check(field: serializers.Field) -> _Check | None:
    if field.read_only or field.allow_null or field.source not in (None, field.field_name):
        return None
    kind = type(field)
    if kind is AmountField and _limits_match(field, _NUMBER_VALIDATORS):
        return _amount_check(field)  # type: ignore[arg-type]
    if kind is serializers.ChoiceField and _limits_match(field, ()):
        return _choice_check(field)  # type: ignore[arg-type]
    if kind is StrictCharField and _limits_match(field, _TEXT_VALIDATORS):
        return _text_check(field)  # type: ignore[arg-type]
    if kind is StrictBooleanField and _limits_match(field, ()):
        return _boolean_check(field)  # type: ignore[arg-type]
    return None


# serializer class -> (name, check, required, default) per declared field; None: not simple.
_Plan = list[tuple[str, _Check, bool, Any]]
_plans: dict[type, _Plan | None] = {}


def _plan_for(serializer_class: type[InputSerializer]) -> _Plan | None:
    if serializer_class in _plans:
        return _plans[serializer_class]
    plan: _Plan | None = []
    cls = serializer_class
    if (
        cls.to_internal_value is not InputSerializer.to_internal_value
        or cls.run_validation is not serializers.Serializer.run_validation
        or cls.validate is not serializers.Serializer.validate
        or getattr(getattr(cls, "Meta", None), "validators", None)
    ):
        plan = None
    for name, field in cls._declared_fields.items():
        check = _field_check(field) if plan is not None else None
        default = field.default
        if (
            check is None
            or hasattr(cls, f"validate_{name}")
            or (default is not _EMPTY and callable(default))  # `empty` itself is a class
        ):
            plan = None
            break
        plan.append((name, check, field.required, default))
    _plans[serializer_class] = plan
    return plan


def simple_validated(serializer_class: type[Serializer], data: Any) -> dict[str, Any] | None:
    """`dict(serializer_class(data=data).validated_data)` when the serializer would accept
    `data`, computed without it; None when the serializer must decide."""
    if type(data) is not dict or not issubclass(serializer_class, InputSerializer):
        return None
    plan = _plan_for(serializer_class)
    if plan is None or len(data) > len(plan):
        return None
    out: dict[str, Any] = {}
    seen = 0
    for name, check, required, default in plan:
        if name in data:
            seen += 1
            value = check(data[name])
            if value is _REFUSE:
                return None
            out[name] = value
        elif required:
            return None
        elif default is not _EMPTY:
            out[name] = default
    if seen != len(data):
        return None  # an unknown field: the serializer names it
    return out

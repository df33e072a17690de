"""`simple_validated` answers for a body only what the serializer would: the same validated data
when the serializer accepts it, and None (the serializer decides) for everything else."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from rest_framework import serializers

from claims.api import serializers as claims_inputs
from deposits.api import serializers as deposit_inputs
from insurance.api import serializers as insurance_inputs
from partners.api import serializers as partner_inputs
from partners.api.fields import InputSerializer, StrictCharField, simple_validated

INPUTS = sorted(
    {
        cls
        for module in (deposit_inputs, claims_inputs, insurance_inputs, partner_inputs)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, InputSerializer) and cls is not InputSerializer
    },
    key=lambda cls: cls.__name__,
)

# Values that sit on every edge the fields have: types JSON can carry, blanks, whitespace,
# limits, NUL and lone surrogates, choices in and out.
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    10**15,
    10**15 + 1,
    1.0,
    "1",
    "",
    "   ",
    " 退款 ",
    "o-1",
    "a\x00b",
    "a\ud800b",
    "x" * 200,
    "x" * 201,
    " " + "x" * 200 + " ",
    "x" * 301,
    "CNY",
    "cny",
    "JPY",
    "SENT",
    [],
    {},
    ["apparel"],
]


def serializer_answer(cls: type[serializers.Serializer], data: Any) -> dict[str, Any] | None:
    serializer = cls(data=data)
    return dict(serializer.validated_data) if serializer.is_valid() else None


def valid_body(cls: type[serializers.Serializer]) -> dict[str, Any]:
    """A body the serializer accepts, for the fields simple validation knows."""
    samples = {
        "amount_minor": 1_500,
        "currency": "CNY",
        "reason": "延迟发货赔付",
        "reference": "o-1",
        "payment_ref": "pay-1",
        "allow_debt": False,
    }
    return {name: samples[name] for name in cls._declared_fields if name in samples}


def bodies(cls: type[serializers.Serializer]) -> list[Any]:
    base = valid_body(cls)
    out: list[Any] = [None, [], "text", 42, {}, base, {**base, "unknown": 1}]
    for name in cls._declared_fields:
        out.append({k: v for k, v in base.items() if k != name})  # each field left out
        out.extend({**base, name: value} for value in VALUES)
    return out


@pytest.mark.parametrize("cls", INPUTS, ids=lambda cls: cls.__name__)
def test_it_answers_only_what_the_serializer_answers(cls):
    answered = 0
    for body in bodies(cls):
        simple = simple_validated(cls, body)
        if simple is None:
            continue
        answered += 1
        assert simple == serializer_answer(cls, body), body
        assert list(simple) == list(serializer_answer(cls, body) or {}), body  # same order

    # The API's own money bodies take the simple way whenever they are valid.
    if cls in (deposit_inputs.DeductionInput, deposit_inputs.TopUpInput):
        assert answered > 10


def test_a_deduction_body_is_validated_without_a_serializer_the_same_way():
    body = {"amount_minor": 1_500, "reason": "  延迟发货赔付 ", "reference": "o-1"}

    simple = simple_validated(deposit_inputs.DeductionInput, body)

    assert simple == {
        "amount_minor": 1_500,
        "currency": "CNY",
        "reason": "延迟发货赔付",
        "reference": "o-1",
        "allow_debt": False,
    }
    assert simple == serializer_answer(deposit_inputs.DeductionInput, body)


@pytest.mark.parametrize(
    "body",
    [
        {"amount_minor": True, "reason": "r", "reference": "o"},
        {"amount_minor": "1", "reason": "r", "reference": "o"},
        {"amount_minor": 0, "reason": "r", "reference": "o"},
        {"amount_minor": 1, "reason": "   ", "reference": "o"},
        {"amount_minor": 1, "reason": "r", "reference": "o", "allow_dept": True},
        {"amount_minor": 1, "reason": "r", "reference": "o", "currency": "XXX"},
        {"amount_minor": 1, "reason": "r\x00", "reference": "o"},
        {"amount_minor": 1, "reason": None, "reference": "o"},
        {"amount_minor": 1, "reference": "o"},
    ],
)
def test_every_refusal_is_left_to_the_serializer(body):
    assert simple_validated(deposit_inputs.DeductionInput, body) is None
    assert serializer_answer(deposit_inputs.DeductionInput, body) is None


class _WithItsOwnRule(InputSerializer):
    reason = StrictCharField(max_length=10)

    def validate_reason(self, value: str) -> str:
        raise serializers.ValidationError("never")


class _WithAValidator(InputSerializer):
    reason = StrictCharField(max_length=10, validators=[lambda value: None])


class _WithANestedField(InputSerializer):
    tags = serializers.ListField(child=StrictCharField())


@pytest.mark.parametrize("cls", [_WithItsOwnRule, _WithAValidator, _WithANestedField])
def test_a_serializer_with_rules_of_its_own_always_decides(cls):
    for body in itertools.chain([{"reason": "r"}, {"tags": ["a"]}]):
        assert simple_validated(cls, body) is None

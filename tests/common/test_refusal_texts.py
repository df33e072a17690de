"""Every refusal the claims, insurance and deposits services make is written for translation.

A refusal's sentence (a DomainError's `detail`) reaches a partner in the language they ask for,
ops in the admin's and merchants in the dashboard's; a sentence written as a plain English
literal stays English whatever the reader asked for. The services' source is read, so a new
refusal written as a literal fails here before anyone reads it in the wrong language. The
`fields` messages stay English (api.md, "Language"): only the sentence is checked. A bare
`raise ShopFrozen()` passes when the class's default is marked for translation (common.errors).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from django.utils.functional import Promise

from common.errors import DomainError

PACKAGES = ["claims.services", "insurance.services", "deposits.services"]
# A field's name before the translated sentence, as the API's `detail` writes it: "note: …".
FIELD_PREFIX = re.compile(r"^\w+: ")


def service_modules() -> list[ModuleType]:
    modules = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        modules.append(package)  # its __init__ may refuse too
        for info in pkgutil.iter_modules(package.__path__):
            modules.append(importlib.import_module(f"{name}.{info.name}"))
    return modules


def _resolve(node: ast.expr, module: ModuleType) -> Any:
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, module)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _english_literal(node: ast.expr | None) -> bool:
    """Words written in the source rather than looked up by gettext."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(re.search(r"[A-Za-z]", node.value))
    if isinstance(node, ast.JoinedStr):
        literal = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
        return bool(re.search(r"[A-Za-z]", FIELD_PREFIX.sub("", literal.lstrip())))
    if isinstance(node, ast.BinOp):
        return _english_literal(node.left) or (
            isinstance(node.op, ast.Add) and _english_literal(node.right)
        )
    if isinstance(node, ast.IfExp):
        return _english_literal(node.body) or _english_literal(node.orelse)
    return False


def untranslated(module: ModuleType) -> Iterator[str]:
    tree = ast.parse(inspect.getsource(module))
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        where = f"{module.__name__}:{call.lineno}"
        target = _resolve(call.func, module)
        if getattr(target, "__name__", "") == "_bad" and module.__name__.endswith(".decisions"):
            # DecisionRefused: the API's sentence (the 4th argument) and the admin's (the 3rd).
            if len(call.args) < 4 or any(_english_literal(a) for a in call.args[2:4]):
                yield where
            continue
        if not (isinstance(target, type) and issubclass(target, DomainError)):
            continue
        if call.args:
            if _english_literal(call.args[0]):
                yield where
        elif not any(k.arg in ("detail", "fields") for k in call.keywords):
            if not isinstance(target.default_detail, Promise):
                yield f"{where} (the class's English default)"


@pytest.mark.parametrize("module", service_modules(), ids=lambda m: m.__name__)
def test_every_refusal_is_marked_for_translation(module):
    assert list(untranslated(module)) == []


@pytest.mark.parametrize(
    ("expression", "literal"),
    [
        ("f'The policy is in {currency}.'", True),
        ("'Invalid claim: ' + ', '.join(names) + '.'", True),
        ("'Claimed.' if done else gettext('Not yet.')", True),
        ("gettext('The policy is in %(currency)s.') % {'currency': currency}", False),
        ("f'note: {message}'", False),
        ("f'{field}: {message}'", False),
    ],
)
def test_the_check_tells_a_literal_from_a_translated_sentence(expression, literal):
    assert _english_literal(ast.parse(expression, mode="eval").body) is literal

"""Row locks are taken in one place: deposits.locks (and shops.locks for the shop row).

A lock taken anywhere else has its own order and its own mode, which is how the expiry sweeper
came to hold accounts FOR UPDATE while everything else held them FOR NO KEY UPDATE.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK_MODULES = {Path("deposits/locks.py"), Path("shops/locks.py")}
ROW_LOCK_SQL = re.compile(
    r"\bSELECT\b.*\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.S | re.I
)


def _modules():
    for app in ("deposits", "shops"):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" not in relative.parts and relative not in LOCK_MODULES:
                yield relative, ast.parse(path.read_text(), filename=str(path))


def row_locks_outside_the_lock_modules() -> list[str]:
    found = []
    for relative, tree in _modules():
        docstrings = {
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "select_for_update":
                found.append(f"{relative}:{node.lineno} calls select_for_update")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and ROW_LOCK_SQL.search(node.value)
            ):
                found.append(f"{relative}:{node.lineno} locks rows in raw SQL")
    return found


class TestLockModules:
    def test_no_module_of_deposits_or_shops_locks_rows_outside_the_lock_modules(self):
        assert row_locks_outside_the_lock_modules() == []

    def test_the_scan_would_see_a_lock_taken_elsewhere(self):
        source = 'Hold.objects.select_for_update().get(pk=1)\nSQL = "SELECT 1 FROM t FOR UPDATE"\n'
        tree = ast.parse(source)

        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]

        assert any(n.attr == "select_for_update" for n in calls)
        assert any(isinstance(s, str) and ROW_LOCK_SQL.search(s) for s in strings)

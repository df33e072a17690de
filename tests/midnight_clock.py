"""Opt-in pytest plugin: Shanghai midnight falls inside every test (`-p tests.midnight_clock`).

`django.utils.timezone.now` answers 23:59:59 Asia/Shanghai while the test's fixtures run and
00:00:00 of the next day once its body starts (plus a microsecond per read, so times still
advance). MIDNIGHT_CLOCK_BODY_READS=N moves the midnight N-1 reads into the body instead, for a
test that reads "today" itself and then lets a page or a task read the clock again. A test whose
day changes under it fails; one that pins its clock (the `pinned_clock` fixture, or its own
monkeypatch of timezone.now) keeps it. How to run it: README.md, "Tests at any time of day"."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

MIDNIGHT = datetime.fromisoformat(
    os.environ.get("MIDNIGHT_CLOCK_AT", "2026-12-07T16:00:00+00:00")  # 00:00 in Shanghai
)
BODY_READS = int(os.environ.get("MIDNIGHT_CLOCK_BODY_READS", "1"))
_real_now = timezone.now


class _Stepping:
    def __init__(self, start: datetime):
        self.at = start

    def __call__(self) -> datetime:
        self.at += timedelta(microseconds=1)
        return self.at


def _moved() -> datetime:
    return timezone.now()


def _imported_nows() -> list[tuple[object, str]]:
    """Modules that imported `now` itself (`from django.utils.timezone import now`, as django-axes
    does). They follow this clock too (through `_moved`), or theirs and this one would be hours
    apart: axes then forgot a lockout test's failures, a failure of this method, not of the test."""
    return [
        (module, name)
        for module in list(sys.modules.values())
        if module is not None and module is not timezone and module is not sys.modules[__name__]
        for name, value in list(vars(module).items())
        if value is _real_now
    ]


_imported: list[tuple[object, str]] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    global _imported
    _imported = _imported_nows()
    for module, name in _imported:
        setattr(module, name, _moved)
    timezone.now = _Stepping(MIDNIGHT - timedelta(seconds=1))
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if isinstance(timezone.now, _Stepping):  # a test that pinned its own clock keeps it
        timezone.now = _Stepping(MIDNIGHT - timedelta(microseconds=BODY_READS))
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield
    timezone.now = _real_now
    for module, name in _imported:
        setattr(module, name, _real_now)

"""Opt-in pytest plugin: Shanghai midnight falls inside every test (`-p tests.midnight_clock`).

`django.utils.timezone.now` answers 23:59:59 Asia/Shanghai while the test's fixtures run and
00:00:00 of the next day once its body starts (plus a microsecond per read, so times still
advance). MIDNIGHT_CLOCK_BODY_READS=N moves the midnight N-1 reads into the body instead, for a
test that reads "today" itself and then lets a page or a task read the clock again. A test whose
day changes under it fails; one that pins its clock (the `pinned_clock` fixture, or its own
monkeypatch of timezone.now) keeps it. How to run it: README.md, "Tests at any time of day"."""

from __future__ import annotations

import os
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
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

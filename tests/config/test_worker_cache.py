"""Each pytest-xdist worker counts rate limits and throttles in a namespace of its own of the
shared Redis (tests/worker_cache.py), and emptying it leaves the other worker's counts alone."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.cache import caches

from tests.worker_cache import WorkerRedisCache

pytestmark = pytest.mark.skipif(
    not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"),
    reason="the suite's cache is Redis only when REDIS_URL is set",
)


def _worker_cache(name: str) -> WorkerRedisCache:
    return WorkerRedisCache(
        settings.CACHES["default"]["LOCATION"], {"KEY_PREFIX": f"test-isolation-{name}"}
    )


def test_the_suites_cache_is_named_after_its_worker():
    expected = "test-" + os.environ.get("PYTEST_XDIST_WORKER", "main")
    assert caches["default"].key_prefix == expected


def test_clearing_one_workers_cache_leaves_the_other_workers_counts():
    mine, theirs = _worker_cache("a"), _worker_cache("b")
    try:
        mine.set("join_ip:127.0.0.1", 4)
        theirs.set("join_ip:127.0.0.1", 2)

        mine.clear()

        assert mine.get("join_ip:127.0.0.1") is None
        assert theirs.get("join_ip:127.0.0.1") == 2
    finally:
        theirs.clear()

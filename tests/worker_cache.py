"""The Redis cache of one pytest-xdist worker (config/settings_test.py).

The workers of one run share a Redis database, and the rate limits count per client address:
every Django test client is 127.0.0.1. So a test that opens five invitation links and expects
the sixth to be refused was refused at the fifth when the other worker opened a link in the same
seconds (CI, 2026-12-07). Each worker's keys carry its name as the cache's KEY_PREFIX, and
`clear()`, which tests call to start from zero, deletes that worker's keys only: Django's
RedisCache.clear() is FLUSHDB, which would empty the other worker's counters mid-test.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache


class WorkerRedisCache(RedisCache):
    def clear(self) -> bool:
        client = self._cache.get_client(None, write=True)
        pattern = f"{self.key_prefix}:*" if self.key_prefix else "*"
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
        return True

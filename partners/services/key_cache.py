"""API keys remembered by each web process for a few seconds, so that a partner API request
normally costs no database round trip for its key, while a revocation still refuses the key on
the very next request.

A shared *generation* counter in the default cache (Redis in production: one counter for every
web process) is bumped by every change that can refuse a key or change what it may do: a
revocation (`api_key_revoke`) and any save or delete of an ApiKey or Partner row (signals, wired
in partners.apps; the admin saves through them). A remembered key is used only while the
generation equals the one read *before* the key was read from the database: read after, a
revocation committing in between would be remembered as valid. The generation is read in one
pipelined round trip with the request's throttle count, which the throttle made anyway, so a
remembered key costs no round trip at all (docs/benchmarks.md, "2026-12-07").

The bump happens at once and again after the commit: at once, so that a request sharing the
revoking transaction (a test) reloads the key; after the commit, so that a process which reloaded
the key between the two, and read the row as it was before the commit, reloads it again.
`QuerySet.update()` on keys or partners bypasses the signals: call `api_keys_forget()` after it.
Without a shared cache (local memory, development) the counter is per process: a change made in
another process is seen when the remembered key expires (PARTNER_API_KEY_CACHE_SECONDS).

With Redis unreachable nothing remembered is trusted (the generation cannot be read): each
request reads its key from the database, as before the cache, and leaves the count to the
throttle, which fails open. A revocation made meanwhile still commits (its bump is skipped and
every process's remembered keys are dropped for lack of a generation to compare with).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from redis.exceptions import RedisError

from partners import selectors
from partners.models import ApiKey

WINDOW_SECONDS = 60
GENERATION_KEY = "api-key-generation"
_MAX_REMEMBERED = 10_000  # keys per process; beyond that everything is forgotten at once
# key hash -> (the key with its partner, the generation it was read under, when)
_remembered: dict[str, tuple[ApiKey, int, float]] = {}


def _ttl() -> float:
    return float(getattr(settings, "PARTNER_API_KEY_CACHE_SECONDS", 5))


def _redis(cache: Any) -> Any:
    """redis-py's client behind Django's RedisCache, one per cache object; None for any other
    cache. Django builds a new client object on every get_client() (~0.1 ms: a dict of ~160
    response callbacks); its connection pool is redis-py's own and starts afresh in a forked
    worker."""
    try:
        from django.core.cache.backends.redis import RedisCache
    except ImportError:  # pragma: no cover - redis-py not installed
        return None
    if not isinstance(cache, RedisCache):
        return None
    client = getattr(cache, "_partners_client", None)
    if client is None:
        client = cache._cache.get_client(GENERATION_KEY, write=True)
        cache._partners_client = client
    return client


def throttle_key(partner_id: int, now: float) -> str:
    """A partner's counter for the fixed one-minute window that `now` falls in."""
    return f"api-throttle:{partner_id}:{int(now // WINDOW_SECONDS)}"


def throttle_count(key: str) -> int:
    """Count one request in `key`'s window. On Redis one INCR (the window's EXPIRE is set by the
    first request of the minute); the local-memory cache of development counts per process."""
    cache = caches["default"]
    client = _redis(cache)
    if client is not None:
        full_key = cache.make_and_validate_key(key)
        count = int(client.incr(full_key))
        if count == 1:
            client.expire(full_key, WINDOW_SECONDS + 1)
        return count
    cache.add(key, 0, WINDOW_SECONDS + 1)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS + 1)
        return 1


def _count_and_generation(key: str) -> tuple[int, int]:
    """The throttle's INCR and the generation's GET in one round trip."""
    cache = caches["default"]
    client = _redis(cache)
    if client is None:
        return throttle_count(key), int(cache.get(GENERATION_KEY, 0))
    full_key = cache.make_and_validate_key(key)
    pipe = client.pipeline(transaction=False)
    pipe.incr(full_key)
    pipe.get(cache.make_and_validate_key(GENERATION_KEY))
    count, generation = pipe.execute()
    if int(count) == 1:
        client.expire(full_key, WINDOW_SECONDS + 1)
    return int(count), int(generation or 0)


def _generation() -> int | None:
    """The current generation; None when the cache cannot be reached (then nothing is trusted)."""
    try:
        return int(caches["default"].get(GENERATION_KEY, 0))
    except RedisError:
        return None


def _bump() -> None:
    try:
        _bump_generation()
    except RedisError:
        # Nobody can read the generation either: every process reads keys from the database
        # until the cache is back, and then finds a generation its remembered keys don't carry
        # (an emptied Redis starts again at 0; one that kept its data drops them by age).
        pass


def _bump_generation() -> None:
    cache = caches["default"]
    client = _redis(cache)
    if client is not None:
        client.incr(cache.make_and_validate_key(GENERATION_KEY))  # never expires
        return
    cache.add(GENERATION_KEY, 0, None)
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # evicted in between
        cache.set(GENERATION_KEY, 1, None)


def api_keys_forget() -> None:
    """Every process forgets the keys it remembers, now and again after the caller's commit."""
    _remembered.clear()
    _bump()
    transaction.on_commit(_bump, robust=True)


def api_key_for_request(
    key_hash: str, *, count_for: Callable[[int], str]
) -> tuple[ApiKey | None, int | None]:
    """The key with this hash (with its partner), and the throttle count of `count_for(partner
    id)` when this lookup already took it (None: the throttle counts by itself). Unknown hashes
    are not remembered: each one costs a query, as before."""
    ttl = _ttl()
    remembered = _remembered.get(key_hash) if ttl > 0 else None
    if remembered is None:
        generation = _generation() if ttl > 0 else None
        api_key = selectors.api_key_by_hash(key_hash)
        if api_key is not None and generation is not None:
            _remember(key_hash, api_key, generation)
        return api_key, None
    api_key, generation, read_at = remembered
    try:
        count, current = _count_and_generation(count_for(api_key.partner_id))
    except RedisError:
        _remembered.pop(key_hash, None)
        return selectors.api_key_by_hash(key_hash), None
    if current == generation and time.monotonic() - read_at < ttl:
        return api_key, count
    # Changed or old: read it again. `current` was read before this read, as the rule says.
    fresh = selectors.api_key_by_hash(key_hash)
    _remembered.pop(key_hash, None)
    if fresh is not None:
        _remember(key_hash, fresh, current)
    same_partner = fresh is not None and fresh.partner_id == api_key.partner_id
    return fresh, count if same_partner else None


def _remember(key_hash: str, api_key: ApiKey, generation: int) -> None:
    if len(_remembered) >= _MAX_REMEMBERED:
        _remembered.clear()
    _remembered[key_hash] = (api_key, generation, time.monotonic())

"""Per-partner throttling: a fixed one-minute window counted in the Django cache.

With REDIS_URL set the cache is Redis, shared by every worker, and the count is one INCR (one
round trip; the window's EXPIRE is set by the first request of the minute), taken by the key's
authentication together with the check of a remembered key (partners.services.key_cache); the
local-memory cache of development counts per process.
The limit is `Partner.throttle_per_minute` (default 6,000; api-v1.md: at least that).

The throttle fails open: with Redis unreachable a request is let through (and a warning logged,
at most every LOG_EVERY_SECONDS per process) rather than refused or answered 500. Redis holds no
money and no events (the outbox is in PostgreSQL); a minute without a per-partner ceiling is a
smaller harm than a minute without postings (bench/redis_outage_drill.py).
"""

from __future__ import annotations

import math
import time
from typing import Any

import structlog
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from partners import services
from partners.services.key_cache import WINDOW_SECONDS

LOG_EVERY_SECONDS = 10

log = structlog.get_logger(__name__)
_last_logged = 0.0


class PartnerRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if api_key is None:
            return True
        taken = getattr(request, "partner_throttle", None)
        if taken is not None:
            count, now = taken
        else:
            now = time.time()
            try:
                count = services.throttle_count(services.throttle_key(api_key.partner_id, now))
            except RedisError as exc:
                _log_fail_open(exc)
                return True
        if count > api_key.partner.throttle_per_minute:
            self._wait = max(1, math.ceil(WINDOW_SECONDS - (now % WINDOW_SECONDS)))
            return False
        return True

    def wait(self) -> float | None:
        return self._wait


def _log_fail_open(exc: Exception) -> None:
    """One line per process every LOG_EVERY_SECONDS while the cache is down, not one per request
    (thousands a second would bury the log that says when it came back)."""
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        log.warning("throttle_fail_open", error=f"{exc.__class__.__name__}: {exc}")

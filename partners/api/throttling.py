"""Per-partner throttling: a fixed one-minute window counted in the Django cache.

With REDIS_URL set the cache is Redis, shared by every worker, and the count is one INCR (one
round trip; the window's EXPIRE is set by the first request of the minute), taken by the key's
authentication together with the check of a remembered key (partners.services.key_cache); the
local-memory cache of development counts per process.
The limit is `Partner.throttle_per_minute` (default 6,000; api-v1.md: at least that).
"""

from __future__ import annotations

import math
import time
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from partners import services
from partners.services.key_cache import WINDOW_SECONDS


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
            count = services.throttle_count(services.throttle_key(api_key.partner_id, now))
        if count > api_key.partner.throttle_per_minute:
            self._wait = max(1, math.ceil(WINDOW_SECONDS - (now % WINDOW_SECONDS)))
            return False
        return True

    def wait(self) -> float | None:
        return self._wait

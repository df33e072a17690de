"""Attempts counted per client and per account on the pages an attacker would hammer: the
dashboard's sign-in, password reset and invitation link (django-axes already locks a username
after wrong passwords from one address; these cap the attempts themselves, from one address
across many accounts and at one account from many addresses).

Fixed windows in the cache (Redis in production, shared by every web process). A cache that
cannot be reached lets the request through: a rate limit must never turn into a 500.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    attempts: int
    seconds: int


def limit_for(name: str) -> Limit:
    """The limit named in settings.RATE_LIMITS, e.g. "login_ip": (attempts, seconds)."""
    attempts, seconds = settings.RATE_LIMITS[name]
    return Limit(int(attempts), int(seconds))


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR as the server saw it: behind a proxy, the proxy sets it (gunicorn's
    # forwarded-allow-ips), never a header the client could choose.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def attempt(name: str, key: str) -> int | None:
    """Count one attempt under the limit `name` for `key`; the seconds to wait when it is over
    the limit, else None."""
    limit = limit_for(name)
    now = int(time.time())
    window = now // limit.seconds
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{name}:{digest}:{window}"
    try:
        if cache.add(cache_key, 1, timeout=limit.seconds + 1):
            count = 1
        else:
            count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: a new window
        count = 1
    except Exception:  # the cache is down: let the request through, say so in the log
        logger.warning("rate limit %s not counted: the cache did not answer", name)
        return None
    if count > limit.attempts:
        return max(1, (window + 1) * limit.seconds - now)
    return None


def first_over(checks: list[tuple[str, str]]) -> int | None:
    """Count the attempt under every (limit, key) given; the longest wait among those over."""
    waits = [wait for name, key in checks if key and (wait := attempt(name, key)) is not None]
    return max(waits) if waits else None


def too_many_attempts(request: HttpRequest, retry_after: int) -> HttpResponse:
    """429 with the page saying to wait, in the page's language, and Retry-After."""
    minutes = max(1, -(-retry_after // 60))
    response = render(request, "ratelimited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response

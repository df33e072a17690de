"""Attempts counted per client and per account on the pages an attacker would hammer: the
dashboard's sign-in, password reset and invitation link (django-axes already locks a username
after wrong passwords from one address; these cap the attempts themselves, from one address
across many accounts and at one account from many addresses).

Fixed windows in the cache (Redis in production, shared by every web process). A cache that
cannot be reached lets the request through: a rate limit must never turn into a 500.

Most limits count every attempt (`attempt`). The sign-in's per-address limit counts failures
only (`failure_count`, checked with `failures_over` before the attempt): an office behind one
NAT signs in dozens of times a morning, and counting those would lock its people out, while an
address guessing passwords fails and is stopped all the same.
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


def _window(name: str, key: str) -> tuple[Limit, int, int, str]:
    """The limit, the clock, the current window's number and its cache key."""
    limit = limit_for(name)
    now = int(time.time())
    window = now // limit.seconds
    digest = hashlib.sha256(key.strip().lower().encode()).hexdigest()[:32]
    return limit, now, window, f"ratelimit:{name}:{digest}:{window}"


def attempt(name: str, key: str) -> int | None:
    """Count one attempt under the limit `name` for `key`; the seconds to wait when it is over
    the limit, else None."""
    limit, now, window, cache_key = _window(name, key)
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


def failures_over(name: str, key: str) -> int | None:
    """The seconds to wait when `key` already has as many failures as the limit `name` allows
    in this window, else None; counts nothing (`failure_count` does, after a failure)."""
    if not key:
        return None
    limit, now, window, cache_key = _window(name, key)
    try:
        count = int(cache.get(cache_key) or 0)
    except Exception:  # the cache is down: let the request through, say so in the log
        logger.warning("rate limit %s not checked: the cache did not answer", name)
        return None
    if count >= limit.attempts:
        return max(1, (window + 1) * limit.seconds - now)
    return None


def failure_count(name: str, key: str) -> None:
    """Count one failure under the limit `name` for `key` (checked by `failures_over`)."""
    if key:
        attempt(name, key)


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

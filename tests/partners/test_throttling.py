"""Per-partner throttling: Partner.throttle_per_minute, counted in the cache, 429 + Retry-After."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.partners.api_client import make_api, shop_body, top_up

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def test_default_limit_is_6000_a_minute():
    from partners.models import Partner

    assert Partner().throttle_per_minute == 6000


def _api_with_its_own_counter(name: str, *, throttle: int):  # type: ignore[no-untyped-def]
    """A partner whose id no other test's partner had: the count is kept per partner id and
    minute, and on SQLite an id freed by a rolled-back test comes back, so a request still in
    flight from an earlier test (a thread) could count towards this one's budget."""
    from django.utils import timezone

    from partners import services
    from partners.models import Partner
    from tests.partners.api_client import Api

    partner = Partner.objects.create(
        pk=900_000 + sum(name.encode()), name=name, throttle_per_minute=throttle
    )
    issued = services.api_key_create(partner=partner, now=timezone.now())
    return Api(partner=partner, api_key=issued.api_key, raw_key=issued.raw)


def test_over_the_limit_is_429_with_retry_after():
    api = _api_with_its_own_counter("Busy", throttle=3)

    statuses = [api.get("/api/v1/shops/").status_code for _ in range(4)]
    throttled = api.get("/api/v1/shops/")

    assert statuses == [200, 200, 200, 429]
    assert throttled.json()["code"] == "throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 60


def test_posts_count_too_and_are_not_stored_when_throttled():
    api = make_api("Busy", throttle=1)
    api.get("/api/v1/shops/")

    response = api.post("/api/v1/shops/", {}, key="throttled-key")

    assert response.status_code == 429
    from partners.models import IdempotencyRecord

    assert not IdempotencyRecord.objects.filter(key="throttled-key").exists()


def test_each_partner_has_its_own_budget():
    busy, calm = make_api("Busy", throttle=1), make_api("Calm", throttle=1)

    busy.get("/api/v1/shops/")
    busy_again = busy.get("/api/v1/shops/")
    calm_first = calm.get("/api/v1/shops/")

    assert (busy_again.status_code, calm_first.status_code) == (429, 200)


def test_counts_in_redis_when_the_cache_is_redis(settings):
    redis_url = "redis://127.0.0.1:6379/3"
    try:
        import redis

        redis.Redis.from_url(redis_url).ping()
    except Exception:
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "dd-throttle-test",
        }
    }
    from django.core.cache import caches

    caches["default"].clear()
    api = make_api("Redis-counted", throttle=2)

    statuses = [api.get("/api/v1/shops/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    caches["default"].clear()


class _Warnings:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def warning(self, event: str, **fields: object) -> None:
        self.events.append((event, fields))


def test_with_redis_unreachable_the_throttle_lets_requests_through_and_says_so(
    settings, monkeypatch
):
    from partners.api import throttling

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    warnings = _Warnings()
    monkeypatch.setattr(throttling, "log", warnings)
    monkeypatch.setattr(throttling, "_last_logged", 0.0)
    api = _api_with_its_own_counter("Redis-down", throttle=1)

    statuses = [api.get("/api/v1/shops/").status_code for _ in range(3)]
    shop = api.post("/api/v1/shops/", shop_body(), key="redis-down-shop")
    paid = top_up(api, shop.json()["id"], 500_00)

    assert statuses == [200, 200, 200]  # over the limit of 1, yet not refused: it fails open
    assert (shop.status_code, paid.status_code) == (201, 201), paid.content
    assert [event for event, _ in warnings.events] == ["throttle_fail_open"]  # once, not per call
    assert "ConnectionError" in warnings.events[0][1]["error"]


def test_with_redis_unreachable_a_revoked_key_is_refused_on_the_next_request(settings, monkeypatch):
    """The remembered keys need Redis's generation to be trusted: without it each request reads
    its key from the database, so a revocation (whose bump cannot reach Redis) still counts."""
    from django.utils import timezone

    from partners import services
    from partners.api import throttling

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.PARTNER_API_KEY_CACHE_SECONDS = 60
    monkeypatch.setattr(throttling, "log", _Warnings())
    api = _api_with_its_own_counter("Redis-down-revoked", throttle=100)
    before = [api.get("/api/v1/shops/").status_code for _ in range(2)]

    services.api_key_revoke(api_key=api.api_key, now=timezone.now(), reason="leaked")
    after = api.get("/api/v1/shops/")

    assert before == [200, 200]
    assert after.status_code == 401

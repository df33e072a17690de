"""A small JSON client for the partner API tests: a real key, JSON bodies, and a fresh
Idempotency-Key on every POST unless the test gives one."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.test import Client
from django.utils import timezone

from partners import services
from partners.models import ApiKey, Partner

_UNSET: Any = object()


@dataclass
class Api:
    partner: Partner
    api_key: ApiKey
    raw_key: str

    def __post_init__(self) -> None:
        self.client = Client()

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.raw_key}", **(extra or {})}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, params or {}, headers=self.headers(headers))

    def post(
        self,
        path: str,
        data: Any = None,
        *,
        key: str | None = _UNSET,
        raw: bytes | str | None = None,
        content_type: str = "application/json",
        **headers: str,
    ) -> Any:
        extra = dict(headers)
        if key is _UNSET:
            key = str(uuid.uuid4())
        if key is not None:
            extra["Idempotency-Key"] = key
        body = raw if raw is not None else ("" if data is None else json.dumps(data))
        return self.client.post(path, body, content_type=content_type, headers=self.headers(extra))

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.delete(path, headers=self.headers(headers))


def make_api(name: str, *, scopes: list[str] | None = None, throttle: int = 100_000) -> Api:
    partner = services.partner_get_or_create(name=name)
    if partner.throttle_per_minute != throttle:
        Partner.objects.filter(pk=partner.pk).update(throttle_per_minute=throttle)
        partner.refresh_from_db()
    issued = services.api_key_create(partner=partner, now=timezone.now(), scopes=scopes)
    return Api(partner=partner, api_key=issued.api_key, raw_key=issued.raw)


SHOP_BODY: dict[str, Any] = {
    "name": "云锦旗舰店",
    "shop_type": "FLAGSHIP",
    "trademark_status": "REGISTERED",
    "categories": ["apparel"],
    "merchant": {"email": "owner@yunjin.example", "name": "云锦服饰"},
}


def shop_body(external_ref: str | None = None, **overrides: Any) -> dict[str, Any]:
    # Each shop gets its own merchant unless a test says otherwise: a merchant belongs to the
    # partner that registered it, so two partners cannot share one by e-mail.
    merchant = {"email": f"owner-{uuid.uuid4().hex[:10]}@yunjin.example", "name": "云锦服饰"}
    return {
        **SHOP_BODY,
        "merchant": merchant,
        "external_ref": f"ext-{uuid.uuid4().hex[:10]}" if external_ref is None else external_ref,
        **overrides,
    }


def register_shop(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/api/v1/shops/", shop_body(**overrides))
    assert response.status_code == 201, response.content
    return response.json()


def top_up(api: Api, shop_id: str, amount_minor: int, **overrides: Any) -> Any:
    body = {
        "amount_minor": amount_minor,
        "currency": "CNY",
        "payment_ref": f"PAY-{uuid.uuid4().hex[:12]}",
        **overrides,
    }
    return api.post(f"/api/v1/shops/{shop_id}/top-ups/", body)


def funded_shop(api: Api, amount_minor: int = 5_000_000, **overrides: Any) -> dict[str, Any]:
    shop = register_shop(api, **overrides)
    response = top_up(api, shop["id"], amount_minor)
    assert response.status_code == 201, response.content
    return shop

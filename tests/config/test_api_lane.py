"""A partner's call to the API skips the middleware that has nothing to say to it
(common.api_lane), builds its Content-Security-Policy once per path kind (common.csp) and binds
its request id without walking every context variable (common.logging), and none of it changes
a byte of what the partner gets: status, headers in their order, body."""

from __future__ import annotations

import re
from typing import Any

import pytest
import structlog
from csp.middleware import CSPMiddleware
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from rest_framework.views import APIView

from common import api_lane
from common.csp import SitePolicyMiddleware
from common.logging import bound_value, clear_bound_context, merge_bound_context
from partners.api.base import PartnerAPIView
from tests.partners.api_client import Api, funded_shop, make_api

pytestmark = pytest.mark.django_db

DEDUCTION = {"amount_minor": 1_500, "currency": "CNY", "reason": "延迟发货赔付", "reference": "o-1"}


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def without_the_lane(monkeypatch):
    """Every middleware runs for every request, the serializer validates every body and DRF
    negotiates every Accept header: the API as it was before these short cuts."""

    def switch() -> None:
        monkeypatch.setattr(api_lane, "is_partner_call", lambda request: False)
        monkeypatch.setattr("shops.middleware.is_partner_call", lambda request: False)
        monkeypatch.setattr("partners.api.base.simple_validated", lambda cls, data: None)
        monkeypatch.setattr(
            PartnerAPIView, "perform_content_negotiation", APIView.perform_content_negotiation
        )

    return switch


def answer(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers in order, and the body, with what differs between two postings masked:
    the request id, ids, the transaction, the time (and so the length)."""
    assert response["Content-Length"] == str(len(response.content))
    varies = {"X-Request-Id": "<id>", "Content-Length": "<length>"}  # ids have more digits
    headers = [(k, varies.get(k, v)) for k, v in response.headers.items()]
    body = re.sub(
        rb'"(id|transaction_id|occurred_at|created_at|went_live_at|external_ref)":("[^"]*"|\d+)',
        rb'"\1":"<masked>"',
        response.content,
    )
    return response.status_code, headers, body


def calls(api: Api, shop: dict[str, Any]) -> list[tuple[int, list, bytes]]:
    """A posting, its replay, and every refusal a deduction can meet before or after posting."""
    path = f"/api/v1/shops/{shop['id']}/deductions/"
    missing = f"/api/v1/shops/{'0' * 8}{shop['id'][8:]}/deductions/"
    key = f"k-{shop['id']}"
    too_much = {**DEDUCTION, "amount_minor": 10**12}
    answers = [
        answer(api.post(path, DEDUCTION, key=key)),  # posted
        answer(api.post(path, DEDUCTION, key=key)),  # replayed
        answer(api.post(path, {**DEDUCTION, "amount_minor": 2}, key=key)),  # key reused
        answer(api.post(path, too_much, key=f"{key}-short")),  # refused, stored
        answer(api.post(path, too_much, key=f"{key}-short")),  # the refusal replayed
        answer(api.post(path, {**DEDUCTION, "amount_minor": "1"})),  # validation error
        answer(api.post(path, {**DEDUCTION, "allow_dept": True})),  # unknown field
        answer(api.post(path, {**DEDUCTION, "currency": "USD"})),  # not the deposit's
        answer(api.post(path, raw=b"{")),  # parse error
        answer(api.post(path, raw="a=1", content_type="text/plain")),  # 415
        answer(api.post(path, DEDUCTION, key=None)),  # no Idempotency-Key
        answer(api.post(path, DEDUCTION, Accept="text/html")),  # 406
        answer(api.post(path, too_much, Accept="*/*")),
        answer(api.post(path, too_much, Accept="application/json")),
        answer(
            api.post(path, {**DEDUCTION, "amount_minor": "1"}, Accept="application/json; indent=4")
        ),
        answer(api.post(f"{path}?format=json", too_much)),
        answer(api.post(missing, DEDUCTION)),  # 404
        answer(api.client.put(path, "{}", "application/json", headers=api.headers())),  # 405
        answer(api.client.post(path, "{}", "application/json", HTTP_AUTHORIZATION="Bearer x")),
        answer(api.post(path, DEDUCTION, **{"Accept-Language": "zh-hans"})),  # in Chinese
        answer(api.get(f"/api/v1/shops/{shop['id']}/")),
    ]
    # The shop's id is in a reused key's detail ("… POST /api/v1/shops/<id>/deductions/").
    shop_id = shop["id"].encode()
    return [
        (status, headers, body.replace(shop_id, b"<shop>")) for status, headers, body in answers
    ]


def test_every_answer_is_the_same_bytes_with_and_without_the_lane(without_the_lane):
    api = make_api("Lane")
    lean_shop, full_shop = funded_shop(api, 5_000_000), funded_shop(api, 5_000_000)

    lean = calls(api, lean_shop)
    without_the_lane()
    full = calls(api, full_shop)

    assert [status for status, _, _ in lean] == [
        201, 201, 422, 409, 409, 400, 400, 400, 400, 415, 400, 406, 409, 409, 400, 400, 404,
        405, 401, 201, 200,
    ]  # fmt: skip
    assert lean == full
    # The audit context reads request.user, and so the session, on PostgreSQL only.
    cookie = ", Cookie" if connection.vendor == "postgresql" else ""
    assert dict(lean[0][1])["Vary"] == f"Accept-Language{cookie}"
    assert dict(lean[19][1])["Content-Language"] == "zh-hans"
    assert b"\n" in lean[14][2]  # indent=4 honoured: DRF negotiated that one


def test_a_posting_answers_the_same_bytes_whether_the_serializer_validated_it(monkeypatch):
    api = make_api("Simple")
    simple_shop, serializer_shop = funded_shop(api, 5_000_000), funded_shop(api, 5_000_000)

    simple = calls(api, simple_shop)
    monkeypatch.setattr("partners.api.base.simple_validated", lambda cls, data: None)
    validated = calls(api, serializer_shop)

    assert simple == validated


def test_throttled_the_same_with_and_without_the_lane(without_the_lane):
    api = make_api("Lane busy", throttle=1)
    shop_path = "/api/v1/shops/00000000-0000-0000-0000-000000000000/deductions/"
    api.post(shop_path, DEDUCTION)

    lean = api.post(shop_path, DEDUCTION)
    without_the_lane()
    full = api.post(shop_path, DEDUCTION)

    assert lean.status_code == full.status_code == 429
    assert answer(lean)[1:] == answer(full)[1:]


class TestWhoTakesTheLane:
    @pytest.mark.parametrize(
        ("path", "headers", "partner"),
        [
            ("/api/v1/shops/", {"HTTP_AUTHORIZATION": "Bearer k"}, True),
            ("/api/v1/shops/", {}, False),  # no key: a 401 through every middleware
            ("/api/v1/shops/", {"HTTP_AUTHORIZATION": "Bearer k", "HTTP_COOKIE": "a=b"}, False),
            ("/api/v1/docs/", {}, False),
            ("/shops/", {"HTTP_AUTHORIZATION": "Bearer k"}, False),
            ("/admin/", {"HTTP_AUTHORIZATION": "Bearer k"}, False),
        ],
    )
    def test_only_a_partner_call_with_a_key_and_no_cookie(self, path, headers, partner):
        request = RequestFactory().get(path, **headers)

        assert api_lane.is_partner_call(request) is partner

    @pytest.mark.parametrize(
        ("middleware", "mark"),
        [
            (api_lane.MessageMiddleware, "_messages"),
            (api_lane.HtmxMiddleware, "htmx"),
        ],
    )
    def test_the_skipped_middleware_still_runs_for_everyone_else(self, middleware, mark):
        seen = []
        run = middleware(lambda request: seen.append(hasattr(request, mark)) or HttpResponse())

        for path, headers in [
            ("/api/v1/shops/", {"HTTP_AUTHORIZATION": "Bearer k"}),
            ("/api/v1/shops/", {"HTTP_AUTHORIZATION": "Bearer k", "HTTP_COOKIE": "a=b"}),
            ("/shops/", {}),
        ]:
            request = RequestFactory().get(path, **headers)
            request.session = {}  # as the session middleware before them leaves it
            run(request)

        assert seen == [False, True, True]


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/", "/api/v1/docs/", "/api/v1/"])
def test_the_remembered_policy_is_the_one_django_csp_builds(path):
    request = RequestFactory().get(path)
    middleware = SitePolicyMiddleware(lambda r: HttpResponse())

    built = CSPMiddleware.process_response(middleware, request, HttpResponse())
    for _ in range(2):  # built, then remembered
        mine = middleware.process_response(RequestFactory().get(path), HttpResponse())
        assert mine["Content-Security-Policy"] == built["Content-Security-Policy"]


def test_a_response_that_sets_its_own_policy_keeps_it():
    response = HttpResponse()
    response._csp_update = {"img-src": ["https://example.com"]}  # as @csp_update sets it

    done = SitePolicyMiddleware(lambda r: response).process_response(
        RequestFactory().get("/"), response
    )

    assert re.search(r"img-src [^;]*https://example.com", done["Content-Security-Policy"])


def test_the_bound_context_is_structlogs():
    clear_bound_context()
    structlog.contextvars.bind_contextvars(request_id="r-1", shop="s-1")

    assert bound_value("request_id") == "r-1"
    assert merge_bound_context(None, "info", {"event": "e", "shop": "mine"}) == (
        structlog.contextvars.merge_contextvars(None, "info", {"event": "e", "shop": "mine"})
    )

    clear_bound_context()
    assert structlog.contextvars.get_contextvars() == {}
    assert bound_value("request_id") is None

"""Fuzzing: schemathesis drives every operation of the OpenAPI schema against a live server,
authenticated with a real key, and every response must be a non-5xx that conforms to the schema
(status code, content type, headers, body).

Path ids are real objects most of the time (a shop, an endpoint, holds), so the fuzzer reaches the
postings and not only the 404 path; the rest are random UUIDs (the 404 path, checked too).
Every schemathesis check runs except `positive_data_acceptance`: a schema cannot say "in the
future", "at most the held amount", "one payment_ref per payment" or "a fresh Idempotency-Key",
so schema-valid requests are rightly refused by those rules (400/422); the check would only
measure the fuzzer. Its negative twin (`negative_data_rejection`: invalid input must be refused)
does run.

Budget: FUZZ_EXAMPLES per operation (default 25), about a minute on 2 cores.
"""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import positive_data_acceptance

from deposits import services as deposit_services
from tests.factories import fund
from tests.partners.api_client import make_api

pytestmark = [pytest.mark.fuzz]

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
_keys = itertools.count(1)


@pytest.fixture
def fuzz_target(live_server: Any, transactional_db: None) -> dict[str, Any]:
    api = make_api("Fuzzer", throttle=10**9)
    now = timezone.now()
    shop, account = deposit_services.shop_register(
        merchant_email="fuzz@example.com",
        merchant_name="Fuzz",
        name="Fuzz shop",
        shop_type="FLAGSHIP",
        trademark_status="REGISTERED",
        category_codes=["apparel"],
        external_ref="fuzz-1",
        partner_id=api.partner.pk,
        now=now,
    )
    fund(account, 10**14, now=now)
    holds = [
        deposit_services.hold_place(
            account_id=account.pk,
            amount_minor=1_000,
            currency="CNY",
            reason="fuzz claim",
            reference=f"fuzz-{n}",
            expires_at=now + timedelta(days=30),
            idempotency_key=f"fuzz-hold-{n}",
            now=now,
        )
        for n in range(40)
    ]
    from partners import services as partner_services

    endpoint = partner_services.webhook_endpoint_create(
        partner_id=api.partner.pk, url="https://hooks.example.com/in", event_types=["*"], now=now
    )
    partner_services.event_publish(
        partner_id=api.partner.pk, type="hold.expired", data={"n": 1}, now=now, ordering_key="x"
    )
    return {
        "base_url": live_server.url,
        "headers": {"Authorization": f"Bearer {api.raw_key}"},
        "ids": {
            "shop_id": str(shop.public_id),
            "hold_id": [str(h.public_id) for h in holds],
            "endpoint_id": str(endpoint.public_id),
        },
    }


@pytest.fixture
def api_schema(fuzz_target: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(
        f"{fuzz_target['base_url']}/api/v1/schema/?format=json",
        headers={"Accept": "application/json"},
    )


schema = schemathesis.pytest.from_fixture("api_schema")


def _use_real_ids(case: Any, ids: dict[str, Any]) -> None:
    for name, value in (case.path_parameters or {}).items():
        if name not in ids:
            continue
        # A quarter of the cases keep the generated id (and meet the 404 path).
        if uuid.uuid5(uuid.NAMESPACE_OID, str(value)).int % 4 == 0:
            continue
        real = ids[name]
        case.path_parameters[name] = (
            real[uuid.UUID(int=abs(hash(str(value))) % 2**128).int % len(real)]
            if isinstance(real, list)
            else real
        )


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_5xx_and_every_response_matches_the_schema(case: Any, fuzz_target: dict[str, Any]):
    meta = case._meta
    negative_path = meta is not None and meta.is_negative_at(ParameterLocation.PATH)
    negative_headers = meta is not None and meta.is_negative_at(ParameterLocation.HEADER)
    if case.path_parameters and not negative_path:
        case.path_parameters = dict(case.path_parameters)
        _use_real_ids(case, fuzz_target["ids"])
    # A case generated with invalid headers may be "missing Authorization": send it without.
    headers = {} if negative_headers else fuzz_target["headers"]
    if not negative_headers and case.headers and "Idempotency-Key" in case.headers:
        # The generator repeats short keys ("0") across operations, which makes most POSTs a
        # 422 reuse; three in four get a fresh key so the postings themselves are reached.
        n = next(_keys)
        if n % 4:
            case.headers = {**case.headers, "Idempotency-Key": f"fuzz-{n}"}

    case.call_and_validate(
        base_url=fuzz_target["base_url"],
        headers=headers,
        excluded_checks=[positive_data_acceptance],
    )

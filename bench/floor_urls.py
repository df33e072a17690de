"""Two reference endpoints for bench/api_floor.py, served beside the real API by the same gunicorn
and the same middleware, so that a deduction's cost can be split into what the framework costs
and what the posting costs:

  /floor/framework/<shop>/   a DRF POST that validates the deduction body and sends `SELECT 1`:
                             gunicorn + middleware + DRF + serializer + one round trip
  /floor/posting/<shop>/     the same, then the shop's account lookup and the ledger posting
                             exactly as the API makes them (no key, no throttle, no idempotency
                             record, no response rendering)
  /floor/writes/<shop>/      the same as the framework floor, but instead of `SELECT 1` the rows a
                             deduction must write (balance, transaction, two entries, event) in
                             one statement that also finds the shop's account, with no checks
                             and no plan: the cheapest deduction this schema allows, whatever
                             the code around it (bench/posting_cost/writes.sql is its twin)

The real endpoint adds to /floor/posting/ only what a partner API needs on top: the key, the
throttle, the idempotency record and the response."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.views import APIView

from deposits import services
from deposits.api.lookups import account_for_partner
from deposits.api.serializers import DeductionInput
from partners.models import Partner

_partner_id: list[int] = []


def _bench_partner_id() -> int:
    if not _partner_id:
        _partner_id.append(Partner.objects.values_list("pk", flat=True).get())
    return _partner_id[0]


def _created() -> HttpResponse:
    return HttpResponse(json.dumps({"ok": True}), status=201, content_type="application/json")


class FrameworkFloor(APIView):
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def post(self, request: Request, shop_id: str) -> HttpResponse:
        body = DeductionInput(data=request.data)
        body.is_valid(raise_exception=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return _created()


class PostingFloor(FrameworkFloor):
    def post(self, request: Request, shop_id: str) -> HttpResponse:
        body = DeductionInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ref = account_for_partner(_bench_partner_id(), shop_id)
        services.deposit_deduct(
            account_id=ref.account_id,
            amount_minor=data["amount_minor"],
            currency=data["currency"],
            reason=data["reason"],
            reference=data["reference"],
            allow_debt=data["allow_debt"],
            idempotency_key=f"floor:{uuid.uuid4().hex}",
            now=timezone.now(),
            snapshot=ref.snapshot,
        )
        return _created()


# One round trip: the shop's account found, debited, and the transaction, its two entries and
# the partner's event written. The zero-sum trigger still checks the entries at commit.
_WRITES_SQL = """
WITH a AS (
    UPDATE deposits_account AS acc SET posted_minor = acc.posted_minor - %(amount)s
      FROM shops_shop AS s
     WHERE s.public_id = %(shop)s AND s.partner_id = %(partner)s AND acc.shop_id = s.id
     RETURNING acc.id, acc.posted_minor
), t AS (
    INSERT INTO deposits_ledgertransaction (public_id, idempotency_key, fingerprint, kind, status,
        error_code, amount_minor, currency, reason, reference, occurred_at, recorded_at,
        account_id)
    SELECT gen_random_uuid(), %(key)s, 'fp', 'DEDUCTION', 'POSTED', '', %(amount)s,
        %(currency)s, %(reason)s, %(reference)s, now(), now(), a.id FROM a
    RETURNING id, account_id
), e AS (
    INSERT INTO deposits_entry (transaction_id, account_id, bucket, amount_minor,
        balance_after_minor, currency, kind, reason, reference, occurred_at, recorded_at)
    SELECT t.id, l.account_id, 'POSTED', l.amount, l.after, %(currency)s, 'DEDUCTION',
           %(reason)s, %(reference)s, now(), now()
      FROM t, a, LATERAL (VALUES (t.account_id, -%(amount)s::bigint, a.posted_minor),
          ((SELECT id FROM deposits_account WHERE kind = 'SYSTEM'
               AND system_code = 'COMPENSATION_PAYABLE' AND currency = %(currency)s),
           %(amount)s::bigint, NULL::bigint)) AS l(account_id, amount, after)
    RETURNING id
)
INSERT INTO partners_event (public_id, partner_id, type, ordering_key, data, created_at)
SELECT gen_random_uuid(), %(partner)s, 'deposit.entry_posted', %(shop)s, '{}'::jsonb, now()
  FROM t
RETURNING (SELECT count(*) FROM e)
"""


class WritesFloor(FrameworkFloor):
    def post(self, request: Request, shop_id: str) -> HttpResponse:
        body = DeductionInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with connection.cursor() as cursor:
            cursor.execute(
                _WRITES_SQL,
                {
                    "amount": data["amount_minor"],
                    "shop": shop_id,
                    "partner": _bench_partner_id(),
                    "key": f"floor:{uuid.uuid4().hex}",
                    "currency": data["currency"],
                    "reason": data["reason"],
                    "reference": data["reference"],
                },
            )
            if cursor.fetchone() is None:
                return HttpResponse(status=404)
        return _created()


urlpatterns = [
    path("", include("config.urls")),
    path("floor/framework/<str:shop_id>/", FrameworkFloor.as_view()),
    path("floor/posting/<str:shop_id>/", PostingFloor.as_view()),
    path("floor/writes/<str:shop_id>/", WritesFloor.as_view()),
]

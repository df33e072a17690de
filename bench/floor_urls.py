"""Two reference endpoints for bench/api_floor.py, served beside the real API by the same gunicorn
and the same middleware, so that a deduction's cost can be split into what the framework costs
and what the posting costs:

  /floor/framework/<shop>/   a DRF POST that validates the deduction body and sends `SELECT 1`:
                             gunicorn + middleware + DRF + serializer + one round trip
  /floor/posting/<shop>/     the same, then the shop's account lookup and the ledger posting
                             exactly as the API makes them (no key, no throttle, no idempotency
                             record, no response rendering)

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


urlpatterns = [
    path("", include("config.urls")),
    path("floor/framework/<str:shop_id>/", FrameworkFloor.as_view()),
    path("floor/posting/<str:shop_id>/", PostingFloor.as_view()),
]

"""One endpoint for bench/load_day.py beside the real ones: ops deciding a claim the way the
admin's decision form does (claims.admin_ops: `claim_decision_make` with the signed-in staff user
as maker), without the admin's two-factor sign-in, which a load generator cannot pass. The
service call, its locks and its postings are the admin's; only the form and the redirect are
left out. Served only under bench/locust_settings.py."""

from __future__ import annotations

import json

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from claims import services as claim_services
from claims.models import Claim
from common.errors import DomainError

_ops: list[object] = []


def _ops_user() -> object:
    if not _ops:
        _ops.append(get_user_model().objects.get(username="bench-ops"))
    return _ops[0]


@csrf_exempt
@require_POST
def ops_decide(request: HttpRequest, claim_id: str) -> HttpResponse:
    body = json.loads(request.body or b"{}")
    claim = get_object_or_404(Claim, public_id=claim_id)
    try:
        result = claim_services.claim_decision_make(
            claim=claim,
            outcome=body.get("outcome", "UPHELD"),
            note=body.get("note", "Decided by ops (load test)."),
            maker=_ops_user(),
            now=timezone.now(),
        )
    except DomainError as exc:
        return JsonResponse({"code": type(exc).__name__, "detail": str(exc)}, status=409)
    decided = isinstance(result, Claim)
    return JsonResponse({"decided": decided}, status=200 if decided else 202)


urlpatterns = [
    path("", include("config.urls")),
    path("bench/ops/claims/<uuid:claim_id>/decide/", ops_decide),
]

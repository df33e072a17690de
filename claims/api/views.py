"""Claims endpoints (api-v1.md "Claims").

Same shape as insurance.api.views: one view per URL, input validated before anything is stored,
then one service call inside `PartnerAPIView.idempotent`. Tenancy: only the partner that
registered the shop files and reads its claims; anyone else's shop or claim is 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from claims import selectors, services
from claims.api.serializers import (
    AppealDecisionInput,
    AppealInput,
    ClaimDecisionInput,
    ClaimFileInput,
    ClaimListQuery,
    ClaimOutput,
    EvidenceInput,
    EvidenceOutput,
    NoteInput,
)
from claims.domain.evidence import MAX_FILE_BYTES
from claims.evidence_files import digest_of_upload, evidence_response
from claims.models import Actor, Claim, Party
from common.errors import InvalidInput
from deposits.api.lookups import parse_uuid, shop_for_partner
from partners.api.base import PartnerAPIView
from partners.api.schema import (
    IDEMPOTENCY_KEY_PARAMETER,
    POST_ERRORS,
    READ_ERRORS,
    RETRY_AFTER_HEADER,
    error_responses,
)
from partners.api.views import PartnerListView
from partners.models import Scope

READ = Scope.CLAIMS_READ
WRITE = Scope.CLAIMS_WRITE
DECIDE = Scope.CLAIMS_DECIDE
APPEAL = Scope.CLAIMS_APPEAL
POST_PARAMETERS = [IDEMPOTENCY_KEY_PARAMETER, RETRY_AFTER_HEADER]
TAGS = ["claims"]

CLAIM_EXAMPLE: dict[str, Any] = {
    "id": "3f0c1f5e-6a2b-4c1d-9e8f-7a6b5c4d3e2f",
    "external_ref": "tmall-claim-0001",
    "shop": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "reason": "LATE_SHIPMENT",
    "status": "IN_REVIEW",
    "outcome": None,
    "order": {
        "ref": "TB-20261030-0001",
        "paid_minor": 100000,
        "currency": "CNY",
        "paid_at": "2026-10-30T06:00:00Z",
        "shipped_at": None,
    },
    "consumer": {"ref": "buyer-8812"},
    "description": "Not shipped 48 hours after payment.",
    "requested_minor": None,
    "compensation_minor": 30000,
    "currency": "CNY",
    "rule": {
        "code": "LATE_SHIPMENT@2024-01-01",
        "kind": "RATE",
        "computation": "Rule LATE_SHIPMENT@2024-01-01: 1,000.00 CNY paid × 30% = 300.00 CNY. "
        "Award: 300.00 CNY.",
        "computation_en": "Rule LATE_SHIPMENT@2024-01-01: 1,000.00 CNY paid × 30% = 300.00 CNY. "
        "Award: 300.00 CNY.",
        "computation_zh": "规则 LATE_SHIPMENT@2024-01-01:实付 1,000.00 CNY × 30% = 300.00 CNY。"
        "赔付:300.00 CNY。",
    },
    "funding": [],
    "hold": "0d2b7f0e-1c3a-4b5d-8e9f-0a1b2c3d4e5f",
    "deadlines": {
        "respond_by": "2026-11-05T06:00:00Z",
        "kind": "evidence",
        "at_local": "2026-11-05 14:00 (Asia/Shanghai)",
        "party": "BOTH",
        "consequence": "The evidence windows close; the platform decides on what it has.",
        "consequence_en": "The evidence windows close; the platform decides on what it has.",
        "consequence_zh": "举证期届满,平台依据已有材料裁定。",
        "consumer_evidence_by": "2026-11-05T06:00:00Z",
        "merchant_evidence_by": "2026-11-05T06:00:00Z",
        "evidence_closed_at": None,
        "decide_by": "2026-11-11T06:00:00Z",
        "appeal_by": None,
    },
    "timeline": [
        {
            "at": "2026-11-02T06:00:00Z",
            "actor": "PARTNER",
            "actor_label": "",
            "action": "escalated",
            "note": "Hold 0d2b7f0e-1c3a-4b5d-8e9f-0a1b2c3d4e5f placed.",
        }
    ],
    "filed_at": "2026-11-01T06:00:00Z",
    "escalated_at": "2026-11-02T06:00:00Z",
    "decided_at": None,
    "evidence": [],
    "appealed_at": None,
    "appeal_note": "",
    "appeal_outcome": None,
    "closed_at": None,
    "reversed": None,
}
DECIDED_EXAMPLE: dict[str, Any] = {
    **CLAIM_EXAMPLE,
    "status": "DECIDED",
    "outcome": "UPHELD",
    "funding": [
        {
            "source": "DEPOSIT",
            "amount_minor": 30000,
            "transaction": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        }
    ],
    "deadlines": {
        **CLAIM_EXAMPLE["deadlines"],
        "respond_by": "2026-11-21T06:00:00Z",
        "kind": "appeal",
        "at_local": "2026-11-21 14:00 (Asia/Shanghai)",
        "party": "MERCHANT",
        "consequence": "The merchant may appeal once until then; afterwards the decision is final.",
        "consequence_en": "The merchant may appeal once until then; afterwards "
        "the decision is final.",
        "consequence_zh": "商家可在此前申诉一次,逾期裁定即为终局。",
        "evidence_closed_at": "2026-11-05T06:01:00Z",
        "appeal_by": "2026-11-21T06:00:00Z",
    },
    "decided_at": "2026-11-06T06:00:00Z",
}
APPEALED_EXAMPLE: dict[str, Any] = {
    **DECIDED_EXAMPLE,
    "status": "APPEALED",
    "appealed_at": "2026-11-08T06:00:00Z",
    "appeal_note": "Shipped on time: courier receipt SF1234 dated 2026-10-31.",
}
REVERSED_EXAMPLE: dict[str, Any] = {
    **APPEALED_EXAMPLE,
    "status": "CLOSED",
    "appeal_outcome": "UPHELD",
    "closed_at": "2026-11-10T06:00:00Z",
    "reversed": {
        "at": "2026-11-10T06:00:00Z",
        "amount_minor": 30000,
        "entries": [
            {
                "source": "DEPOSIT",
                "returned_to": "DEPOSIT",
                "amount_minor": 30000,
                "transaction": "5b4c3d2e-1f0a-4b9c-8d7e-6f5a4b3c2d1e",
            }
        ],
    },
}
EVIDENCE_EXAMPLE: dict[str, Any] = {
    "id": "5b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "party": "CONSUMER",
    "filename": "chat-screenshot.png",
    "size": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "note": "The seller promised shipment within 24 hours.",
    "submitted_at": "2026-11-02T08:00:00Z",
}
# Room for the multipart envelope and the note around a file of the largest allowed size.
EVIDENCE_MAX_BODY = MAX_FILE_BYTES + 64 * 1024


def _claim_for_partner(partner_id: int, claim_id: Any) -> Claim:
    claim = selectors.claim_for_partner(partner_id, parse_uuid(claim_id))
    if claim is None:
        raise NotFound("No such claim.")
    return claim


class ClaimsView(PartnerListView):
    scopes = {"GET": READ, "POST": WRITE}
    serializer_class = ClaimOutput
    query_serializer_class = ClaimListQuery

    def get_queryset(self) -> QuerySet[Claim]:
        query = self.validated(ClaimListQuery, self.request.query_params.dict())
        return selectors.claims_for_partner(
            self.partner_id,
            status=query.get("status"),
            shop_public_id=query.get("shop"),
            reason=query.get("reason"),
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([services.claim_data(c) for c in page or []])

    @extend_schema(
        operation_id="claims_list",
        summary="List claims",
        description="Your shops' claims, newest first. Filter by `status`, `shop`, `reason`.",
        parameters=[ClaimListQuery, RETRY_AFTER_HEADER],
        responses={200: ClaimOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("a page", value=CLAIM_EXAMPLE, response_only=True)],
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="claims_create",
        summary="File a consumer's claim",
        description=(
            "201 with the claim NEGOTIATING: the merchant answers within 48 hours. "
            "`compensation_minor` is the rule's estimate, `rule.computation` its arithmetic. "
            "Filing the same `external_ref` again returns the same claim (200); naming "
            "another claim with it is `409 duplicate_reference`. Another partner's shop is 404; "
            "a shop that has exited is `409 shop_closed`."
        ),
        request=ClaimFileInput,
        parameters=POST_PARAMETERS,
        responses={
            201: ClaimOutput,
            200: ClaimOutput,
            **error_responses(*POST_ERRORS, conflicts=("shop_closed", "duplicate_reference")),
        },
        examples=[
            OpenApiExample(
                "late shipment",
                value={
                    "external_ref": "tmall-claim-0001",
                    "shop": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                    "reason": "LATE_SHIPMENT",
                    "order": {
                        "ref": "TB-20261030-0001",
                        "paid_minor": 100000,
                        "currency": "CNY",
                        "paid_at": "2026-10-30T06:00:00Z",
                        "shipped_at": None,
                    },
                    "consumer": {"ref": "buyer-8812"},
                    "description": "Not shipped 48 hours after payment.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "filed",
                value={**CLAIM_EXAMPLE, "status": "NEGOTIATING", "hold": None},
                response_only=True,
                status_codes=["201"],
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: Request) -> HttpResponse:
        data = self.validated(ClaimFileInput)
        shop = shop_for_partner(self.partner_id, data["shop"])
        order = data["order"]

        def perform() -> tuple[int, Any]:
            claim, created = services.claim_file(
                partner_id=self.partner_id,
                shop=shop,
                external_ref=data["external_ref"],
                reason=data["reason"],
                order_ref=order["ref"],
                order_paid_minor=order["paid_minor"],
                currency=order["currency"],
                order_paid_at=order["paid_at"],
                order_shipped_at=order["shipped_at"],
                consumer_ref=data["consumer"]["ref"],
                description=data["description"],
                requested_minor=data.get("requested_minor"),
                now=timezone.now(),
            )
            return (201 if created else 200), services.claim_data(claim)

        return self.idempotent(perform)


class ClaimDetailView(PartnerAPIView):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="claims_retrieve",
        summary="Get a claim",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: ClaimOutput, **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("in review", value=CLAIM_EXAMPLE, response_only=True)],
        tags=TAGS,
    )
    def get(self, request: Request, claim_id: uuid.UUID) -> Response:
        return Response(services.claim_data(_claim_for_partner(self.partner_id, claim_id)))


class ClaimTransitionView(PartnerAPIView):
    """A POST that moves one claim on (escalate, withdraw, decide, appeal, decide the appeal):
    the body validated first (a 400 is never stored), the partner's claim found (anyone else's
    is a 404), then the one service call inside `idempotent`, answered 200 with the claim.
    Each operation names its scope, its input and its service call (`transition`), and carries
    its own schema (`extend_schema_view`, which keeps each subclass's `post` apart)."""

    input_class: ClassVar[type[Serializer]]

    def transition(self, claim: Claim, data: dict[str, Any], now: datetime) -> Claim:
        raise NotImplementedError

    def post(self, request: Request, claim_id: uuid.UUID) -> HttpResponse:
        data = self.validated(self.input_class)
        claim = _claim_for_partner(self.partner_id, claim_id)

        def perform() -> tuple[int, Any]:
            return 200, services.claim_data(self.transition(claim, data, timezone.now()))

        return self.idempotent(perform)


@extend_schema_view(
    post=extend_schema(
        operation_id="claims_escalate",
        summary="Escalate a claim: the platform intervenes",
        description=(
            "200 with the claim IN_REVIEW; both sides have 3 days for evidence. Against a shop "
            "paying in cash, a hold for the estimate (as much of it as is available) waits for "
            "the decision. `409 invalid_claim_status` unless NEGOTIATING."
        ),
        request=NoteInput,
        parameters=POST_PARAMETERS,
        responses={
            200: ClaimOutput,
            **error_responses(*POST_ERRORS, conflicts=("invalid_claim_status", "shop_closed")),
        },
        examples=[
            OpenApiExample("with a note", value={"note": "No answer in 48 h."}, request_only=True),
            OpenApiExample("escalated", value=CLAIM_EXAMPLE, response_only=True),
        ],
        tags=TAGS,
    )
)
class ClaimEscalateView(ClaimTransitionView):
    scopes = {"POST": WRITE}
    input_class = NoteInput

    def transition(self, claim: Claim, data: dict[str, Any], now: datetime) -> Claim:
        return services.claim_escalate(claim=claim, note=data["note"], now=now)


@extend_schema_view(
    post=extend_schema(
        operation_id="claims_withdraw",
        summary="Withdraw a claim (the consumer's wish)",
        description=(
            "200 with the claim WITHDRAWN and its hold released. Before a decision only: "
            "`409 claim_already_decided` after one, `invalid_claim_status` once settled or "
            "withdrawn."
        ),
        request=NoteInput,
        parameters=POST_PARAMETERS,
        responses={
            200: ClaimOutput,
            **error_responses(
                *POST_ERRORS, conflicts=("invalid_claim_status", "claim_already_decided")
            ),
        },
        examples=[
            OpenApiExample(
                "with a note", value={"note": "Refunded by the seller."}, request_only=True
            ),
            OpenApiExample(
                "withdrawn",
                value={**CLAIM_EXAMPLE, "status": "WITHDRAWN"},
                response_only=True,
            ),
        ],
        tags=TAGS,
    )
)
class ClaimWithdrawView(ClaimTransitionView):
    scopes = {"POST": WRITE}
    input_class = NoteInput

    def transition(self, claim: Claim, data: dict[str, Any], now: datetime) -> Claim:
        return services.claim_withdraw(claim=claim, note=data["note"], now=now)


@extend_schema_view(
    post=extend_schema(
        operation_id="claims_decide",
        summary="Decide a claim",
        description=(
            "200 with the claim DECIDED, `deadlines.appeal_by` 15 days later. UPHELD awards "
            "the rule amount (`amount_minor` optional; "
            "required where the rule leaves the amount to ops); PARTLY_UPHELD awards "
            "`amount_minor`, less than the rule amount; REJECTED awards nothing. An insured "
            "shop's insurer advances first, up to its policy's remaining limit "
            "(`INSURER_ADVANCE`, with a recovery from the merchant); the hold is captured up to "
            "what is left and the rest released; more than was held is deducted with debt "
            "allowed (`DEPOSIT`, `DEBT` in `funding`); a rejection releases the hold. "
            "`409 claim_already_decided` for a second decision, `invalid_claim_status` before "
            "escalation or once withdrawn."
        ),
        request=ClaimDecisionInput,
        parameters=POST_PARAMETERS,
        responses={
            200: ClaimOutput,
            **error_responses(
                *POST_ERRORS, conflicts=("claim_already_decided", "invalid_claim_status")
            ),
        },
        examples=[
            OpenApiExample("uphold by the rule", value={"outcome": "UPHELD"}, request_only=True),
            OpenApiExample(
                "partly",
                value={
                    "outcome": "PARTLY_UPHELD",
                    "amount_minor": 10000,
                    "note": "Shipped late by 6 h.",
                },
                request_only=True,
            ),
            OpenApiExample(
                "decided",
                value=DECIDED_EXAMPLE,
                response_only=True,
            ),
        ],
        tags=TAGS,
    )
)
class ClaimDecisionView(ClaimTransitionView):
    scopes = {"POST": DECIDE}
    input_class = ClaimDecisionInput

    def transition(self, claim: Claim, data: dict[str, Any], now: datetime) -> Claim:
        return services.claim_decide(
            claim=claim,
            outcome=data["outcome"],
            amount_minor=data.get("amount_minor"),
            note=data["note"],
            now=now,
        )


@extend_schema_view(
    post=extend_schema(
        operation_id="claims_appeal",
        summary="Appeal a decision (the merchant's grounds)",
        description=(
            "200 with the claim APPEALED. Once, before `deadlines.appeal_by` (15 days after the "
            "decision), against an award (UPHELD or PARTLY_UPHELD). `409 appeal_not_allowed` "
            "for a second appeal, one past the window, a closed claim or a rejection; "
            "`invalid_claim_status` before a decision. Scope `claims:appeal`."
        ),
        request=AppealInput,
        parameters=POST_PARAMETERS,
        responses={
            200: ClaimOutput,
            **error_responses(
                *POST_ERRORS, conflicts=("appeal_not_allowed", "invalid_claim_status")
            ),
        },
        examples=[
            OpenApiExample(
                "grounds",
                value={"note": "Shipped on time: courier receipt SF1234 dated 2026-10-31."},
                request_only=True,
            ),
            OpenApiExample("appealed", value=APPEALED_EXAMPLE, response_only=True),
        ],
        tags=TAGS,
    )
)
class ClaimAppealView(ClaimTransitionView):
    scopes = {"POST": APPEAL}
    input_class = AppealInput

    def transition(self, claim: Claim, data: dict[str, Any], now: datetime) -> Claim:
        return services.claim_appeal(claim=claim, note=data["note"], now=now, actor=Actor.PARTNER)


@extend_schema_view(
    post=extend_schema(
        operation_id="claims_appeal_decide",
        summary="Decide an appeal",
        description=(
            "200 with the claim CLOSED and `appeal_outcome`. UPHELD reverses the payout by new "
            "ledger entries (`reversed`): what the deposit paid is credited back, the debt the "
            "award created is cancelled, the insurer's advance goes back to the insurer with its "
            "recovery cancelled, and what the merchant had already repaid of it is credited to "
            "the deposit. REJECTED closes the claim. `409 invalid_claim_status` unless APPEALED, "
            "`claim_already_decided` once the appeal was decided. Scope `claims:decide`."
        ),
        request=AppealDecisionInput,
        parameters=POST_PARAMETERS,
        responses={
            200: ClaimOutput,
            **error_responses(
                *POST_ERRORS, conflicts=("invalid_claim_status", "claim_already_decided")
            ),
        },
        examples=[
            OpenApiExample(
                "uphold the appeal",
                value={"outcome": "UPHELD", "note": "The courier receipt proves shipment."},
                request_only=True,
            ),
            OpenApiExample("reversed", value=REVERSED_EXAMPLE, response_only=True),
        ],
        tags=TAGS,
    )
)
class ClaimAppealDecisionView(ClaimTransitionView):
    scopes = {"POST": DECIDE}
    input_class = AppealDecisionInput

    def transition(self, claim: Claim, data: dict[str, Any], now: datetime) -> Claim:
        return services.claim_appeal_decide(
            claim=claim, outcome=data["outcome"], note=data["note"], now=now
        )


class ClaimEvidenceView(PartnerAPIView):
    """The consumer's evidence, relayed by the partner that filed the claim."""

    scopes = {"POST": WRITE}
    parser_classes = [MultiPartParser]

    def max_body_bytes(self) -> int:
        return EVIDENCE_MAX_BODY

    def body_too_large(self) -> Exception:
        # The contract: anything but an acceptable file is a 400 naming `file`, a large one too.
        return InvalidInput(
            "file: The file is larger than 5 MiB.",
            fields={"file": ["The file is larger than 5 MiB."]},
        )

    @extend_schema(
        operation_id="claims_evidence_create",
        summary="Add the consumer's evidence to a claim",
        description=(
            "multipart/form-data with `file` (JPEG, PNG, GIF or PDF judged by its content, not "
            "its name; 1 byte to 5 MiB; at most 10 files from the consumer's side per claim) "
            "and an optional `note`. 201 with the evidence. Anything else about the file is "
            "`400 validation_error` naming `file`, and nothing is stored. On a claim IN_REVIEW "
            "the merchant gets 24 hours more for their evidence. `409 invalid_claim_status` "
            "once the claim is decided, settled or withdrawn. The Idempotency-Key covers the "
            "file's content: the same key with another file is `422 idempotency_key_reused`."
        ),
        request={"multipart/form-data": EvidenceInput},
        parameters=POST_PARAMETERS,
        responses={
            201: EvidenceOutput,
            **error_responses(*POST_ERRORS, conflicts=("invalid_claim_status",)),
        },
        examples=[
            OpenApiExample(
                "a screenshot",
                value={"file": "(binary: chat-screenshot.png)", "note": "Chat with the seller."},
                request_only=True,
                media_type="multipart/form-data",
            ),
            OpenApiExample(
                "stored", value=EVIDENCE_EXAMPLE, response_only=True, status_codes=["201"]
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: Request, claim_id: uuid.UUID) -> HttpResponse:
        data = self.validated(EvidenceInput)
        claim = _claim_for_partner(self.partner_id, claim_id)
        upload = data["file"]

        def perform() -> tuple[int, Any]:
            evidence = services.evidence_add(
                claim=claim,
                party=Party.CONSUMER,
                upload=upload,
                note=data["note"],
                now=timezone.now(),
                actor_label=str(request.user.name),
            )
            return 201, services.evidence_data(evidence)

        return self.idempotent(
            perform,
            fingerprint_data={
                "file": digest_of_upload(upload),
                "filename": upload.name,
                "note": data["note"],
            },
        )


class ClaimEvidenceDownloadView(PartnerAPIView):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="claims_evidence_download",
        summary="Download one evidence file of a claim",
        description=(
            "The file's bytes as an attachment, with the content type judged at upload "
            "(`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`). Any side's "
            "file on your own claim; another partner's claim is 404."
        ),
        parameters=[RETRY_AFTER_HEADER],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="image/jpeg, image/png, image/gif or application/pdf.",
            ),
            **error_responses(*READ_ERRORS),
        },
        tags=TAGS,
    )
    def get(self, request: Request, claim_id: uuid.UUID, evidence_id: uuid.UUID) -> HttpResponse:
        claim = _claim_for_partner(self.partner_id, claim_id)
        evidence = selectors.evidence_of_claim(claim, evidence_id)
        if evidence is None:
            raise NotFound("No such evidence.")
        return evidence_response(evidence)

"""Insurance endpoints (api-v1.md, "Performance insurance"): products, quotes, applications and
their decision, policies.

Same shape as deposits.api.views: one view per URL, input validated before anything is stored,
then one service call inside `PartnerAPIView.idempotent` (claim-first: these writes carry no
ledger key of their own). Tenancy: a shop is looked up with the calling partner (another
partner's is 404); an application or policy is visible to the shop's partner and to the product's
insurer, and only the insurer may decide (the shop's partner gets 403, anyone else 404).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import InvalidInput, PermissionDenied
from deposits.api.lookups import parse_uuid, shop_for_partner
from insurance import selectors, services
from insurance.api import examples as ex
from insurance.api.representations import (
    application_data,
    policy_data,
    product_data,
    quote_data,
)
from insurance.api.serializers import (
    AdvanceOutput,
    ApplicationAcceptInput,
    ApplicationDeclineInput,
    ApplicationListQuery,
    ApplicationOutput,
    ApplicationSubmitInput,
    EmptyInput,
    PolicyOutput,
    PremiumPaymentInput,
    ProductOutput,
    QuoteCreateInput,
    QuoteOutput,
    RecoveryOutput,
    RepaymentInput,
    SurrenderQuoteOutput,
)
from insurance.models import Advance, InsuranceApplication, InsuranceProduct, Policy
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

READ = Scope.SHOPS_READ
MONEY = Scope.DEPOSITS_WRITE  # a confirmed payment, as a deposit top-up
WRITE = Scope.INSURANCE_WRITE
UNDERWRITE = Scope.INSURANCE_UNDERWRITE
POST_PARAMETERS = [IDEMPOTENCY_KEY_PARAMETER, RETRY_AFTER_HEADER]
TAGS = ["insurance"]


def _application_for_partner(partner_id: int, application_id: Any) -> InsuranceApplication:
    application = selectors.application_for_partner(partner_id, parse_uuid(application_id))
    if application is None:
        raise NotFound("No such application.")
    return application


class ProductsView(PartnerListView):
    scopes = {"GET": READ}
    serializer_class = ProductOutput

    def get_queryset(self) -> QuerySet[InsuranceProduct]:
        return selectors.products_in_force(timezone.now())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([product_data(p) for p in page or []])

    @extend_schema(
        operation_id="insurance_products_list",
        summary="List insurance products",
        description="The products in force: for each code, its latest version.",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: ProductOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("a page", value=ex.PRODUCT, response_only=True)],
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class QuotesView(PartnerAPIView):
    scopes = {"POST": WRITE}

    @extend_schema(
        operation_id="shops_insurance_quotes_create",
        summary="Quote performance insurance for a shop",
        description=(
            "Prices the product for the shop's current deposit requirement: coverage = "
            "requirement × coverage share, premium = coverage × rate × term days / 365, each "
            "rounded half up to the fen, with the arithmetic in words. An ineligible shop still "
            "gets a quote, with `eligible: false` and every reason. Valid 7 days. With `renews` "
            "(a policy of the shop in force, from 30 days before its end) it prices that "
            "policy's next term, starting the day after it ends; applying with it is the "
            "renewal (`409 invalid_state` outside that window, `application_open` while "
            "another renewal of it is under way, `400` naming `renews` for another shop's)."
        ),
        request=QuoteCreateInput,
        parameters=POST_PARAMETERS,
        responses={201: QuoteOutput, **error_responses(*POST_ERRORS)},
        examples=[
            OpenApiExample("default product", value={}, request_only=True),
            OpenApiExample("half cover", value={"product": "perf-bond-half"}, request_only=True),
            OpenApiExample("renewal", value={"renews": ex.POLICY_ID}, request_only=True),
            OpenApiExample(
                "renewal (next term)",
                value=ex.QUOTE_RENEWAL,
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample("eligible", value=ex.QUOTE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "ineligible",
                value=ex.QUOTE_INELIGIBLE,
                response_only=True,
                status_codes=["201"],
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: Request, shop_id: str) -> HttpResponse:
        data = self.validated(QuoteCreateInput)
        shop = shop_for_partner(self.partner_id, shop_id)
        renews = None
        if data.get("renews") is not None:
            renews = selectors.policies_for_shop(shop).filter(public_id=data["renews"]).first()
            if renews is None:
                raise InvalidInput(
                    "No such policy of this shop to renew.",
                    fields={"renews": ["No such policy of this shop."]},
                )

        def perform() -> tuple[int, Any]:
            quote = services.quote_create(
                shop=shop, product_code=data.get("product"), renews=renews, now=timezone.now()
            )
            return 201, quote_data(quote, shop_public_id=shop.public_id)

        return self.idempotent(perform)


class ShopApplicationsView(PartnerAPIView):
    scopes = {"POST": WRITE}

    @extend_schema(
        operation_id="shops_insurance_applications_create",
        summary="Apply for insurance with a quote",
        description=(
            "Submits the shop's application to the product's insurer. `409 not_eligible` for "
            "an ineligible quote, `quote_expired` past its `valid_until`, `quote_used` when the "
            "quote was applied with already, `application_open` while the shop has an "
            "application under review or a policy awaiting premium or in force."
        ),
        request=ApplicationSubmitInput,
        parameters=POST_PARAMETERS,
        responses={
            201: ApplicationOutput,
            **error_responses(
                *POST_ERRORS,
                conflicts=("not_eligible", "quote_expired", "quote_used", "application_open"),
            ),
        },
        examples=[
            OpenApiExample("apply", value={"quote": ex.QUOTE_ID}, request_only=True),
            OpenApiExample(
                "submitted", value=ex.APPLICATION, response_only=True, status_codes=["201"]
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: Request, shop_id: str) -> HttpResponse:
        data = self.validated(ApplicationSubmitInput)
        shop = shop_for_partner(self.partner_id, shop_id)
        quote = selectors.quote_for_shop(shop, data["quote"])
        if quote is None:
            # A 400 naming the field, like any other bad reference in a body.
            raise InvalidInput(
                "No such quote for this shop.", fields={"quote": ["No such quote for this shop."]}
            )

        def perform() -> tuple[int, Any]:
            application = services.application_submit(shop=shop, quote=quote, now=timezone.now())
            return 201, application_data(application)

        return self.idempotent(perform)


class ApplicationsView(PartnerListView):
    scopes = {"GET": READ}
    serializer_class = ApplicationOutput
    query_serializer_class = ApplicationListQuery

    def get_queryset(self) -> QuerySet[InsuranceApplication]:
        query = self.validated(ApplicationListQuery, self.request.query_params.dict())
        return selectors.applications_for_partner(self.partner_id, status=query.get("status"))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([application_data(a) for a in page or []])

    @extend_schema(
        operation_id="insurance_applications_list",
        summary="List insurance applications",
        description=(
            "Newest first: your shops' applications, and as an insurer the applications for "
            "your products. Filter by `status`."
        ),
        parameters=[ApplicationListQuery, RETRY_AFTER_HEADER],
        responses={200: ApplicationOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("a page", value=ex.APPLICATION, response_only=True)],
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ApplicationAcceptView(PartnerAPIView):
    scopes = {"POST": UNDERWRITE}

    @extend_schema(
        operation_id="insurance_applications_accept",
        summary="Accept an application (insurer)",
        description=(
            "The product's insurer underwrites the application with its own `policy_number`. "
            "200 with the application ACCEPTED and its policy AWAITING_PREMIUM (due within 7 "
            "days, else the policy is cancelled and the application EXPIRED). 403 for the "
            "shop's partner, 404 for anyone else; `409 invalid_state` once decided, "
            "`duplicate_reference` for a policy number you used already."
        ),
        request=ApplicationAcceptInput,
        parameters=POST_PARAMETERS,
        responses={
            200: ApplicationOutput,
            **error_responses(*POST_ERRORS, conflicts=("invalid_state", "duplicate_reference")),
        },
        examples=[
            OpenApiExample(
                "accept", value={"policy_number": "PICC-2026-000123"}, request_only=True
            ),
            OpenApiExample("accepted", value=ex.APPLICATION_ACCEPTED, response_only=True),
        ],
        tags=TAGS,
    )
    def post(self, request: Request, application_id: str) -> HttpResponse:
        data = self.validated(ApplicationAcceptInput)
        application = _application_for_partner(self.partner_id, application_id)

        def perform() -> tuple[int, Any]:
            accepted = services.application_accept(
                application=application,
                insurer_id=self.partner_id,
                policy_number=data["policy_number"],
                now=timezone.now(),
            )
            return 200, application_data(accepted)

        return self.idempotent(perform)


class ApplicationDeclineView(PartnerAPIView):
    scopes = {"POST": UNDERWRITE}

    @extend_schema(
        operation_id="insurance_applications_decline",
        summary="Decline an application (insurer)",
        description=(
            "The insurer refuses with its own `reason_code` and a `detail` the merchant is "
            "shown; the merchant pays the deposit in cash. 403 for the shop's partner, 404 for "
            "anyone else; `409 invalid_state` once decided."
        ),
        request=ApplicationDeclineInput,
        parameters=POST_PARAMETERS,
        responses={
            200: ApplicationOutput,
            **error_responses(*POST_ERRORS, conflicts=("invalid_state",)),
        },
        examples=[
            OpenApiExample(
                "decline",
                value={
                    "reason_code": "abnormal_operation",
                    "detail": "The merchant is on the abnormal operation register.",
                },
                request_only=True,
            ),
            OpenApiExample("declined", value=ex.APPLICATION_DECLINED, response_only=True),
        ],
        tags=TAGS,
    )
    def post(self, request: Request, application_id: str) -> HttpResponse:
        data = self.validated(ApplicationDeclineInput)
        application = _application_for_partner(self.partner_id, application_id)

        def perform() -> tuple[int, Any]:
            declined = services.application_decline(
                application=application,
                insurer_id=self.partner_id,
                reason_code=data["reason_code"],
                detail=data["detail"],
                now=timezone.now(),
            )
            return 200, application_data(declined)

        return self.idempotent(perform)


class PolicyDetailView(PartnerAPIView):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="policies_retrieve",
        summary="Get a policy",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: PolicyOutput, **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("policy", value=ex.POLICY, response_only=True)],
        tags=TAGS,
    )
    def get(self, request: Request, policy_id: uuid.UUID) -> Response:
        policy = selectors.policy_for_partner(self.partner_id, parse_uuid(policy_id))
        if policy is None:
            raise NotFound("No such policy.")
        return Response(policy_data(policy))


class ShopPoliciesView(PartnerListView):
    scopes = {"GET": READ}
    serializer_class = PolicyOutput

    def get_queryset(self) -> QuerySet[Policy]:
        shop = shop_for_partner(self.partner_id, self.kwargs["shop_id"])
        return selectors.policies_for_shop(shop)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([policy_data(p) for p in page or []])

    @extend_schema(
        operation_id="shops_policies_list",
        summary="List a shop's policies",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: PolicyOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("a page", value=ex.POLICY, response_only=True)],
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- A policy's money (premium, e-policy, surrender) ---------------------------------------------


def _policy_for_partner(partner_id: int, policy_id: Any) -> Policy:
    policy = selectors.policy_for_partner(partner_id, parse_uuid(policy_id))
    if policy is None:
        raise NotFound("No such policy.")
    return policy


def _policy_of_own_shop(partner_id: int, policy_id: Any) -> Policy:
    """The shop's partner acts for the merchant (pays, surrenders); the insurer may only read."""
    policy = _policy_for_partner(partner_id, policy_id)
    if policy.shop.partner_id != partner_id:
        raise PermissionDenied("Only the shop's partner may do this for the merchant.")
    return policy


class PremiumPaymentsView(PartnerAPIView):
    scopes = {"POST": MONEY}

    @extend_schema(
        operation_id="policies_premium_payments_create",
        summary="Pay (part of) a policy's premium",
        description=(
            "Credits a confirmed payment towards the premium of a policy AWAITING_PREMIUM; "
            "partial payments add up. The payment that completes the premium activates the "
            "policy: ACTIVE from today (Asia/Shanghai) for the product's term, its coverage "
            "counted in the shop's `guaranteed_minor` (an onboarding shop it covers goes live; "
            "surplus cash becomes withdrawable), the e-policy issued shortly after. A renewal "
            "paid while the policy it renews is in force is ACTIVE at once but `in_force: false` "
            "until the day after that policy's end, when its coverage takes over without a gap. "
            "400 naming "
            "`amount_minor` above the premium outstanding, or `currency` other than the "
            "policy's; `409 invalid_state` unless AWAITING_PREMIUM or past `premium_due_at`; "
            "`409 duplicate_reference` for a `payment_ref` already credited. 403 for the "
            "insurer (the shop's partner pays)."
        ),
        request=PremiumPaymentInput,
        parameters=POST_PARAMETERS,
        responses={
            201: PolicyOutput,
            **error_responses(*POST_ERRORS, conflicts=("invalid_state", "duplicate_reference")),
        },
        examples=[
            OpenApiExample("pay", value=ex.PREMIUM_PAYMENT, request_only=True),
            OpenApiExample(
                "paid in full", value=ex.POLICY_ACTIVE, response_only=True, status_codes=["201"]
            ),
            OpenApiExample(
                "renewal paid ahead (in force from the day after the renewed policy ends)",
                value=ex.POLICY_RENEWAL_PAID,
                response_only=True,
                status_codes=["201"],
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: Request, policy_id: str) -> HttpResponse:
        data = self.validated(PremiumPaymentInput)
        policy = _policy_of_own_shop(self.partner_id, policy_id)

        def perform() -> tuple[int, Any]:
            paid = services.premium_pay(
                policy=policy,
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                payment_ref=data["payment_ref"],
                idempotency_key=self.ledger_key(),
                now=timezone.now(),
            )
            return 201, policy_data(paid)

        return self.idempotent(perform)


class PolicyDocumentView(PartnerAPIView):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="policies_document_retrieve",
        summary="Download the e-policy (PDF)",
        description=(
            "The e-policy exactly as issued, `application/pdf`, with its SHA-256 in the "
            "`Digest`-like header `X-Content-SHA256`. 404 `not_found` until it is issued "
            "(shortly after the premium is paid in full)."
        ),
        parameters=[RETRY_AFTER_HEADER],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **error_responses(*READ_ERRORS),
        },
        tags=TAGS,
    )
    def get(self, request: Request, policy_id: str) -> HttpResponse:
        policy = _policy_for_partner(self.partner_id, policy_id)
        document = selectors.policy_document_pdf(policy)
        if document is None:
            raise NotFound(
                "The e-policy has not been issued yet: it is issued shortly after the premium "
                "is paid in full."
            )
        response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{policy.policy_number}.pdf"'
        response["X-Content-SHA256"] = document.sha256
        return response


class SurrenderQuoteView(PartnerAPIView):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="policies_surrender_quote_retrieve",
        summary="Preview a surrender (退保)",
        description=(
            "Whether the policy may be surrendered today and the refund by day: allowed when no "
            "recovery is outstanding and the cash deposit alone meets the requirement; refund = "
            "premium − coverage × rate × used_days / 365 (start day through today, Asia/Shanghai, "
            "both included), rounded half up."
        ),
        parameters=[RETRY_AFTER_HEADER],
        responses={200: SurrenderQuoteOutput, **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("allowed", value=ex.SURRENDER_QUOTE, response_only=True)],
        tags=TAGS,
    )
    def get(self, request: Request, policy_id: str) -> Response:
        policy = _policy_for_partner(self.partner_id, policy_id)
        return Response(selectors.surrender_preview(policy, timezone.now()).as_dict())


class SurrenderView(PartnerAPIView):
    scopes = {"POST": WRITE}

    @extend_schema(
        operation_id="policies_surrender_create",
        summary="Surrender a policy (退保)",
        description=(
            "Ends an ACTIVE policy today: the unused premium is refunded by day (see the "
            "surrender quote), the coverage leaves the deposit's `guaranteed_minor`. 200 with "
            "the policy SURRENDERED and its `refund_minor`. `409 recoveries_outstanding`, "
            "`would_cause_shortfall` (top up the cash first), `invalid_state` unless ACTIVE. "
            "403 for the insurer."
        ),
        request=EmptyInput,
        parameters=POST_PARAMETERS,
        responses={
            200: PolicyOutput,
            **error_responses(
                *POST_ERRORS,
                conflicts=("recoveries_outstanding", "would_cause_shortfall", "invalid_state"),
            ),
        },
        examples=[OpenApiExample("surrendered", value=ex.POLICY_SURRENDERED, response_only=True)],
        tags=TAGS,
    )
    def post(self, request: Request, policy_id: str) -> HttpResponse:
        self.validated(EmptyInput)
        policy = _policy_of_own_shop(self.partner_id, policy_id)

        def perform() -> tuple[int, Any]:
            surrendered = services.policy_surrender(
                policy=policy, idempotency_key=self.ledger_key(), now=timezone.now()
            )
            return 200, policy_data(surrendered)

        return self.idempotent(perform)


# --- Advances and recoveries ----------------------------------------------------------------


class PolicyAdvancesView(PartnerListView):
    scopes = {"GET": READ}
    serializer_class = AdvanceOutput

    def get_queryset(self) -> QuerySet[Advance]:
        policy = selectors.policy_for_partner(self.partner_id, parse_uuid(self.kwargs["policy_id"]))
        if policy is None:
            raise NotFound("No such policy.")
        return selectors.advances_for_policy(policy)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([services.advance_data(a) for a in page or []])

    @extend_schema(
        operation_id="policies_advances_list",
        summary="List a policy's advances and their recoveries",
        description=(
            "Newest first: what the insurer advanced to consumers for upheld claims (先行垫付), "
            "each with the recovery the merchant owes back (追偿): due on `due_on` (the advance's "
            "Asia/Shanghai date + the product's `recovery_days`), overdue from `due_at`; status "
            "OPEN, OVERDUE (the shop is supervised until it is repaid), REPAID or CANCELLED. "
            "Seen by the shop's partner and the policy's insurer; anyone else gets 404."
        ),
        parameters=[RETRY_AFTER_HEADER],
        responses={200: AdvanceOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("a page", value=ex.ADVANCE, response_only=True)],
        tags=TAGS,
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class RecoveryRepaymentsView(PartnerAPIView):
    scopes = {"POST": MONEY}

    @extend_schema(
        operation_id="recoveries_repayments_create",
        summary="Record a repayment of an insurer's advance",
        description=(
            "A confirmed payment from the merchant towards a recovery; partial payments are "
            "allowed. 201 with the recovery: `outstanding_minor` falls, and the policy's "
            "remaining limit (and the deposit's guarantee) grows back by the amount. Repaid in "
            "full: `REPAID`, and a supervision of the shop for this recovery being overdue is "
            "lifted at once (`shop.status_changed`). 400 naming `amount_minor` above the "
            "outstanding amount, `currency` other than the recovery's; `409 duplicate_reference` "
            "for a `payment_ref` already credited, `invalid_state` once REPAID or CANCELLED. "
            "Nothing is written on any refusal."
        ),
        request=RepaymentInput,
        parameters=POST_PARAMETERS,
        responses={
            201: RecoveryOutput,
            **error_responses(*POST_ERRORS, conflicts=("invalid_state", "duplicate_reference")),
        },
        examples=[
            OpenApiExample(
                "repay part",
                value={
                    "amount_minor": 10000,
                    "currency": "CNY",
                    "payment_ref": "ALIPAY-20261105-77",
                },
                request_only=True,
            ),
            OpenApiExample(
                "partly repaid",
                value=ex.RECOVERY_PARTLY_REPAID,
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "repaid", value=ex.RECOVERY_REPAID, response_only=True, status_codes=["201"]
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: Request, recovery_id: str) -> HttpResponse:
        data = self.validated(RepaymentInput)
        recovery = selectors.recovery_for_partner(self.partner_id, parse_uuid(recovery_id))
        if recovery is None:
            raise NotFound("No such recovery.")

        def perform() -> tuple[int, Any]:
            repaid = services.recovery_repay(
                recovery_id=recovery.pk,
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                payment_ref=data["payment_ref"],
                now=timezone.now(),
            )
            return 201, services.recovery_data(repaid)

        return self.idempotent(perform)

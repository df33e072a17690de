"""Shop, deposit, ledger and hold endpoints (api-v1.md, "Shops and deposits").

One view per URL; each write is one POST method with its own input serializer, validated before
anything is stored, then one service call inside `PartnerAPIView.idempotent` (the durable
transaction that also holds the idempotency record). Ledger services get a per-partner ledger key
(`api:<partner>:<Idempotency-Key>`), so two partners' keys never collide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from common.errors import DomainError, InvalidInput, NotFound
from deposits import services
from deposits.api import examples as ex
from deposits.api.lookups import (
    AccountRef,
    account_for_partner,
    hold_for_partner,
    shop_for_partner,
)
from deposits.api.representations import (
    deposit_data,
    entry_data,
    hold_data,
    shop_data,
    withdrawal_data,
)
from deposits.api.serializers import (
    DeductionInput,
    EntryOutput,
    HoldCaptureInput,
    HoldListQuery,
    HoldOutput,
    HoldPlaceInput,
    HoldReleaseInput,
    PostingOutput,
    ShopCreateInput,
    ShopListQuery,
    ShopOutput,
    TopUpInput,
    WithdrawalInput,
    WithdrawalOutput,
    WithdrawalPayoutInput,
    WithdrawalPostingOutput,
)
from deposits.models import Account, Entry, Hold, LedgerTransaction, Withdrawal
from deposits.selectors import (
    entries_with_transactions_for_account_id,
    holds_for_account_id,
    shops_with_accounts_for_partner,
    withdrawal_for_partner,
)
from deposits.services import PostingResult, Receipt, ReceiptConflict
from partners import services as partner_services
from partners.api.base import STORED_ERROR_STATUSES, PartnerAPIView, json_response, render_json
from partners.api.errors import error_body
from partners.api.schema import (
    IDEMPOTENCY_KEY_PARAMETER,
    POST_ERRORS,
    READ_ERRORS,
    RETRY_AFTER_HEADER,
    error_responses,
)
from partners.api.views import PartnerListView
from partners.models import Scope
from shops.models import Shop

READ = Scope.SHOPS_READ
MONEY = Scope.DEPOSITS_WRITE
POST_PARAMETERS = [IDEMPOTENCY_KEY_PARAMETER, RETRY_AFTER_HEADER]


def _shop_payload(shop: Shop) -> dict[str, Any]:
    return shop_data(
        shop,
        account=shop.deposit_account,
        category_codes=[c.code for c in shop.categories.all()],
        restrictions=getattr(shop, "active_restrictions", []),
    )


def _posting_payload(result: PostingResult) -> dict[str, Any]:
    """{"entry", "deposit"}: the deposit's POSTED-bucket entry (null when the posting only
    moved the debt, e.g. allow_debt with nothing available) and the deposit after it."""
    tx = result.transaction
    entry = next(
        (
            e
            for e in tx.entries.all()
            if e.account_id == result.account.pk and e.bucket == Entry.Bucket.POSTED
        ),
        None,
    )
    return {
        "entry": entry_data(entry, transaction_id=tx.public_id) if entry else None,
        "deposit": deposit_data(result.account),
    }


def _posting_receipt(
    receipt: Receipt,
    account: Account,
    tx: LedgerTransaction,
    entry: Entry | None,
    error: DomainError | None,
) -> tuple[int, str] | None:
    """The response `_posting_payload` (or a stored refusal) would give, rendered before the
    posting with markers where only the posting knows the value (deposits_post fills
    them in): the same functions, the same key order, the same bytes."""
    if error is not None:
        if error.http_status not in STORED_ERROR_STATUSES:
            return None  # not an answer the API stores: the transaction path raises it
        return error.http_status, render_json(error_body(error.code, error.detail, error.fields))
    deposit = {
        name: value if name == "currency" else receipt.marker(name)
        for name, value in deposit_data(account).items()
    }
    shown = None
    if entry is not None:
        shown = entry_data(entry, transaction_id=tx.public_id)
        shown["id"] = receipt.marker("entry_id")
        shown["balance_after_minor"] = receipt.marker("balance_after_minor")
    return 201, render_json({"entry": shown, "deposit": deposit})


def _same_currency(ref: AccountRef, currency: str) -> None:
    if currency != ref.currency:
        raise InvalidInput(
            f"This deposit is held in {ref.currency}; the amount is in {currency}.",
            fields={"currency": [f"Must be {ref.currency}, the deposit's currency."]},
        )


# --- Shops ------------------------------------------------------------------------------------


class ShopsView(PartnerListView):
    scopes = {"GET": READ, "POST": Scope.SHOPS_WRITE}
    serializer_class = ShopOutput
    query_serializer_class = ShopListQuery

    def get_queryset(self) -> QuerySet[Shop]:
        query = self.validated(ShopListQuery, self.request.query_params.dict())
        return shops_with_accounts_for_partner(
            self.partner_id, status=query.get("status"), external_ref=query.get("external_ref")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([_shop_payload(shop) for shop in page or []])

    @extend_schema(
        operation_id="shops_list",
        summary="List shops",
        description="Your shops, newest first. Filter by `status` or your `external_ref`.",
        parameters=[ShopListQuery, RETRY_AFTER_HEADER],
        responses={200: ShopOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("a page", value=ex.SHOP, response_only=True)],
        tags=["shops"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="shops_create",
        summary="Register a shop",
        description=(
            "Registers a shop with its merchant and opens its deposit (ONBOARDING until the "
            "requirement is paid in full). The requirement follows from shop type, trademark "
            "status and categories. A merchant nobody can sign in for yet gets an e-mail at "
            "`merchant.email` inviting its owner to set a password for the dashboard (a "
            "single-use link, valid for 7 days; registering another shop after it expired "
            "sends a new one)."
        ),
        request=ShopCreateInput,
        parameters=POST_PARAMETERS,
        responses={201: ShopOutput, **error_responses(*POST_ERRORS)},
        examples=[
            OpenApiExample("register", value=ex.SHOP_CREATE, request_only=True),
            OpenApiExample(
                "registered", value=ex.SHOP_NEW, response_only=True, status_codes=["201"]
            ),
        ],
        tags=["shops"],
    )
    def post(self, request: Request) -> HttpResponse:
        data = self.validated(ShopCreateInput)

        def perform() -> tuple[int, Any]:
            shop, account = services.shop_register(
                merchant_email=data["merchant"]["email"],
                merchant_name=data["merchant"]["name"],
                name=data["name"],
                shop_type=data["shop_type"],
                trademark_status=data["trademark_status"],
                category_codes=data["categories"],
                external_ref=data["external_ref"],
                partner_id=self.partner_id,
                currency=data["currency"],
                now=timezone.now(),
                invite_owner=True,
            )
            codes = list(dict.fromkeys(data["categories"]))
            return 201, shop_data(shop, account=account, category_codes=codes, restrictions=[])

        return self.idempotent(perform)


class ShopDetailView(PartnerAPIView):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="shops_retrieve",
        summary="Get a shop with its deposit",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: ShopOutput, **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("shop", value=ex.SHOP, response_only=True)],
        tags=["shops"],
    )
    def get(self, request: Request, shop_id: str) -> Response:
        return Response(_shop_payload(shop_for_partner(self.partner_id, shop_id)))


class LedgerView(PartnerListView):
    scopes = {"GET": READ}
    serializer_class = EntryOutput

    def get_queryset(self) -> QuerySet[Entry]:
        ref = account_for_partner(self.partner_id, self.kwargs["shop_id"])
        return entries_with_transactions_for_account_id(ref.account_id)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            [entry_data(e, transaction_id=e.transaction.public_id) for e in page or []]
        )

    @extend_schema(
        operation_id="shops_ledger_list",
        summary="List a deposit's ledger entries",
        description="Entries on the shop's deposit, newest first (both buckets: POSTED, DEBT).",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: EntryOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("a page", value=ex.ENTRY, response_only=True)],
        tags=["deposits"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- Postings ---------------------------------------------------------------------------------


class LedgerPostView(PartnerAPIView):
    """A ledger operation: the account lock serialises duplicates and the ledger key replays
    them, so the idempotency record is stored after the work, in the same transaction."""

    idempotency_claim_first = False
    scopes = {"POST": MONEY}

    def posted_once(self, post: Callable[[Receipt | None], PostingResult]) -> HttpResponse:
        """`post(receipt)` runs the ledger service. On PostgreSQL it first runs with a `Receipt`:
        the idempotency record is stored by the posting's own call, in autocommit one round trip
        where BEGIN, posting, record and COMMIT were four. Whenever that call stores nothing (a
        replay, a key used before, a refusal the API does not store, a closed shop) it has
        written nothing, and the transaction path (`idempotent`) answers as it always has."""
        if connection.vendor == "postgresql":
            receipt = self.receipt()
            try:
                post(receipt)
            except (DomainError, ReceiptConflict):
                pass  # a stored refusal is answered below; anything else by the path below
            if receipt.stored is not None:
                status, body = receipt.stored
                return json_response(body, status)
        return self.idempotent(lambda: (201, _posting_payload(post(None))))

    def receipt(self) -> Receipt:
        request = self.request
        assert self.idempotency_key is not None
        method = request.method or "POST"
        return Receipt(
            partner_id=self.partner_id,
            key=self.idempotency_key,
            fingerprint=partner_services.request_fingerprint(
                method=method, path=request.path, data=request.data
            ),
            method=method,
            path=request.path,
            render=_posting_receipt,
        )


class TopUpView(LedgerPostView):
    @extend_schema(
        operation_id="shops_top_ups_create",
        summary="Top up a deposit",
        description=(
            "Credits a confirmed payment; a `payment_ref` credits once, whatever key is used. "
            "Any debt is paid off first. The first top-up that covers the requirement takes "
            "an onboarding shop live."
        ),
        request=TopUpInput,
        parameters=POST_PARAMETERS,
        responses={
            201: PostingOutput,
            **error_responses(*POST_ERRORS, conflicts=("duplicate_reference",)),
        },
        examples=[
            OpenApiExample("top up", value=ex.TOP_UP, request_only=True),
            OpenApiExample(
                "credited", value=ex.TOP_UP_RESULT, response_only=True, status_codes=["201"]
            ),
        ],
        tags=["deposits"],
    )
    def post(self, request: Request, shop_id: str) -> HttpResponse:
        data = self.validated(TopUpInput)
        ref = account_for_partner(self.partner_id, shop_id)
        _same_currency(ref, data["currency"])

        def top_up(receipt: Receipt | None) -> PostingResult:
            return services.deposit_top_up(
                account_id=ref.account_id,
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                payment_ref=data["payment_ref"],
                idempotency_key=self.ledger_key(),
                now=timezone.now(),
                snapshot=ref.snapshot,
                receipt=receipt,
            )

        return self.posted_once(top_up)


class DeductionView(LedgerPostView):
    @extend_schema(
        operation_id="shops_deductions_create",
        summary="Deduct from a deposit",
        description=(
            "Pays a consumer out of the deposit. `409 insufficient_funds` when available < "
            "amount, unless `allow_debt`: then the available part is deducted and the rest "
            "recorded as the merchant's debt (`entry` is null when nothing was available). "
            "A refusal is stored: the same key keeps returning it."
        ),
        request=DeductionInput,
        parameters=POST_PARAMETERS,
        responses={
            201: PostingOutput,
            **error_responses(*POST_ERRORS, conflicts=("insufficient_funds",)),
        },
        examples=[
            OpenApiExample("late shipment", value=ex.DEDUCTION, request_only=True),
            OpenApiExample(
                "deducted", value=ex.DEDUCTION_RESULT, response_only=True, status_codes=["201"]
            ),
        ],
        tags=["deposits"],
    )
    def post(self, request: Request, shop_id: str) -> HttpResponse:
        data = self.validated(DeductionInput)
        ref = account_for_partner(self.partner_id, shop_id)
        _same_currency(ref, data["currency"])

        def deduct(receipt: Receipt | None) -> PostingResult:
            return services.deposit_deduct(
                account_id=ref.account_id,
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                reason=data["reason"],
                reference=data["reference"],
                allow_debt=data["allow_debt"],
                idempotency_key=self.ledger_key(),
                now=timezone.now(),
                snapshot=ref.snapshot,
                receipt=receipt,
            )

        return self.posted_once(deduct)


class WithdrawalView(LedgerPostView):
    @extend_schema(
        operation_id="shops_withdrawals_create",
        summary="Withdraw surplus",
        description=(
            "Pays surplus back to the merchant. `409 insufficient_funds` above available, "
            "`409 would_cause_shortfall` when coverage would drop below the requirement. "
            "`withdrawal` is the payout: its reference (what the merchant quotes), status "
            "(REQUESTED, SENT, PAID, FAILED with `failure_reason`) and the bound account's last "
            "four digits."
        ),
        request=WithdrawalInput,
        parameters=POST_PARAMETERS,
        responses={
            201: WithdrawalPostingOutput,
            **error_responses(
                *POST_ERRORS, conflicts=("insufficient_funds", "would_cause_shortfall")
            ),
        },
        examples=[
            OpenApiExample(
                "withdraw", value={"amount_minor": 100000, "currency": "CNY"}, request_only=True
            ),
            OpenApiExample(
                "withdrawn", value=ex.WITHDRAWAL_RESULT, response_only=True, status_codes=["201"]
            ),
        ],
        tags=["deposits"],
    )
    def post(self, request: Request, shop_id: str) -> HttpResponse:
        data = self.validated(WithdrawalInput)
        ref = account_for_partner(self.partner_id, shop_id)
        _same_currency(ref, data["currency"])

        def perform() -> tuple[int, Any]:
            result = services.deposit_withdraw(
                account_id=ref.account_id,
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                idempotency_key=self.ledger_key(),
                now=timezone.now(),
            )
            payout = result.transaction.withdrawal
            return 201, {
                **_posting_payload(result),
                "withdrawal": {
                    "reference": payout.reference,
                    "status": payout.status,
                    "bank_account_tail": payout.bank_account_tail,
                    "failure_reason": payout.failure_reason,
                },
            }

        return self.idempotent(perform)


# --- Withdrawals' payouts (the payment partner) ------------------------------------------------


def _withdrawal_of_partner(partner_id: int, reference: str) -> Withdrawal:
    withdrawal = withdrawal_for_partner(partner_id=partner_id, reference=reference)
    if withdrawal is None:
        raise NotFound("No such withdrawal.")
    return withdrawal


class WithdrawalDetailView(PartnerAPIView):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="withdrawals_retrieve",
        summary="Get a withdrawal's payout",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: WithdrawalOutput, **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("payout", value=ex.WITHDRAWAL_PAYOUT, response_only=True)],
        tags=["deposits"],
    )
    def get(self, request: Request, reference: str) -> Response:
        withdrawal = _withdrawal_of_partner(self.partner_id, reference)
        return Response(
            withdrawal_data(withdrawal, shop_public_id=withdrawal.account.shop.public_id)
        )


class WithdrawalPayoutView(PartnerAPIView):
    scopes = {"POST": MONEY}

    @extend_schema(
        operation_id="withdrawals_payout_report",
        summary="Report a withdrawal's payout",
        description=(
            "The payment provider reports where the payout stands: SENT (to the bank, with the "
            "account's last four digits), PAID, or FAILED with a `reason` the merchant reads; "
            "a failed payout's amount goes back into the deposit. Reporting the state it is in "
            "again changes nothing; a report that does not follow (PAID after FAILED) is "
            "`409 invalid_state`."
        ),
        request=WithdrawalPayoutInput,
        parameters=POST_PARAMETERS,
        responses={
            200: WithdrawalOutput,
            **error_responses(*POST_ERRORS, conflicts=("invalid_state",)),
        },
        examples=[
            OpenApiExample(
                "sent",
                value={"status": "SENT", "provider_ref": "PO-77", "bank_account_tail": "6789"},
                request_only=True,
            ),
            OpenApiExample(
                "failed",
                value={"status": "FAILED", "reason": "The receiving account is closed."},
                request_only=True,
            ),
            OpenApiExample("payout", value=ex.WITHDRAWAL_PAYOUT, response_only=True),
        ],
        tags=["deposits"],
    )
    def post(self, request: Request, reference: str) -> HttpResponse:
        data = self.validated(WithdrawalPayoutInput)
        withdrawal = _withdrawal_of_partner(self.partner_id, reference)

        def perform() -> tuple[int, Any]:
            now = timezone.now()
            if data["status"] == "SENT":
                done = services.withdrawal_payout_sent(
                    reference=withdrawal.reference,
                    now=now,
                    provider_ref=data["provider_ref"],
                    bank_account_tail=data["bank_account_tail"],
                )
            elif data["status"] == "PAID":
                done = services.withdrawal_payout_paid(reference=withdrawal.reference, now=now)
            else:
                done = services.withdrawal_payout_failed(
                    reference=withdrawal.reference, reason=data["reason"], now=now
                )
            return 200, withdrawal_data(done, shop_public_id=withdrawal.account.shop.public_id)

        return self.idempotent(perform)


# --- Holds ------------------------------------------------------------------------------------


class ShopHoldsView(PartnerListView):
    scopes = {"GET": READ, "POST": MONEY}
    serializer_class = HoldOutput
    query_serializer_class = HoldListQuery
    idempotency_claim_first = False

    def get_queryset(self) -> QuerySet[Hold]:
        query = self.validated(HoldListQuery, self.request.query_params.dict())
        ref = account_for_partner(self.partner_id, self.kwargs["shop_id"])
        return holds_for_account_id(ref.account_id, status=query.get("status"))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        shop_id = str(self.kwargs["shop_id"])
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(
            [hold_data(h, shop_public_id=shop_id) for h in page or []]
        )

    @extend_schema(
        operation_id="shops_holds_list",
        summary="List a shop's holds",
        parameters=[HoldListQuery, RETRY_AFTER_HEADER],
        responses={200: HoldOutput(many=True), **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("a page", value=ex.HOLD, response_only=True)],
        tags=["holds"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="shops_holds_create",
        summary="Place a hold",
        description=(
            "Reserves part of the available deposit for an open claim until it is captured, "
            "released, or expires at `expires_at`. `409 insufficient_funds` when available < "
            "amount."
        ),
        request=HoldPlaceInput,
        parameters=POST_PARAMETERS,
        responses={
            201: HoldOutput,
            **error_responses(*POST_ERRORS, conflicts=("insufficient_funds",)),
        },
        examples=[
            OpenApiExample("hold for a claim", value=ex.HOLD_PLACE, request_only=True),
            OpenApiExample("placed", value=ex.HOLD, response_only=True, status_codes=["201"]),
        ],
        tags=["holds"],
    )
    def post(self, request: Request, shop_id: str) -> HttpResponse:
        data = self.validated(HoldPlaceInput)
        ref = account_for_partner(self.partner_id, shop_id)
        _same_currency(ref, data["currency"])

        def perform() -> tuple[int, Any]:
            hold = services.hold_place(
                account_id=ref.account_id,
                amount_minor=data["amount_minor"],
                currency=data["currency"],
                reason=data["reason"],
                reference=data["reference"],
                expires_at=data["expires_at"],
                idempotency_key=self.ledger_key(),
                now=timezone.now(),
            )
            return 201, hold_data(hold, shop_public_id=shop_id)

        return self.idempotent(perform)


class HoldDetailView(PartnerAPIView):
    scopes = {"GET": READ}

    @extend_schema(
        operation_id="holds_retrieve",
        summary="Get a hold",
        parameters=[RETRY_AFTER_HEADER],
        responses={200: HoldOutput, **error_responses(*READ_ERRORS)},
        examples=[OpenApiExample("hold", value=ex.HOLD, response_only=True)],
        tags=["holds"],
    )
    def get(self, request: Request, hold_id: str) -> Response:
        hold, shop_public_id = hold_for_partner(self.partner_id, hold_id)
        return Response(hold_data(hold, shop_public_id=shop_public_id))


class HoldCaptureView(LedgerPostView):
    @extend_schema(
        operation_id="holds_capture",
        summary="Capture a hold",
        description=(
            "Pays out `amount_minor` (at most the held amount; default all) to the consumer; "
            "any remainder is released. 200 with the hold CAPTURED; `409 hold_not_active` when "
            "it was already captured, released or expired."
        ),
        request=HoldCaptureInput,
        parameters=POST_PARAMETERS,
        responses={
            200: HoldOutput,
            **error_responses(*POST_ERRORS, conflicts=("hold_not_active",)),
        },
        examples=[
            OpenApiExample("capture part", value={"amount_minor": 30000}, request_only=True),
            OpenApiExample("captured", value=ex.HOLD_CAPTURED, response_only=True),
        ],
        tags=["holds"],
    )
    def post(self, request: Request, hold_id: str) -> HttpResponse:
        data = self.validated(HoldCaptureInput)
        hold, shop_public_id = hold_for_partner(self.partner_id, hold_id)

        def perform() -> tuple[int, Any]:
            captured = services.hold_capture(
                hold_id=hold.pk,
                amount_minor=data.get("amount_minor"),
                idempotency_key=self.ledger_key(),
                now=timezone.now(),
            )
            return 200, hold_data(captured, shop_public_id=shop_public_id)

        return self.idempotent(perform)


class HoldReleaseView(LedgerPostView):
    @extend_schema(
        operation_id="holds_release",
        summary="Release a hold",
        description="Frees the held amount. 200 with the hold RELEASED; `409 hold_not_active`.",
        request=HoldReleaseInput,
        parameters=POST_PARAMETERS,
        responses={
            200: HoldOutput,
            **error_responses(*POST_ERRORS, conflicts=("hold_not_active",)),
        },
        examples=[OpenApiExample("released", value=ex.HOLD_RELEASED, response_only=True)],
        tags=["holds"],
    )
    def post(self, request: Request, hold_id: str) -> HttpResponse:
        self.validated(HoldReleaseInput)
        hold, shop_public_id = hold_for_partner(self.partner_id, hold_id)

        def perform() -> tuple[int, Any]:
            released = services.hold_release(
                hold_id=hold.pk, idempotency_key=self.ledger_key(), now=timezone.now()
            )
            return 200, hold_data(released, shop_public_id=shop_public_id)

        return self.idempotent(perform)

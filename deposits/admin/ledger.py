"""The ledger's own rows: transactions, entries, holds, adjustment requests and ledger checks.
Read-only (the database refuses changes anyway); reversing, releasing and deciding are actions
that call services."""

from __future__ import annotations

import uuid

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from common.admin import (
    ON_STATEMENT,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ReasonActionForm,
    StatementReasonActionForm,
    fields_with_money,
    money_column,
    service_action,
)
from deposits import services
from deposits.exports import LedgerEntryResource
from deposits.models import AdjustmentRequest, Entry, Hold, LedgerCheckRun, LedgerTransaction
from shops.admin_exports import ExportableAdmin


class TransactionEntryInline(ReadOnlyInline):
    model = Entry
    fk_name = "transaction"
    fields = ["account", "bucket", "amount", "balance_after"]
    amount = money_column("amount_minor", _("amount"))
    balance_after = money_column("balance_after_minor", _("balance after"))


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "occurred_at",
        "kind",
        "status",
        "error_code",
        "account",
        "requested",
        "reason",
        "reference",
        "actor",
    ]
    list_filter = ["kind", "status", "currency", "occurred_at"]
    search_fields = [
        "idempotency_key",
        "reference",
        "payment_ref",
        "reason",
        "account__shop__name",
        "public_id",
    ]
    list_select_related = ["account__shop", "actor"]
    date_hierarchy = "occurred_at"
    requested = money_column("amount_minor", _("requested amount"))
    fields = fields_with_money(LedgerTransaction, amount_minor="requested")
    readonly_fields = fields
    inlines = [TransactionEntryInline]
    action_form = StatementReasonActionForm  # the reversal's entry reads "撤销: <reason>"
    actions = ["reverse"]

    reverse = service_action(
        _("Reverse (撤销) by a new entry — reason required"),
        done=_("reversed"),
        call=lambda tx, act: services.transaction_reverse(
            transaction_id=tx.pk,
            reason=act.reason,
            actor=act.actor,
            # A key per click, as for refunds: a transaction is reversed at most once by the
            # database (unique `reverses`), not by the key.
            idempotency_key=f"admin-reverse:{tx.pk}:{uuid.uuid4()}",
            now=act.now,
        ),
        seen=ON_STATEMENT,
    )


@admin.register(Entry)
class EntryAdmin(ExportableAdmin, ReadOnlyAdmin):
    export_resource = LedgerEntryResource
    export_permission = "shops.export_ledger"
    export_select_related = ("account__shop", "actor")
    list_display = [
        "id",
        "occurred_at",
        "account",
        "kind",
        "bucket",
        "amount",
        "balance_after",
        "reason",
        "reference",
    ]
    list_filter = ["kind", "bucket", "currency", "account__kind", "occurred_at"]
    search_fields = ["reference", "reason", "account__shop__name", "transaction__idempotency_key"]
    list_select_related = ["account__shop"]
    date_hierarchy = "occurred_at"
    amount = money_column("amount_minor", _("amount"))
    balance_after = money_column("balance_after_minor", _("balance after"))
    fields = fields_with_money(Entry, amount_minor="amount", balance_after_minor="balance_after")
    readonly_fields = fields


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    """Holds resolve only through services (the release action here, capture by the API)."""

    list_display = [
        "public_id",
        "account",
        "status",
        "amount",
        "captured",
        "reason",
        "reference",
        "expires_at",
    ]
    list_filter = ["status", "currency", "expires_at"]
    search_fields = ["public_id", "reference", "reason", "account__shop__name"]
    list_select_related = ["account__shop"]
    amount = money_column("amount_minor", _("amount"))
    captured = money_column("captured_minor", _("captured"))
    fields = fields_with_money(Hold, amount_minor="amount", captured_minor="captured")
    readonly_fields = fields
    actions = ["release"]

    release = service_action(
        _("Release the hold (解冻)"),
        done=_("released"),
        reason_required=False,
        call=lambda h, act: services.hold_release(
            hold_id=h.pk, actor=act.actor, idempotency_key=f"admin-release:{h.pk}", now=act.now
        ),
    )


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ReadOnlyAdmin):
    """Requested by the account's "Adjust" action; decided here or on the four-eyes list (the
    same rows: approvals.FourEyesRequest of action "deposits.adjustment")."""

    list_display = [
        "id",
        "subject_label",
        "amount",
        "status",
        "why",
        "maker",
        "checker",
        "made_at",
    ]
    list_filter = ["status", "why"]
    search_fields = ["subject_label", "reason"]
    list_select_related = ["maker", "checker"]
    amount = money_column("amount_minor", _("amount (signed)"))
    fields = [
        "subject_label",
        "amount",
        "status",
        "why",
        "reason",
        "maker",
        "made_at",
        "expires_at",
        "checker",
        "checked_at",
        "check_note",
        "result",
    ]
    readonly_fields = fields
    action_form = ReasonActionForm
    actions = ["approve", "reject"]

    approve = service_action(
        _("Approve and post (a different person than the requester)"),
        done=_("approved and posted"),
        reason_required=False,
        call=lambda r, act: services.adjustment_approve(
            request_id=r.pk, actor=act.actor, now=act.now, note=act.reason
        ),
    )
    reject = service_action(
        _("Reject — reason required"),
        done=_("rejected"),
        call=lambda r, act: services.adjustment_reject(
            request_id=r.pk, actor=act.actor, now=act.now, note=act.reason
        ),
    )
    # The second person is the supervisor (approvals.approve_request), as on the four-eyes list.
    approve.allowed_permissions = ("approve_request",)  # type: ignore[attr-defined]
    reject.allowed_permissions = ("approve_request",)  # type: ignore[attr-defined]

    def has_approve_request_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("approvals.approve_request")


@admin.register(LedgerCheckRun)
class LedgerCheckRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "result", "summary"]
    list_filter = ["ok"]

    @admin.display(description=_("result"))
    def result(self, run: LedgerCheckRun) -> str:
        colour = "#047857" if run.ok else "#b91c1c"
        return format_html('<b style="color:{}">{}</b>', colour, "OK" if run.ok else "FAILED")

"""Ops screens for deposits: follow a shop's money, act on it through services, edit the rules.

Ledger rows are read-only here (the database refuses changes anyway); every action calls a
service with the acting user and a reason, and a refusal is an admin message.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from common.admin import (
    AmountReasonActionForm,
    ReadOnlyAdmin,
    ReasonActionForm,
    act_on_each,
    action_reason,
    apply_to_each,
)
from common.errors import DomainError
from common.money import Money, format_minor
from deposits import services
from deposits.models import (
    Account,
    AdjustmentRequest,
    BaseRequirementRule,
    CategoryRequirementRule,
    Entry,
    GmvRequirementSchedule,
    Hold,
    LedgerCheckRun,
    LedgerTransaction,
    RuleChange,
    ShopRequirementOverride,
)
from deposits.selectors import requirement_explanation


def _money(amount: int | None, currency: str) -> str:
    return "—" if amount is None else f"{format_minor(amount, currency)} {currency}"


def _money_column(field: str, description: Any) -> Any:
    """An admin column or read-only field showing `field` (minor units) as money in the row's
    currency: ops read "4,730.00 CNY", never 473000."""

    @admin.display(description=description, ordering=field)
    def show(self: Any, obj: Any) -> str:
        currency = getattr(obj, "currency", None) or obj.account.currency
        return _money(getattr(obj, field), currency)

    return show


def _fields_as_money(model: Any, **columns: str) -> list[str]:
    """Every field of `model` for a read-only detail page, with the money fields (`*_minor`)
    replaced by the named _money_column of the admin."""
    return [columns.get(f.name, f.name) for f in model._meta.fields]


class EntryInline(TabularInline):
    model = Entry
    fk_name = "account"
    extra = 0
    can_delete = False
    ordering = ["-id"]
    fields = ["occurred_at", "kind", "bucket", "amount", "balance_after", "reason", "reference"]
    readonly_fields = fields
    verbose_name_plural = _("Ledger entries (newest first)")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("amount"))
    def amount(self, entry: Entry) -> str:
        return _money(entry.amount_minor, entry.currency)

    @admin.display(description=_("balance after"))
    def balance_after(self, entry: Entry) -> str:
        return _money(entry.balance_after_minor, entry.currency)


class HoldInline(TabularInline):
    model = Hold
    extra = 0
    can_delete = False
    fields = ["status", "amount", "captured", "reason", "reference", "expires_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("amount"))
    def amount(self, hold: Hold) -> str:
        return _money(hold.amount_minor, hold.currency)

    @admin.display(description=_("captured"))
    def captured(self, hold: Hold) -> str:
        return _money(hold.captured_minor, hold.currency)


@admin.register(Account)
class AccountAdmin(ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "currency",
        "required",
        "posted",
        "held",
        "available",
        "debt",
        "shortfall",
    ]
    list_filter = ["kind", "currency", "shop__status"]
    search_fields = ["shop__name", "shop__external_ref", "shop__public_id", "system_code"]
    list_select_related = ["shop"]
    readonly_fields = [
        "kind",
        "shop",
        "system_code",
        "currency",
        "posted",
        "held",
        "available",
        "debt",
        "required",
        "guaranteed",
        "shortfall",
        "why_required",
        "requirement_basis",
        "recent_gmv_minor",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [HoldInline, EntryInline]

    # The model's field (the raw JSON, kept below for the record) is already called "why this
    # requirement"; this is the same, in words.
    @admin.display(description=_("why this requirement, in words"))
    def why_required(self, a: Account) -> str:
        """The cached basis in words, as the merchant's dashboard says it (the JSON stays below
        for the record)."""
        if a.kind != Account.Kind.DEPOSIT or not a.requirement_basis:
            return "—"
        explained = requirement_explanation(a.requirement_basis, language=get_language() or "en")
        lines = format_html_join(
            "",
            "<li>{}{} — {} · {}</li>",
            (
                (
                    "★ " if row["deciding"] else "",
                    row["category"],
                    row["rule"],
                    _money(row["amount_minor"], a.currency),
                )
                for row in explained["rows"]
            ),
        )
        return format_html("<p>{}</p><ul>{}</ul>", explained["text"], lines)

    action_form = AmountReasonActionForm
    actions = ["adjust", "forfeit", "refund_on_exit", "recompute_requirement"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts open with their shop

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # balances move only through the actions below (services)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("posted"))
    def posted(self, a: Account) -> str:
        if a.kind == Account.Kind.SYSTEM:
            # System accounts keep no cached balance (no hot row): show the sum of their entries.
            total = a.entries.aggregate(total=Sum("amount_minor"))["total"] or 0
            return _money(total, a.currency)
        return _money(a.posted_minor, a.currency)

    @admin.display(description=_("held"))
    def held(self, a: Account) -> str:
        return _money(a.held_minor, a.currency)

    @admin.display(description=_("available"))
    def available(self, a: Account) -> str:
        return _money(a.available_minor, a.currency)

    @admin.display(description=_("debt"))
    def debt(self, a: Account) -> str:
        return _money(a.debt_minor, a.currency)

    @admin.display(description=_("required"))
    def required(self, a: Account) -> str:
        return _money(a.required_minor, a.currency)

    @admin.display(description=_("guaranteed"))
    def guaranteed(self, a: Account) -> str:
        return _money(a.guaranteed_minor, a.currency)

    @admin.display(description=_("shortfall"))
    def shortfall(self, a: Account) -> str:
        if a.kind != Account.Kind.DEPOSIT or not a.shortfall_minor:
            return "—"
        return format_html('<b style="color:#b91c1c">{}</b>', _money(a.shortfall_minor, a.currency))

    @admin.action(description=_("Adjust balance by Amount (signed) — reason required"))
    def adjust(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        reason = action_reason(request)
        if reason is None:
            return

        def one(account: Account) -> str:
            amount = Money.parse(request.POST.get("amount", ""), account.currency)
            result = services.deposit_adjust(
                account_id=account.pk,
                amount_minor=amount.amount_minor,
                reason=reason,
                actor=request.user,
                idempotency_key=f"admin-adjust:{uuid.uuid4()}",
                now=timezone.now(),
            )
            if isinstance(result, AdjustmentRequest):
                return str(_("above the approval threshold: waiting for a second person"))
            return str(_("adjusted by %(amount)s") % {"amount": amount})

        apply_to_each(request, queryset, one)

    @admin.action(description=_("Forfeit the available deposit (罚没) — reason required"))
    def forfeit(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        if request.POST.get("amount", "").strip():
            # The Amount box serves Adjust; a forfeiture that quietly took everything while ops
            # had typed a smaller amount would be the worst kind of surprise.
            messages.error(
                request,
                _(
                    "A forfeiture takes the whole available deposit: leave Amount empty. To take "
                    "part of it, use Adjust with a negative amount."
                ),
            )
            return
        reason = action_reason(request)
        if reason is None:
            return
        act_on_each(
            request,
            queryset,
            lambda a: services.deposit_forfeit(
                account_id=a.pk,
                reason=reason,
                actor=request.user,
                idempotency_key=f"admin-forfeit:{uuid.uuid4()}",
                now=timezone.now(),
            ),
            str(_("forfeited")),
        )

    @admin.action(description=_("Refund the deposit of a closed shop"))
    def refund_on_exit(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        act_on_each(
            request,
            queryset,
            lambda a: services.deposit_refund_on_exit(
                account_id=a.pk,
                actor=request.user,
                # A key per click: a refusal ("holds must be resolved first") is stored under
                # its key, and a fixed key would refuse every later click. A second refund
                # cannot happen anyway: the first takes everything.
                idempotency_key=f"exit-refund:{a.pk}:{uuid.uuid4()}",
                now=timezone.now(),
            ),
            str(_("refunded")),
        )

    @admin.action(description=_("Recompute the requirement from the rules in force"))
    def recompute_requirement(self, request: HttpRequest, queryset: QuerySet[Account]) -> None:
        shop_ids = [a.shop_id for a in queryset if a.shop_id]
        done, changed = services.requirements_recompute(
            now=timezone.now(),
            shop_ids=shop_ids,
            actor=request.user,
            description=f"Manual recompute of {len(shop_ids)} shop(s) from the admin",
        )
        messages.success(
            request,
            _("%(done)d recomputed, %(changed)d changed.") % {"done": done, "changed": changed},
        )


class TransactionEntryInline(TabularInline):
    model = Entry
    fk_name = "transaction"
    extra = 0
    can_delete = False
    fields = ["account", "bucket", "amount", "balance_after"]
    readonly_fields = fields
    amount = _money_column("amount_minor", _("amount"))
    balance_after = _money_column("balance_after_minor", _("balance after"))

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    @admin.display(description=_("requested amount"), ordering="amount_minor")
    def requested(self, tx: LedgerTransaction) -> str:
        return _money(tx.amount_minor, tx.currency)

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
    fields = _fields_as_money(LedgerTransaction, amount_minor="requested")
    readonly_fields = fields
    inlines = [TransactionEntryInline]
    action_form = ReasonActionForm
    actions = ["reverse"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Reverse (撤销) by a new entry — reason required"))
    def reverse(self, request: HttpRequest, queryset: QuerySet[LedgerTransaction]) -> None:
        reason = action_reason(request)
        if reason is None:
            return
        act_on_each(
            request,
            queryset,
            lambda tx: services.transaction_reverse(
                transaction_id=tx.pk,
                reason=reason,
                actor=request.user,
                # A key per click, as for refunds: a transaction is reversed at most once by
                # the database (unique `reverses`), not by the key.
                idempotency_key=f"admin-reverse:{tx.pk}:{uuid.uuid4()}",
                now=timezone.now(),
            ),
            str(_("reversed")),
        )


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
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
    amount = _money_column("amount_minor", _("amount"))
    balance_after = _money_column("balance_after_minor", _("balance after"))
    fields = _fields_as_money(Entry, amount_minor="amount", balance_after_minor="balance_after")
    readonly_fields = fields


@admin.register(Hold)
class HoldAdmin(ModelAdmin):
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
    amount = _money_column("amount_minor", _("amount"))
    captured = _money_column("captured_minor", _("captured"))
    readonly_fields = [
        {"amount_minor": "amount", "captured_minor": "captured"}.get(f.name, f.name)
        for f in Hold._meta.fields
    ]
    fields = readonly_fields
    actions = ["release"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # holds resolve only through services (release action, capture API)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Release the hold (解冻)"))
    def release(self, request: HttpRequest, queryset: QuerySet[Hold]) -> None:
        act_on_each(
            request,
            queryset,
            lambda h: services.hold_release(
                hold_id=h.pk,
                actor=request.user,
                idempotency_key=f"admin-release:{h.pk}",
                now=timezone.now(),
            ),
            str(_("released")),
        )


@admin.register(AdjustmentRequest)
class AdjustmentRequestAdmin(ModelAdmin):
    list_display = [
        "id",
        "account",
        "amount",
        "status",
        "requested_by",
        "decided_by",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["account__shop__name", "reason"]
    list_select_related = ["account__shop", "requested_by", "decided_by"]
    amount = _money_column("amount_minor", _("amount (signed)"))
    readonly_fields = [
        "amount" if f.name == "amount_minor" else f.name for f in AdjustmentRequest._meta.fields
    ]
    fields = readonly_fields
    action_form = ReasonActionForm
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requested from the account's "Adjust" action

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # decided by the approve/reject actions

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Approve and post (a different person than the requester)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[AdjustmentRequest]) -> None:
        act_on_each(
            request,
            queryset,
            lambda r: services.adjustment_approve(
                request_id=r.pk,
                actor=request.user,
                now=timezone.now(),
                note=request.POST.get("reason", ""),
            ),
            str(_("approved and posted")),
        )

    @admin.action(description=_("Reject — reason required"))
    def reject(self, request: HttpRequest, queryset: QuerySet[AdjustmentRequest]) -> None:
        reason = action_reason(request)
        if reason is None:
            return
        act_on_each(
            request,
            queryset,
            lambda r: services.adjustment_reject(
                request_id=r.pk, actor=request.user, now=timezone.now(), note=reason
            ),
            str(_("rejected")),
        )


class RuleAdmin(ModelAdmin):
    """Rules are versioned: a row in force is read-only; change it by adding a newer row."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.effective_from <= timezone.now():
            return [f.name for f in self.model._meta.fields]
        return ["created_by", "created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.effective_from > timezone.now()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if obj.effective_from <= timezone.now():
            try:
                done, changed = services.requirements_recompute(
                    now=timezone.now(),
                    actor=request.user,
                    description=(
                        f"{'Changed' if change else 'Added'} {obj._meta.verbose_name}: {obj}"
                    ),
                )
            except DomainError as exc:
                messages.error(request, exc.detail)
            else:
                messages.info(
                    request,
                    _("Requirements recomputed for %(done)d shops; %(changed)d changed.")
                    % {"done": done, "changed": changed},
                )
        else:
            messages.info(
                request,
                _(
                    "This rule takes effect on %(when)s; shops are recomputed then by the "
                    "periodic recompute (or the admin action)."
                )
                % {"when": obj.effective_from},
            )


@admin.register(BaseRequirementRule)
class BaseRequirementRuleAdmin(RuleAdmin):
    list_display = [
        "shop_type",
        "trademark_status",
        "amount",
        "effective_from",
        "note",
        "created_by",
    ]
    amount = _money_column("amount_minor", _("amount"))
    list_filter = ["shop_type", "trademark_status", "currency"]
    search_fields = ["note"]


@admin.register(CategoryRequirementRule)
class CategoryRequirementRuleAdmin(RuleAdmin):
    list_display = [
        "category",
        "shop_type",
        "trademark_status",
        "amount",
        "effective_from",
        "note",
    ]
    amount = _money_column("amount_minor", _("amount"))
    list_filter = ["category", "shop_type", "trademark_status", "currency"]
    search_fields = ["category__code", "category__name_zh", "note"]


@admin.register(GmvRequirementSchedule)
class GmvRequirementScheduleAdmin(RuleAdmin):
    list_display = ["effective_from", "enabled", "currency", "tiers", "note"]
    list_filter = ["enabled", "currency"]
    search_fields = ["note"]


@admin.register(ShopRequirementOverride)
class ShopRequirementOverrideAdmin(ModelAdmin):
    list_display = ["shop", "amount", "reason", "effective_from", "expires_at", "created_by"]
    list_select_related = ["shop", "created_by"]

    @admin.display(description=_("amount"), ordering="amount_minor")
    def amount(self, override: Any) -> str:
        return _money(override.amount_minor, override.shop.currency)

    search_fields = ["shop__name", "reason"]
    autocomplete_fields = ["shop"]
    fields = ["shop", "amount_minor", "reason", "expires_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = services.override_set(
            shop=obj.shop,
            amount_minor=obj.amount_minor,
            reason=obj.reason,
            actor=request.user,
            now=timezone.now(),
            expires_at=obj.expires_at,
        )
        obj.pk = created.pk


@admin.register(RuleChange)
class RuleChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "description", "shops_recomputed", "shops_changed"]
    search_fields = ["description"]


@admin.register(LedgerCheckRun)
class LedgerCheckRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "result", "summary"]
    list_filter = ["ok"]

    @admin.display(description=_("result"))
    def result(self, run: LedgerCheckRun) -> str:
        colour = "#047857" if run.ok else "#b91c1c"
        return format_html('<b style="color:{}">{}</b>', colour, "OK" if run.ok else "FAILED")


# --- Guarantees and shortfall enforcement -------------------------------------------------------

from deposits.models import (  # noqa: E402
    Guarantee,
    ShortfallCase,
    ShortfallLadderStep,
    ShortfallReview,
    ShortfallStep,
)
from shops.models import Notification  # noqa: E402


@admin.register(Guarantee)
class GuaranteeAdmin(ModelAdmin):
    """Insurance registers its policies through the service; ops may add a bank guarantee here."""

    list_display = [
        "source_ref",
        "account",
        "amount",
        "status",
        "in_coverage",
        "valid_from",
        "valid_to",
        "ended_at",
    ]
    list_filter = ["status", "source_kind", "in_coverage", "currency"]
    search_fields = ["source_ref", "account__shop__name", "account__shop__external_ref", "note"]
    list_select_related = ["account__shop"]
    autocomplete_fields = ["account"]
    fields = [
        "account",
        "source_kind",
        "source_ref",
        "amount_minor",
        "currency",
        "valid_from",
        "valid_to",
        "note",
    ]
    action_form = ReasonActionForm
    actions = ["withdraw"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [f.name for f in Guarantee._meta.fields]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return self.fields
        return [f.name for f in Guarantee._meta.fields if f.name != "id"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("amount"))
    def amount(self, g: Guarantee) -> str:
        return _money(g.amount_minor, g.currency)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        created = services.guarantee_register(
            account_id=obj.account_id,
            amount_minor=obj.amount_minor,
            currency=obj.currency,
            valid_from=obj.valid_from,
            valid_to=obj.valid_to,
            source_kind=obj.source_kind,
            source_ref=obj.source_ref,
            note=obj.note,
            actor=request.user,
            now=timezone.now(),
        )
        obj.pk = created.pk

    @admin.action(description=_("Withdraw (coverage drops at once) — reason required"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Guarantee]) -> None:
        reason = action_reason(request)
        if reason is None:
            return
        act_on_each(
            request,
            queryset,
            lambda g: services.guarantee_withdraw(
                guarantee_id=g.pk, reason=reason, actor=request.user, now=timezone.now()
            ),
            str(_("withdrawn")),
        )


@admin.register(ShortfallLadderStep)
class ShortfallLadderStepAdmin(ModelAdmin):
    """The enforcement ladder. A case keeps the plan it opened with: edits apply to new cases."""

    list_display = [
        "code",
        "delay",
        "action",
        "restriction_kind",
        "reminder_lead",
        "is_active",
        "position",
        "updated_at",
    ]
    list_editable = ["is_active"]
    list_filter = ["action", "is_active"]
    search_fields = ["code", "note"]
    fields = [
        "code",
        "position",
        "delay",
        "action",
        "restriction_kind",
        "reminder_lead",
        "is_active",
        "note",
    ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        messages.info(
            request,
            _(
                "Open shortfall cases keep their deadlines; the change applies to cases "
                "opened from now on."
            ),
        )


class ShortfallStepInline(TabularInline):
    model = ShortfallStep
    extra = 0
    can_delete = False
    fields = [
        "position",
        "code",
        "action",
        "restriction_kind",
        "due_at",
        "applied_at",
        "restriction_record",
    ]
    readonly_fields = fields
    verbose_name_plural = _("Steps applied")

    # The model names both the kind and the row "restriction"; two columns with one heading
    # left ops guessing which was which.
    @admin.display(description=_("restriction record"))
    def restriction_record(self, step: ShortfallStep) -> str:
        return str(step.restriction) if step.restriction_id else "—"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ShortfallCase)
class ShortfallCaseAdmin(ModelAdmin):
    list_display = [
        "id",
        "shop",
        "status",
        "shortfall_now",
        "opened_at",
        "step",
        "next_due_at",
        "resolved_at",
        "resolution",
    ]
    list_filter = ["status", "resolution", "step", "opened_at"]
    search_fields = ["shop__name", "shop__external_ref", "shop__public_id"]
    list_select_related = ["shop"]
    date_hierarchy = "opened_at"
    readonly_fields = [
        "shop",
        "account",
        "status",
        "currency",
        "opened_at",
        "announced_at",
        "amount_at_open",
        "amount_now",
        "required_at_open",
        "available_at_open",
        "posted_at_open",
        "guaranteed_at_open",
        "debt_at_open",
        "deadlines",
        "step",
        "next_due_at",
        "next_reminder_at",
        "resolved_at",
        "resolution",
        "resolution_note",
        "resolved_by",
    ]
    fields = readonly_fields
    amount_at_open = _money_column("amount_at_open_minor", _("shortfall at opening"))
    amount_now = _money_column("amount_minor", _("shortfall now"))
    required_at_open = _money_column("required_at_open_minor", _("required at opening"))
    available_at_open = _money_column("available_at_open_minor", _("available at opening"))
    posted_at_open = _money_column("posted_at_open_minor", _("paid in at opening"))
    guaranteed_at_open = _money_column("guaranteed_at_open_minor", _("guaranteed at opening"))
    debt_at_open = _money_column("debt_at_open_minor", _("debt at opening"))
    inlines = [ShortfallStepInline]
    action_form = ReasonActionForm
    actions = ["evaluate_now", "resolve_by_hand"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("shortfall"))
    def shortfall_now(self, case: ShortfallCase) -> str:
        return _money(case.amount_minor, case.currency)

    @admin.display(description=_("plan (deadlines fixed at opening)"))
    def deadlines(self, case: ShortfallCase) -> str:
        rows = [
            format_html(
                "<li>{} {} — {}{}</li>",
                "✓" if item["position"] < case.step else "·",
                # In the page's time zone and format, like every other time on it (the plan
                # keeps its moments as UTC text).
                date_format(
                    timezone.localtime(datetime.fromisoformat(item["due_at"])), "DATETIME_FORMAT"
                ),
                item["code"],
                f" ({item['kind']})" if item.get("kind") else "",
            )
            for item in case.plan
        ]
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((row,) for row in rows)))

    @admin.action(description=_("Evaluate now (apply what is due, resolve if restored)"))
    def evaluate_now(self, request: HttpRequest, queryset: QuerySet[ShortfallCase]) -> None:
        apply_to_each(
            request,
            queryset,
            lambda case: str(
                services.shortfall_evaluate(
                    shop_id=case.shop_id, now=timezone.now(), actor=request.user
                ).resolved
                or _("evaluated")
            ),
        )

    @admin.action(
        description=_(
            "Resolve by hand, lifting its restrictions — reason required (a new case opens "
            "if the deposit is still short)"
        )
    )
    def resolve_by_hand(self, request: HttpRequest, queryset: QuerySet[ShortfallCase]) -> None:
        reason = action_reason(request)
        if reason is None:
            return
        act_on_each(
            request,
            queryset,
            lambda case: services.shortfall_case_resolve_by_ops(
                case_id=case.pk, note=reason, actor=request.user, now=timezone.now()
            ),
            str(_("resolved")),
        )


@admin.register(ShortfallStep)
class ShortfallStepAdmin(ReadOnlyAdmin):
    list_display = ["case", "code", "action", "restriction_kind", "due_at", "applied_at"]
    list_filter = ["code", "action", "applied_at"]
    search_fields = ["case__shop__name", "case__shop__external_ref"]
    list_select_related = ["case__shop"]


@admin.register(ShortfallReview)
class ShortfallReviewAdmin(ModelAdmin):
    """The ops review queue: shops short for 30 days. Closure is never automatic: decide here,
    then freeze or start the exit from the shop's page."""

    list_display = ["shop", "status", "opened_at", "shortfall_now", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["shop__name", "shop__external_ref", "decision_note"]
    list_select_related = ["shop", "case", "decided_by"]
    readonly_fields = [f.name for f in ShortfallReview._meta.fields]
    action_form = ReasonActionForm
    actions = ["keep_enforcing", "start_closure"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("shortfall"))
    def shortfall_now(self, review: ShortfallReview) -> str:
        return _money(review.case.amount_minor, review.case.currency)

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[ShortfallReview], decision: str
    ) -> None:
        reason = action_reason(request)
        if reason is None:
            return
        act_on_each(
            request,
            queryset,
            lambda review: services.shortfall_review_decide(
                review_id=review.pk,
                decision=decision,
                note=reason,
                actor=request.user,
                now=timezone.now(),
            ),
            str(_("decided")),
        )

    @admin.action(description=_("Keep the shop, keep enforcing — reason required"))
    def keep_enforcing(self, request: HttpRequest, queryset: QuerySet[ShortfallReview]) -> None:
        self._decide(request, queryset, ShortfallReview.Status.CONTINUE)

    @admin.action(description=_("Closure to be started (by hand, via the exit) — reason required"))
    def start_closure(self, request: HttpRequest, queryset: QuerySet[ShortfallReview]) -> None:
        self._decide(request, queryset, ShortfallReview.Status.CLOSURE)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "merchant",
        "shop",
        "kind",
        "title",
        "language",
        "email_status",
        "read_at",
    ]
    list_filter = ["kind", "email_status", "language", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "dedupe_key", "merchant__name", "shop__name"]
    list_select_related = ["merchant", "shop"]
    date_hierarchy = "created_at"

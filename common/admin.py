"""Shared pieces for ops screens: action forms that carry a reason, domain-error messages, the one
way money is shown, and read-only bases.

Every ops action calls a service with the acting user and a reason; a refusal (DomainError) is
shown as an admin message naming the object, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.db.models import Model
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline
from unfold.forms import ActionForm
from unfold.widgets import UnfoldAdminTextInputWidget

from common.errors import DomainError
from common.templatetags.money import money


class ReasonActionForm(ActionForm):
    """The action bar's reason, for actions whose reason only ops and the audit trail read."""

    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": _("Reason (required)")}),
    )


# Where a reason typed by ops reaches the merchant word for word: said next to the field and in
# the message asking for it, so nobody writes an internal note into a merchant's statement.
ON_STATEMENT = _("The merchant sees this reason on their statement.")
IN_NOTICE = _("The merchant reads this reason word for word in their notice and e-mail.")
ON_TIMELINE = _("The merchant reads this note on the claim's timeline, as typed.")


def _merchant_reason_field(seen: Any) -> forms.CharField:
    return forms.CharField(
        label=seen,
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": _("Reason (required)")}),
    )


class StatementReasonActionForm(ReasonActionForm):
    """For actions that post a ledger entry (or fail a payout) with the reason as its text."""

    reason = _merchant_reason_field(ON_STATEMENT)


class NoticeReasonActionForm(ReasonActionForm):
    """For actions that send the merchant a notice quoting the reason (freeze, lift a freeze)."""

    reason = _merchant_reason_field(IN_NOTICE)


class TimelineReasonActionForm(ReasonActionForm):
    """For claim actions whose note goes on the claim's timeline, which the merchant reads."""

    reason = _merchant_reason_field(ON_TIMELINE)


class AmountReasonActionForm(StatementReasonActionForm):
    """For the one action that also needs an amount (a manual adjustment)."""

    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": _("Amount, e.g. -100.00")}),
    )


def action_reason(request: HttpRequest, seen: Any = None, items: Any = None) -> str | None:
    """The action bar's reason, or None with a message asking for it (`seen`: ON_STATEMENT or
    IN_NOTICE when the merchant reads it). The changelist comes back with nothing selected and
    the bar hidden, so the message says to select the `items` (e.g. "shops") again."""
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        ask = _(
            "Nothing was done: select the %(items)s again, type a reason in the action bar and "
            "run the action again."
        ) % {"items": items or _("rows in the list")}
        messages.error(
            request, format_lazy("{} {}", ask, seen or _("The reason is kept in the audit trail."))
        )
        return None
    return reason


def field_label(obj: Any, name: str) -> str:
    """The name a person sees for a service's field: the model field's verbose name (for
    "amount_minor", the "amount" field's, or the column's own), else the words of the name."""
    meta = getattr(obj, "_meta", None)
    for candidate in (name, name.removesuffix("_minor")):
        if meta is None:
            break
        try:
            return str(meta.get_field(candidate).verbose_name)
        except Exception:  # noqa: BLE001 - FieldDoesNotExist, or a name that is no field
            continue
    return name.removesuffix("_minor").replace("_", " ").replace(".", " ")


def apply_to_each(
    request: HttpRequest,
    objects: Iterable[Any],
    fn: Callable[[Any], str],
) -> None:
    """Run one service call per selected object; report successes and refusals separately."""
    done = 0
    for obj in objects:
        try:
            message = fn(obj)
        except DomainError as exc:
            detail = exc.detail
            if exc.fields:
                detail += " " + "; ".join(
                    f"{field_label(obj, k)}: {' '.join(v)}" for k, v in exc.fields.items()
                )
            messages.error(request, f"{obj}: {detail}")
        else:
            done += 1
            if message:
                messages.success(request, f"{obj}: {message}")
    if not done:
        messages.warning(request, _("Nothing was changed."))


def act_on_each(
    request: HttpRequest, objects: Iterable[Any], action: Callable[[Any], object], done: str
) -> None:
    """Call `action` (one service call) for each object; report `done` for each that went
    through and the refusal of each that did not. The action's return value is not consulted."""

    def one(obj: Any) -> str:
        action(obj)
        return done

    apply_to_each(request, objects, one)


@dataclass(frozen=True)
class ActionCall:
    """What an ops action hands its service: who acts, why, and when (the clock read once per
    click)."""

    actor: Any
    reason: str
    now: datetime


def service_action(
    description: Any,
    *,
    done: Any,
    call: Callable[[Any, ActionCall], object],
    reason_required: bool = True,
    seen: Any = None,
) -> Callable[[Any, HttpRequest, Any], None]:
    """An admin action that makes one service call per selected object:
    `call(obj, ActionCall)`. Without a reason (when one is required) nothing is called and ops
    are told why; each refusal is a message naming the object. `seen` (ON_STATEMENT, IN_NOTICE)
    says where the merchant reads the reason. Assign it as a class attribute and list its name in
    `actions`."""

    @admin.action(description=description)
    def action(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
        if reason_required:
            reason = action_reason(request, seen, modeladmin.opts.verbose_name_plural)
            if reason is None:
                return
        else:
            reason = (request.POST.get("reason") or "").strip()
        context = ActionCall(actor=request.user, reason=reason, now=timezone.now())
        act_on_each(request, queryset, lambda obj: call(obj, context), str(done))

    # Who may run it is the model's change permission (operate_permission), so a role without
    # it does not even see the action; ClaimDecisionRequest narrows its own further.
    action.allowed_permissions = OPERATE  # type: ignore[attr-defined]
    return action


OPERATE = ("operate",)


def operate_permission(modeladmin: Any, request: HttpRequest, *args: object) -> bool:
    """May this user run the screen's actions (`allowed_permissions=OPERATE`)? The model's Django
    change permission, granted by role (shops/migrations: roles as groups). It is checked even
    where the screen is read-only: acting through a service is not editing the row by hand."""
    opts = modeladmin.opts
    return bool(
        request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")
    )


class ReadOnlyAdmin(ModelAdmin):
    """Screens for records nobody edits by hand (ledger rows, logs, audit): view and search only."""

    has_operate_permission = operate_permission

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(TabularInline):
    """Rows shown inside another record's page (entries, holds, restrictions): never added,
    changed or deleted here."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class DeferredSaveMixin:
    """For an add or change form whose save_model kept a four-eyes request instead of saving
    (it sets `obj._four_eyes_deferred`): no row was written, so no log entry, no related rows
    and no link to it; back to the list, with the message save_model gave."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(obj, "_four_eyes_deferred", False):
            return None
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(obj, "_four_eyes_deferred", False):
            return None
        return super().log_change(request, obj, message)  # type: ignore[misc]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if getattr(form.instance, "_four_eyes_deferred", False):
            return
        super().save_related(request, form, formsets, change)  # type: ignore[misc]

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        if getattr(obj, "_four_eyes_deferred", False):
            return HttpResponseRedirect(
                reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
            )
        return super().response_add(request, obj, post_url_continue)  # type: ignore[misc]

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        if getattr(obj, "_four_eyes_deferred", False):
            return HttpResponseRedirect(
                reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_changelist")
            )
        return super().response_change(request, obj)  # type: ignore[misc]


# --- Money, as ops read it ---------------------------------------------------------------------


def money_text(amount_minor: int | None, currency: str) -> str:
    """Minor units as ops read them, as the dashboard and the API write money: "¥ 4,730.00",
    never 473000 ("—" when there is none)."""
    return money(amount_minor, currency)


def _follow(obj: Any, path: str) -> Any:
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def money_column(
    field: str, description: Any, *, currency: str = "currency", sortable: bool = True
) -> Any:
    """An admin column or read-only field showing `field` (minor units, a dotted path such as
    "case.amount_minor" allowed) as money in the currency found at `currency` (the row's own,
    or e.g. "account.currency"). Assign it as a class attribute: `amount = money_column(...)`.
    `sortable=False` for a property, which the database cannot order by."""

    @admin.display(
        description=description, ordering=field if sortable and "." not in field else None
    )
    def show(self: Any, obj: Any) -> str:
        return money_text(_follow(obj, field), _follow(obj, currency))

    return show


def fields_with_money(model: type[Model], **columns: str) -> list[str]:
    """Every field of `model` for a read-only detail page, the money fields (`amount_minor=
    "amount"`) replaced by the admin's money_column of that name."""
    return [columns.get(f.name, f.name) for f in model._meta.fields]

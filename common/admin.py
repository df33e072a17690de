"""Shared pieces for ops screens: action forms that carry a reason, and domain-error messages.

Every ops action calls a service with the acting user and a reason; a refusal (DomainError) is
shown as an admin message naming the object, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import ActionForm
from unfold.widgets import UnfoldAdminTextInputWidget

from common.errors import DomainError


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": _("Reason (required)")}),
    )


class AmountReasonActionForm(ReasonActionForm):
    """For the one action that also needs an amount (a manual adjustment)."""

    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": _("Amount, e.g. -100.00")}),
    )


def action_reason(request: HttpRequest) -> str | None:
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        messages.error(
            request, _("Give a reason in the action bar: it is kept in the audit trail.")
        )
        return None
    return reason


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
                detail += " " + "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
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


class ReadOnlyAdmin(ModelAdmin):
    """Screens for records nobody edits by hand (ledger rows, logs, audit): view and search only."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

"""Ops screens for partners: keys (issued once, revoked with a reason), webhook endpoints (a
disabled one is listed with why), the delivery log with its attempts, and redelivery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from approvals.models import FourEyesRequest
from common.admin import (
    OPERATE,
    DeferredSaveMixin,
    ReadOnlyAdmin,
    ReasonActionForm,
    act_on_each,
    action_reason,
    apply_to_each,
    operate_permission,
)
from partners import services
from partners.models import (
    ApiKey,
    Delivery,
    DeliveryAttempt,
    Event,
    IdempotencyRecord,
    Partner,
    Scope,
    WebhookEndpoint,
)
from partners.selectors import FAILED_ATTEMPT


class ApiKeyInline(TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["prefix", "name", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(ModelAdmin):
    list_display = ["name", "kind", "is_active", "throttle_per_minute", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "public_id"]
    readonly_fields = ["public_id", "created_at"]
    inlines = [ApiKeyInline]


class ApiKeyActionForm(ReasonActionForm):
    """Revoke needs a reason; rotate a reason and, optionally, the overlap in hours."""

    overlap_hours = forms.IntegerField(
        label=_("Overlap (hours)"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(
            attrs={"placeholder": _("Overlap in hours (default 24)"), "class": "border rounded"}
        ),
    )


def _overlap_hours(request: HttpRequest) -> int | None:
    """The action bar's overlap, or None for the default; the service bounds it."""
    raw = (request.POST.get("overlap_hours") or "").strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        return -1  # refused by the service with the allowed range


class ApiKeyAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        initial=Scope.values,
        widget=forms.CheckboxSelectMultiple,
        required=True,
    )

    class Meta:
        model = ApiKey
        fields = ["partner", "name", "scopes", "expires_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(DeferredSaveMixin, ModelAdmin):
    list_display = [
        "prefix",
        "partner",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["partner", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "partner__name"]
    readonly_fields = [
        "partner",
        "prefix",
        "scopes",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "revoked_reason",
        "last_used_at",
        "replaces",
        "replaced_by",
    ]
    action_form = ApiKeyActionForm
    actions = ["revoke", "rotate"]
    has_operate_permission = operate_permission

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else [*self.readonly_fields, "name"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return
        issued = services.api_key_create_or_request(
            partner=form.cleaned_data["partner"],
            now=timezone.now(),
            scopes=form.cleaned_data["scopes"],
            name=form.cleaned_data.get("name") or "",
            expires_at=form.cleaned_data.get("expires_at"),
            actor=request.user,  # type: ignore[arg-type]
        )
        if isinstance(issued, FourEyesRequest):
            # Money scopes: the key is issued when a second person approves (and shown to them).
            messages.info(
                request,
                _(
                    "A key with money scopes waits for a second person on the four-eyes list; "
                    "the approver is shown the key once."
                ),
            )
            obj._four_eyes_deferred = True
            return
        for field in ApiKey._meta.concrete_fields:  # the admin's own messages name this key
            setattr(obj, field.attname, getattr(issued.api_key, field.attname))
        obj._state.adding = False
        messages.warning(
            request,
            _("Copy this key now; it is not stored and cannot be shown again: %(key)s")
            % {"key": issued.raw},
        )

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # revoke instead: who used which key stays auditable

    @admin.action(description=_("Revoke the key — reason required"), permissions=OPERATE)
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        reason = action_reason(request, items=self.opts.verbose_name_plural)
        if reason is None:
            return
        act_on_each(
            request,
            queryset,
            lambda key: services.api_key_revoke(
                api_key=key, now=timezone.now(), reason=reason, actor=request.user
            ),
            str(_("revoked")),
        )

    @admin.action(
        description=_("Rotate: new key, the old one works for the overlap — reason required"),
        permissions=OPERATE,
    )
    def rotate(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        reason = action_reason(request, items=self.opts.verbose_name_plural)
        if reason is None:
            return
        overlap_hours = _overlap_hours(request)

        def one(key: ApiKey) -> str:
            now = timezone.now()
            outcome = services.api_key_rotate_or_request(
                api_key=key,
                now=now,
                overlap_hours=overlap_hours,
                reason=reason,
                actor=request.user,  # type: ignore[arg-type]
            )
            if isinstance(outcome, FourEyesRequest):
                return str(
                    _(
                        "money scopes: the rotation waits for a second person on the four-eyes "
                        "list; the approver is shown the new key once."
                    )
                )
            # The raw key goes in a message of its own, never in the audit trail or a log line.
            key.refresh_from_db(fields=["expires_at"])
            messages.warning(
                request,
                _(
                    "Copy this key now; it is not stored and cannot be shown again: %(key)s. "
                    "The old key works until %(until)s."
                )
                % {
                    "key": outcome.raw,
                    "until": timezone.localtime(key.expires_at).strftime("%Y-%m-%d %H:%M %Z"),
                },
            )
            return str(_("rotated"))

        apply_to_each(request, queryset, one)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ModelAdmin):
    list_display = [
        "url",
        "partner",
        "is_active",
        "failing_since",
        "last_success_at",
        "disabled_at",
        "disabled_reason",
    ]
    list_filter = ["is_active", "partner", ("disabled_at", admin.EmptyFieldListFilter)]
    search_fields = ["url", "public_id", "partner__name"]
    readonly_fields = [
        "public_id",
        "partner",
        "url",
        "event_types",
        "created_at",
        "deleted_at",
        "disabled_at",
        "disabled_reason",
        "failing_since",
        "last_success_at",
        "is_active",
    ]
    exclude = ["secret"]
    action_form = ReasonActionForm
    actions = ["enable", "disable"]
    has_operate_permission = operate_permission

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # partners create endpoints through the API (the secret is shown once)

    @admin.action(
        description=_("Re-enable and send pending deliveries in order"), permissions=OPERATE
    )
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        apply_to_each(
            request,
            queryset,
            lambda endpoint: str(
                _("enabled, %(n)d deliveries re-queued")
                % {
                    "n": services.webhook_endpoint_enable(
                        endpoint_id=endpoint.pk, now=timezone.now()
                    )
                }
            ),
        )

    @admin.action(description=_("Disable — reason required"), permissions=OPERATE)
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        reason = action_reason(request, items=self.opts.verbose_name_plural)
        if reason is None:
            return
        apply_to_each(
            request,
            queryset,
            lambda endpoint: (
                str(_("disabled"))
                if services.webhook_endpoint_disable(
                    endpoint_id=endpoint.pk, reason=reason, now=timezone.now()
                )
                else str(_("already disabled"))
            ),
        )


class DeliveryAttemptInline(TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    ordering = ["-id"]
    fields = ["attempted_at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _redeliver(request: HttpRequest, ids: list[int]) -> None:
    count = services.deliveries_redeliver(delivery_ids=ids, now=timezone.now())
    if count:
        messages.success(request, _("%(n)d deliveries queued again.") % {"n": count})
    else:
        messages.warning(request, _("Nothing was changed."))


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: one row per event × endpoint, its attempts inline."""

    list_display = [
        "id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "endpoint__partner", "event__type"]
    search_fields = ["event__public_id", "endpoint__url", "ordering_key"]
    list_select_related = ["event", "endpoint"]
    inlines = [DeliveryAttemptInline]
    actions = ["redeliver"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None  # the list (and its actions) yes, editing a row no

    @admin.action(description=_("Redeliver (fresh 24-hour retry window)"), permissions=OPERATE)
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        _redeliver(request, list(queryset.values_list("pk", flat=True)))


class DeliveryInline(TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["endpoint", "status", "attempts", "last_status_code", "last_error", "delivered_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["id", "type", "partner", "ordering_key", "created_at"]
    list_filter = ["type", "partner"]
    search_fields = ["public_id", "type", "ordering_key"]
    readonly_fields = ["public_id", "partner", "type", "ordering_key", "data", "created_at"]
    inlines = [DeliveryInline]
    actions = ["redeliver"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None

    @admin.action(description=_("Redeliver to every endpoint it was sent to"), permissions=OPERATE)
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        ids = list(Delivery.objects.filter(event__in=queryset).values_list("pk", flat=True))
        _redeliver(request, ids)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    """For support: what a partner's key answered (kept 24 hours)."""

    list_display = ["created_at", "partner", "method", "path", "key", "status_code"]
    list_filter = ["partner", "status_code", "method"]
    search_fields = ["key", "path"]
    readonly_fields = [
        "partner",
        "key",
        "fingerprint",
        "method",
        "path",
        "status_code",
        "response_body",
        "created_at",
    ]


class FailedAttemptFilter(admin.SimpleListFilter):
    """Failed attempts, all or the last 24 hours (the ops overview links its figure here)."""

    title = _("failed")
    parameter_name = "failed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("24h", _("Failed in the last 24 hours")), ("all", _("Failed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "24h":
            since = timezone.now() - timedelta(hours=24)
            return queryset.filter(FAILED_ATTEMPT, attempted_at__gte=since)
        if self.value() == "all":
            return queryset.filter(FAILED_ATTEMPT)
        return queryset


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    """Every HTTP attempt, newest first: what a receiver answered and how long it took."""

    list_display = [
        "attempted_at",
        "delivery",
        "status_code",
        "error",
        "duration_ms",
    ]
    list_filter = [FailedAttemptFilter, "status_code", "delivery__endpoint__partner"]
    search_fields = ["delivery__event__public_id", "delivery__endpoint__url", "error"]
    list_select_related = ["delivery__event", "delivery__endpoint"]
    date_hierarchy = "attempted_at"

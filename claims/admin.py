"""Ops screens for claims.

Compensation rules are versioned like the requirement rules: a version in force is read-only
(claims cite it), ops add a newer one; a future version may be edited or deleted. Claims, their
timeline and their funding are records of what happened: read-only here, money shown through
common.admin.money_column. Ops decide from the claim's page: its panel and POST views are
claims.admin_ops, the queue and the four-eyes list claims.admin_queue (issue 13, item 9).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from claims import (
    admin_queue,  # noqa: F401  (registers the queue and the four-eyes list)
    services,
)
from claims.admin_ops import ops_urls
from claims.models import (
    Claim,
    ClaimEvent,
    ClaimFunding,
    ClaimReversal,
    ClaimStatus,
    CompensationRule,
)
from common.admin import ReadOnlyAdmin, ReadOnlyInline, money_column
from common.errors import DomainError


@admin.register(CompensationRule)
class CompensationRuleAdmin(ModelAdmin):
    list_display = [
        "reason",
        "currency",
        "kind",
        "rate_bps",
        "multiplier",
        "minimum",
        "maximum",
        "window_hours",
        "effective_from",
    ]
    list_filter = ["reason", "kind", "currency"]
    minimum = money_column("minimum_minor", _("minimum"))
    maximum = money_column("maximum_minor", _("maximum"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.effective_from <= timezone.now():
            return [f.name for f in self.model._meta.fields]  # in force: add a newer version
        return ["created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.effective_from > timezone.now()


class ClaimEventInline(ReadOnlyInline):
    model = ClaimEvent
    fields = ["at", "actor", "actor_label", "action", "note"]


class ClaimFundingInline(ReadOnlyInline):
    model = ClaimFunding
    fields = ["source", "amount_minor", "currency", "transaction_public_id", "created_at"]


_FIELD_CLASS = "border border-base-200 rounded-default px-3 py-2 bg-white dark:bg-base-900"


class RequestMaterialForm(forms.Form):
    party = forms.ChoiceField(
        label=_("Ask"),
        choices=[("CONSUMER", _("the consumer")), ("MERCHANT", _("the merchant"))],
        widget=forms.Select(attrs={"class": _FIELD_CLASS + " max-w-xs"}),
    )
    note = forms.CharField(
        label=_("What is needed"),
        widget=forms.Textarea(attrs={"rows": 4, "class": _FIELD_CLASS + " w-full"}),
        max_length=2000,
        help_text=_("Kept on the claim's timeline."),
    )


def _deadline_text(claim: Claim) -> tuple[str, str]:
    """The claim's current deadline as ops read it: absolute local time, and what passing it
    does, in the admin's language."""
    deadline = services.current_deadline(claim)
    if deadline is None:
        return "—", ""
    chinese = (translation.get_language() or "").lower().startswith("zh")
    return (
        services.local_time(deadline.at),
        deadline.consequence_zh if chinese else deadline.consequence_en,
    )


class ClaimReversalInline(ReadOnlyInline):
    """An upheld appeal's reversal: where each funded part went back, by which transaction."""

    model = ClaimReversal
    fields = [
        "source",
        "returned_to",
        "amount_minor",
        "currency",
        "transaction_public_id",
        "created_at",
    ]


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = [
        "external_ref",
        "shop",
        "reason",
        "status",
        "outcome",
        "paid",
        "compensation",
        "filed_at",
        "respond_by",
    ]
    list_filter = ["status", "reason", "outcome"]
    search_fields = ["external_ref", "order_ref", "consumer_ref", "shop__name"]
    list_select_related = ["shop"]
    inlines = [ClaimEventInline, ClaimFundingInline, ClaimReversalInline]
    paid = money_column("order_paid_minor", _("paid"))
    compensation = money_column("compensation_minor", _("compensation"))
    # Ops: the panel above the record (order, story, calculator, decide, four-eyes) and its forms'
    # POST targets (claims.admin_ops).
    change_form_outer_before_template = "admin/claims/claim/ops_before.html"
    readonly_fields = ["current_deadline", "request_material_link"]

    @admin.display(description=_("current deadline"))
    def current_deadline(self, obj: Claim) -> str:
        deadline = services.current_deadline(obj)
        if deadline is None:
            return "—"
        at, text = _deadline_text(obj)
        overdue = gettext("overdue") if deadline.overdue else ""
        return format_html("{} {} — {}", at, f"({overdue})" if overdue else "", text)

    @admin.display(description=_("more material"))
    def request_material_link(self, obj: Claim) -> str:
        if obj.status != ClaimStatus.IN_REVIEW:
            return "—"
        url = reverse("admin:claims_claim_request_material", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Request more material"))

    def get_urls(self) -> list[Any]:
        request_material = path(
            "<int:claim_id>/request-material/",
            self.admin_site.admin_view(self.request_material_view),
            name="claims_claim_request_material",
        )
        return [request_material, *ops_urls(self), *super().get_urls()]

    def request_material_view(self, request: HttpRequest, claim_id: int) -> HttpResponse:
        """Ops ask one side for more material: that side's evidence window restarts."""
        claim = Claim.objects.select_related("shop").filter(pk=claim_id).first()
        if claim is None or not self.has_view_permission(request, claim):
            raise Http404
        back_url = reverse("admin:claims_claim_change", args=[claim.pk])
        form = RequestMaterialForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.claim_request_material(
                    claim=claim,
                    party=form.cleaned_data["party"],
                    note=form.cleaned_data["note"],
                    now=timezone.now(),
                    actor_label=request.user.get_username(),
                )
            except DomainError as error:
                messages.error(request, f"{claim}: {error.detail}")
            else:
                messages.success(request, gettext("More material requested."))
                return HttpResponseRedirect(back_url)
        deadline_local, deadline_text = _deadline_text(claim)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "claim": claim,
            "form": form,
            "back_url": back_url,
            "deadline": services.current_deadline(claim),
            "deadline_local": deadline_local,
            "deadline_text": deadline_text,
            "title": gettext("Request more material"),
        }
        return TemplateResponse(request, "admin/claims/request_material.html", context)


@admin.register(ClaimEvent)
class ClaimEventAdmin(ReadOnlyAdmin):
    list_display = ["claim", "at", "actor", "actor_label", "action"]
    list_filter = ["actor"]
    search_fields = ["claim__external_ref", "action"]
    list_select_related = ["claim"]


@admin.register(ClaimFunding)
class ClaimFundingAdmin(ReadOnlyAdmin):
    list_display = ["claim", "source", "amount", "transaction_public_id", "created_at"]
    list_filter = ["source"]
    search_fields = ["claim__external_ref"]
    list_select_related = ["claim"]
    amount = money_column("amount_minor", _("amount"))


@admin.register(ClaimReversal)
class ClaimReversalAdmin(ReadOnlyAdmin):
    list_display = [
        "claim",
        "source",
        "returned_to",
        "amount",
        "transaction_public_id",
        "created_at",
    ]
    list_filter = ["source", "returned_to"]
    search_fields = ["claim__external_ref"]
    list_select_related = ["claim"]
    amount = money_column("amount_minor", _("amount"))

"""Ops screens for claims.

Compensation rules are versioned like the requirement rules: a version in force is read-only
(claims cite it), ops add a newer one; a future version may be edited or deleted. Claims, their
timeline and their funding are records of what happened: read-only here, money shown through
common.admin.money_column. Ops decide from the claim's page: its panel and POST views are
claims.admin_ops, the queue and the four-eyes list claims.admin_queue (issue 13, item 9).

Evidence (domain.md §6.1): an inline on the claim with image previews and PDF links, served only
through this admin's own view (staff with the claim's view permission; claims.evidence_files),
and an ops upload (party OPS). Malicious complaints: "mark malicious" on the claim (reason and
expiry), the blacklist (ConsumerFlag) with its active/expired/lifted filter and a lift action
with a reason, a review mark ops clear. Every write goes through claims.services.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.widgets import (
    UnfoldAdminSplitDateTimeWidget,
    UnfoldAdminTextareaWidget,
)

from claims import (
    admin_queue,  # noqa: F401  (registers the queue and the four-eyes list)
    selectors,
    services,
)
from claims.admin_ops import ops_urls
from claims.admin_panel import action_label
from claims.domain.evidence import MAX_FILE_BYTES
from claims.evidence_files import evidence_response
from claims.exports import ClaimDecisionResource
from claims.models import (
    AgentLimit,
    Claim,
    ClaimEvent,
    ClaimEvidence,
    ClaimFunding,
    ClaimReversal,
    ClaimStatus,
    CompensationRule,
    ConsumerFlag,
    Party,
)
from common.admin import (
    ON_TIMELINE,
    DeferredSaveMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ReasonActionForm,
    TimelineReasonActionForm,
    money_column,
    service_action,
)
from common.errors import DomainError
from common.uploads import upload_limit
from shops.admin_exports import ExportableAdmin

# How long a flag stands unless ops choose otherwise.
DEFAULT_FLAG_DAYS = 180


@admin.register(CompensationRule)
class CompensationRuleAdmin(DeferredSaveMixin, ModelAdmin):
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

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not services.compensation_rule_needs_four_eyes():
            super().save_model(request, obj, form, change)
            return
        # Four-eyes: the rule as typed waits for a second person (claims.services.approvals).
        try:
            services.compensation_rule_request(
                rule=obj,
                actor=request.user,
                now=timezone.now(),
                reason=str(_("Compensation rule changed in the admin")),
                changed_fields=list(form.changed_data),
            )
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.info(
                request,
                _("Nothing changed yet: this waits for a second person on the four-eyes list."),
            )
        obj._four_eyes_deferred = True


@admin.register(AgentLimit)
class AgentLimitAdmin(ModelAdmin):
    """What each claims agent may award alone (issue 14, part 3): set by a supervisor (the
    change permission, granted by role); an agent without a row has the default of settings."""

    list_display = ["user", "limit", "note", "updated_by", "updated_at"]
    list_select_related = ["user", "updated_by"]
    search_fields = ["user__username", "note"]
    autocomplete_fields = ["user"]
    fields = ["user", "limit_minor", "note"]
    limit = money_column("limit_minor", _("may award alone up to"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class ClaimEventInline(ReadOnlyInline):
    model = ClaimEvent
    fields = ["at", "actor", "actor_label", "what", "note_text"]
    readonly_fields = ["what", "note_text"]

    @admin.display(description=_("action"))
    def what(self, obj: ClaimEvent) -> str:
        return action_label(obj.action)  # "Evidence added by the merchant", not its code

    @admin.display(description=_("note"))
    def note_text(self, obj: ClaimEvent) -> str:
        # The person's note and the system's lines, in the reader's language.
        return obj.text()


class ClaimFundingInline(ReadOnlyInline):
    model = ClaimFunding
    fields = ["source", "amount", "transaction_public_id", "created_at"]
    amount = money_column("amount_minor", _("amount"))


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
        help_text=ON_TIMELINE,
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
        "amount",
        "transaction_public_id",
        "created_at",
    ]
    amount = money_column("amount_minor", _("amount"))


class ClaimEvidenceInline(ReadOnlyInline):
    model = ClaimEvidence
    fields = [
        "preview",
        "party",
        "filename",
        "note",
        "size",
        "digest",
        "submitted_at",
        "submitted_by",
    ]
    verbose_name_plural = _("evidence")

    @admin.display(description=_("SHA-256"))
    def digest(self, obj: ClaimEvidence) -> str:
        return format_html('<code title="{}">{}…</code>', obj.sha256, obj.sha256[:16])

    @admin.display(description=_("file"))
    def preview(self, obj: ClaimEvidence) -> str:
        url = reverse("admin:claims_claim_evidence_file", args=[obj.claim_id, obj.public_id])
        if obj.is_image:
            return format_html(
                '<a href="{}"><img src="{}?preview=1" alt="{}" '
                'style="max-height:96px;max-width:160px;border-radius:4px"></a>',
                url,
                url,
                obj.filename,
            )
        return format_html('<a href="{}">{} (PDF)</a>', url, obj.filename)


class EvidenceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,
        help_text=_("JPEG, PNG, GIF or PDF, at most 5 MiB; at most 10 files per side."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=UnfoldAdminTextareaWidget
    )


class MarkMaliciousForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=UnfoldAdminTextareaWidget,
        help_text=_(
            "Kept on the blacklist; the merchant reads it on the claim's timeline, as typed."
        ),
    )
    expires_at = forms.SplitDateTimeField(
        label=_("Flag expires at"),
        widget=UnfoldAdminSplitDateTimeWidget,
        help_text=_("Until then the consumer's new claims are marked for ops review."),
    )


def _actor(request: HttpRequest) -> str:
    return f"ops:{request.user.get_username()}"


def _refusal(form: forms.Form, exc: DomainError) -> None:
    if exc.fields:
        for field, errors in exc.fields.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc.detail)


@admin.register(Claim)
class ClaimAdmin(ExportableAdmin, ReadOnlyAdmin):
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
    list_filter = ["status", "reason", "outcome", "needs_review"]
    search_fields = ["external_ref", "order_ref", "consumer_ref", "shop__name"]
    list_select_related = ["shop"]
    inlines = [ClaimEventInline, ClaimFundingInline, ClaimEvidenceInline, ClaimReversalInline]
    actions = ["review_done"]
    action_form = TimelineReasonActionForm
    actions_detail = ["add_ops_evidence", "mark_malicious"]
    paid = money_column("order_paid_minor", _("paid"))
    compensation = money_column("compensation_minor", _("compensation"))
    # Ops: the panel above the record (order, story, calculator, decide, four-eyes) and its forms'
    # POST targets (claims.admin_ops).
    change_form_outer_before_template = "admin/claims/claim/ops_before.html"
    # The record's page shows money as money ("¥ 1,280.00", never 128000 minor units).
    order_paid = money_column("order_paid_minor", _("order paid"))
    requested = money_column("requested_minor", _("requested"))
    fields = [
        {
            "order_paid_minor": "order_paid",
            "requested_minor": "requested",
            "compensation_minor": "compensation",
            # The facts are for rendering; the record shows what they say, in ops' language,
            # and the texts the partner reads in each language rendered from the same facts,
            # money as the product writes it ("¥ 300.00", not the stored "300.00 CNY").
            "computation_facts": "computation",
            "computation_en": "computation_in_english",
            "computation_zh": "computation_in_chinese",
        }.get(f.name, f.name)
        for f in Claim._meta.fields
        if f.editable and not f.auto_created
    ] + ["current_deadline", "request_material_link"]
    readonly_fields = fields
    export_resource = ClaimDecisionResource
    export_permission = "shops.export_claims"

    def export_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return selectors.with_decision_maker(super().export_queryset(request))

    @admin.display(description=_("computation"))
    def computation(self, obj: Claim) -> str:
        return obj.computation_text()

    @admin.display(description=Claim._meta.get_field("computation_en").verbose_name)
    def computation_in_english(self, obj: Claim) -> str:
        with translation.override("en"):
            return obj.computation_text()

    @admin.display(description=Claim._meta.get_field("computation_zh").verbose_name)
    def computation_in_chinese(self, obj: Claim) -> str:
        with translation.override("zh-hans"):
            return obj.computation_text()

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
        file_view = path(
            "<int:claim_id>/evidence/<uuid:evidence_id>/",
            self.admin_site.admin_view(self.evidence_file_view),
            name="claims_claim_evidence_file",
        )
        return [request_material, file_view, *ops_urls(self), *super().get_urls()]

    def request_material_view(self, request: HttpRequest, claim_id: int) -> HttpResponse:
        """Ops ask one side for more material: that side's evidence window restarts."""
        claim = Claim.objects.select_related("shop").filter(pk=claim_id).first()
        if claim is None or not self.has_view_permission(request, claim):
            raise Http404
        if not request.user.has_perm("claims.change_claim"):
            raise PermissionDenied  # asking for material restarts a window: not a reader's to do
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

    def get_list_display(self, request: HttpRequest) -> Any:
        return [*super().get_list_display(request), "needs_review"]

    def evidence_file_view(
        self, request: HttpRequest, claim_id: int, evidence_id: uuid.UUID
    ) -> HttpResponse:
        claim = Claim.objects.filter(pk=claim_id).first()
        if claim is None or not self.has_view_permission(request, claim):
            raise Http404
        evidence = selectors.evidence_of_claim(claim, evidence_id)
        if evidence is None:
            raise Http404
        return evidence_response(evidence, inline=request.GET.get("preview") == "1")

    def has_flag_consumer_permission(self, request: HttpRequest, *args: object) -> bool:
        return bool(request.user.has_perm("claims.add_consumerflag"))

    def _claim_or_404(
        self, request: HttpRequest, object_id: str, permission: str = "claims.change_claim"
    ) -> Claim:
        if not request.user.has_perm(permission):
            raise PermissionDenied
        claim = Claim.objects.select_related("shop").filter(pk=object_id).first()
        if claim is None:
            raise Http404
        return claim

    def _back(self, claim: Claim) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))

    def _form_page(
        self, request: HttpRequest, claim: Claim, form: forms.Form, title: str, status: int = 200
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "claim": claim,
            "form": form,
            "opts": self.model._meta,
            "evidence": list(selectors.evidence_for_claim(claim)),
        }
        return render(request, "admin/claims/claim_form.html", context, status=status)

    @action(
        description=_("Add ops evidence"),
        url_path="add-ops-evidence",
        permissions=["operate"],
    )
    @upload_limit(MAX_FILE_BYTES)
    def add_ops_evidence(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id)
        title = gettext("Add ops evidence to claim {ref}").format(ref=claim.external_ref)
        if request.method != "POST":
            return self._form_page(request, claim, EvidenceUploadForm(), title)
        form = EvidenceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.evidence_add(
                    claim=claim,
                    party=Party.OPS,
                    upload=form.cleaned_data["file"],
                    note=form.cleaned_data["note"],
                    now=timezone.now(),
                    actor_label=_actor(request),
                )
            except DomainError as exc:
                _refusal(form, exc)
            else:
                messages.success(request, gettext("The file was added to the claim's evidence."))
                return self._back(claim)
        return self._form_page(request, claim, form, title, status=400)

    # Flagging a consumer (the blacklist) is risk's, not the claims agent's (roles in shops).
    @action(
        description=_("Mark malicious"),
        url_path="mark-malicious",
        permissions=["flag_consumer"],
    )
    def mark_malicious(self, request: HttpRequest, object_id: str) -> HttpResponse:
        claim = self._claim_or_404(request, object_id, "claims.add_consumerflag")
        title = gettext("Mark claim {ref} malicious").format(ref=claim.external_ref)
        if request.method != "POST":
            initial = {"expires_at": timezone.now() + timedelta(days=DEFAULT_FLAG_DAYS)}
            return self._form_page(request, claim, MarkMaliciousForm(initial=initial), title)
        form = MarkMaliciousForm(request.POST)
        if form.is_valid():
            expires_at: datetime = form.cleaned_data["expires_at"]
            try:
                services.claim_mark_malicious(
                    claim=claim,
                    reason=form.cleaned_data["reason"],
                    expires_at=expires_at,
                    now=timezone.now(),
                    actor_label=_actor(request),
                )
            except DomainError as exc:
                _refusal(form, exc)
            else:
                messages.success(
                    request,
                    gettext(
                        "Marked malicious: the claim is rejected if it was open, the consumer "
                        "is flagged and their other open claims are marked for review."
                    ),
                )
                return self._back(claim)
        return self._form_page(request, claim, form, title, status=400)

    review_done = service_action(
        _("Reviewed: clear the review mark — note required"),
        done=_("review mark cleared"),
        call=lambda c, act: services.claim_review_done(
            claim=c, now=act.now, actor_label=f"ops:{act.actor.get_username()}", note=act.reason
        ),
        seen=ON_TIMELINE,
    )


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


class FlagStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("In force")), ("expired", _("Expired")), ("lifted", _("Lifted early"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ConsumerFlag]) -> Any:
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(selectors.active_flags_q(now))
        if self.value() == "expired":
            return queryset.filter(lifted_at__isnull=True, expires_at__lte=now)
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


@admin.register(ConsumerFlag)
class ConsumerFlagAdmin(ReadOnlyAdmin):
    """The blacklist: consumers flagged for malicious complaints (created by "mark malicious"
    on a claim, lifted here with a reason)."""

    list_display = [
        "consumer_ref",
        "partner",
        "state",
        "reason",
        "flagged_by",
        "flagged_at",
        "expires_at",
        "lifted_at",
        "lifted_by",
    ]
    list_filter = [FlagStateFilter, "partner"]
    search_fields = ["consumer_ref", "reason", "claim__external_ref"]
    list_select_related = ["partner", "claim"]
    readonly_fields = ["claims_of_consumer"]
    actions = ["lift"]
    action_form = ReasonActionForm

    @admin.display(description=_("state"))
    def state(self, obj: ConsumerFlag) -> str:
        if obj.lifted_at is not None:
            return str(_("Lifted early"))
        return str(_("In force") if obj.expires_at > timezone.now() else _("Expired"))

    @admin.display(description=_("the consumer's claims"))
    def claims_of_consumer(self, obj: ConsumerFlag) -> str:
        claims = Claim.objects.filter(partner=obj.partner, consumer_ref=obj.consumer_ref)[:50]
        return format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            (
                (reverse("admin:claims_claim_change", args=[c.pk]), c.external_ref, c.status)
                for c in claims
            ),
        )

    lift = service_action(
        _("Lift the flag — reason required"),
        done=_("flag lifted"),
        call=lambda f, act: services.consumer_flag_lift(
            flag=f, reason=act.reason, now=act.now, actor_label=f"ops:{act.actor.get_username()}"
        ),
    )


@admin.register(ClaimEvidence)
class ClaimEvidenceAdmin(ReadOnlyAdmin):
    """Every evidence file across claims (the claim page shows its own with previews); the file
    itself is served only through the claim admin's authorised view."""

    list_display = ["claim", "party", "filename", "size", "content_type", "submitted_at"]
    list_filter = ["party", "content_type"]
    search_fields = ["claim__external_ref", "filename", "sha256"]
    list_select_related = ["claim"]
    exclude = ["stored_name"]

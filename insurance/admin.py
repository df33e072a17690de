"""Ops screens for performance insurance.

Products are versioned like the requirement rules: a version in force is read-only, ops add a
newer one (a new row with the same code and a later effective_from). Benefit windows and trend
tracks are ops data, each with its note or reason. Quotes, applications and policies are records
of what partners and insurers did: read-only, money shown through common.admin.money_column.
Decisions belong to the insurer (the API); ops may only close an application stuck in
between, with a reason. Every save of a product is audited (ProductChange: who, when, before
and after).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.decorators import action as unfold_action
from unfold.widgets import UnfoldAdminSelectWidget

from common.admin import (
    ReadOnlyAdmin,
    ReadOnlyInline,
    ReasonActionForm,
    money_column,
    money_text,
    service_action,
)
from common.uploads import upload_limit
from deposits import selectors as deposit_selectors
from deposits.admin.reconciliation import SettlementUploadForm, upload_page
from deposits.domain.settlement_csv import COLUMNS, MAX_FILE_BYTES
from insurance import selectors, services
from insurance.models import (
    Advance,
    BenefitWindow,
    InsuranceApplication,
    InsuranceProduct,
    InsuranceQuote,
    InsurerStatement,
    Policy,
    PolicyDocument,
    PolicySurrender,
    PremiumPayment,
    ProductChange,
    Recovery,
    RecoveryRepayment,
    TrendTrack,
)
from partners.models import Partner


@admin.register(InsuranceProduct)
class InsuranceProductAdmin(ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "insurer",
        "premium_rate_bps",
        "coverage_share_bps",
        "term_days",
        "recovery_days",
        "effective_from",
        "is_active",
    ]
    list_filter = ["code", "is_active", "insurer"]
    search_fields = ["code", "name_zh", "name_en"]
    filter_horizontal = ["categories"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is not None and obj.effective_from <= timezone.now():
            # In force: add a newer version instead. Only an unset insurer may be filled in.
            fields = [f.name for f in self.model._meta.fields]
            if obj.insurer_id is None:
                fields.remove("insurer")
            return [*fields, "categories"]
        return ["created_by", "created_at"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and obj.effective_from > timezone.now()

    inlines: list[Any] = []  # ProductChangeInline, set below

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The terms as stored before this save (categories included), for the audit row that
        # save_related writes once the categories are saved too.
        before = (
            services.product_snapshot(InsuranceProduct.objects.get(pk=obj.pk)) if change else {}
        )
        request._insurance_product_before = before  # type: ignore[attr-defined]
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.product_change_record(
            product=form.instance,
            before=getattr(request, "_insurance_product_before", {}),
            actor=request.user,
            now=timezone.now(),
        )


class ProductChangeInline(ReadOnlyInline):
    model = ProductChange
    fields = ["changed_at", "actor", "changed_fields", "before", "after"]
    readonly_fields = fields
    extra = 0


InsuranceProductAdmin.inlines = [ProductChangeInline]


@admin.register(ProductChange)
class ProductChangeAdmin(ReadOnlyAdmin):
    list_display = ["changed_at", "product", "actor", "changed_fields"]
    list_select_related = ["product", "actor"]
    list_filter = ["product__code"]
    search_fields = ["product__code"]


@admin.register(BenefitWindow)
class BenefitWindowAdmin(ModelAdmin):
    list_display = ["submit_from", "submit_to", "activate_by", "note", "created_by"]
    search_fields = ["note"]
    fields = ["submit_from", "submit_to", "activate_by", "note"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(TrendTrack)
class TrendTrackAdmin(ModelAdmin):
    list_display = ["shop", "since", "until", "reason", "created_by"]
    list_select_related = ["shop", "created_by"]
    search_fields = ["shop__name", "reason"]
    autocomplete_fields = ["shop"]
    fields = ["shop", "reason", "since", "until"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(InsuranceQuote)
class InsuranceQuoteAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "shop",
        "product",
        "eligible",
        "coverage",
        "premium",
        "valid_until",
        "created_at",
    ]
    list_select_related = ["shop", "product"]
    list_filter = ["eligible", "product__code"]
    search_fields = ["public_id", "shop__name"]
    coverage = money_column("coverage_minor", _("coverage"))
    premium = money_column("premium_minor", _("premium"))


@admin.register(InsuranceApplication)
class InsuranceApplicationAdmin(ReadOnlyAdmin):
    """Decisions are the insurer's (the API); ops only close an application stuck in between,
    through the service, with a reason."""

    action_form = ReasonActionForm
    actions = ["close"]
    list_display = [
        "public_id",
        "shop",
        "product",
        "status",
        "premium",
        "submitted_at",
        "decided_at",
        "decided_by",
        "decline_reason_code",
        "closed_reason",
    ]
    list_select_related = ["shop", "product", "decided_by", "quote"]
    list_filter = ["status", "product__code"]
    search_fields = ["public_id", "shop__name", "decline_reason_code"]
    premium = money_column("quote.premium_minor", _("premium"), currency="quote.currency")

    close = service_action(
        _("Close a stuck application (undecided, or accepted and unpaid) — reason required"),
        done=_("closed"),
        call=lambda a, act: services.application_close(
            application=a, reason=act.reason, actor=act.actor, now=act.now
        ),
    )


class PremiumPaymentInline(ReadOnlyInline):
    model = PremiumPayment
    fields = ["paid_at", "amount", "payment_ref", "outstanding_after", "ledger_transaction"]
    amount = money_column("amount_minor", _("amount"))
    outstanding_after = money_column("outstanding_after_minor", _("outstanding after"))


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    action_form = ReasonActionForm  # the reason field the surrender action reads
    inlines = [PremiumPaymentInline]
    actions = ["surrender"]
    readonly_fields = ["e_policy", "guarantee", "surrender_detail"]
    list_display = [
        "policy_number",
        "insurer",
        "shop",
        "status",
        "coverage",
        "premium",
        "premium_paid",
        "starts_on",
        "ends_on",
        "premium_due_at",
    ]
    list_select_related = ["shop", "insurer"]
    list_filter = ["status", "insurer"]
    search_fields = ["policy_number", "shop__name"]
    coverage = money_column("coverage_minor", _("coverage"))
    premium = money_column("premium_minor", _("premium"))
    premium_paid = money_column("premium_paid_minor", _("premium paid"))

    @admin.display(description=_("e-policy"))
    def e_policy(self, obj: Policy) -> str:
        document = selectors.policy_document_meta(obj)
        if document is None:
            return str(_("not issued yet"))
        url = reverse("admin:insurance_policy_document", args=[obj.pk])
        return format_html(
            '<a href="{}">{}.pdf</a> · SHA-256 {} · {} bytes · issued {}',
            url,
            obj.policy_number,
            document.sha256,
            document.size,
            document.issued_at,
        )

    @admin.display(description=_("guarantee on the deposit"))
    def guarantee(self, obj: Policy) -> str:
        found = deposit_selectors.guarantee_for_source(selectors.policy_guarantee_ref(obj))
        if found is None:
            return "—"
        return (
            f"{money_text(found.amount_minor, found.currency)} · {found.status}"
            f"{' (counted)' if found.in_coverage else ''} · {found.valid_from} → {found.valid_to}"
        )

    @admin.display(description=_("surrender"))
    def surrender_detail(self, obj: Policy) -> str:
        surrender = getattr(obj, "surrender", None)
        if surrender is None:
            return "—"
        return (
            f"{surrender.surrendered_on} · {surrender.used_days}/{surrender.term_days} days · "
            f"refund {money_text(surrender.refund_minor, surrender.currency)} · {surrender.reason}"
        )

    def get_urls(self) -> list[Any]:
        download = path(
            "<int:policy_id>/document/",
            self.admin_site.admin_view(self.document_view),
            name="insurance_policy_document",
        )
        return [download, *super().get_urls()]

    def document_view(self, request: HttpRequest, policy_id: int) -> HttpResponse:
        policy = Policy.objects.filter(pk=policy_id).first()
        if policy is None or not self.has_view_permission(request, policy):
            raise Http404
        document = selectors.policy_document_pdf(policy)
        if document is None:
            raise Http404("The e-policy has not been issued yet.")
        response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{policy.policy_number}.pdf"'
        return response

    surrender = service_action(
        _("Surrender (退保) with the refund by day — reason required"),
        done=_("surrendered"),
        call=lambda p, act: services.policy_surrender(
            policy=p,
            idempotency_key=f"admin:{p.pk}:{act.now.isoformat()}",
            reason=act.reason,
            actor=act.actor,
            now=act.now,
        ),
    )


@admin.register(PremiumPayment)
class PremiumPaymentAdmin(ReadOnlyAdmin):
    list_display = ["paid_at", "policy", "amount", "payment_ref", "outstanding_after"]
    list_select_related = ["policy"]
    search_fields = ["payment_ref", "policy__policy_number"]
    amount = money_column("amount_minor", _("amount"))
    outstanding_after = money_column("outstanding_after_minor", _("outstanding after"))


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(ReadOnlyAdmin):
    """The bytes stay out of the screen (download them from the policy's page)."""

    list_display = ["policy", "sha256", "size", "issued_at"]
    list_select_related = ["policy"]
    fields = ["policy", "sha256", "size", "issued_at"]
    search_fields = ["policy__policy_number", "sha256"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("pdf")


@admin.register(PolicySurrender)
class PolicySurrenderAdmin(ReadOnlyAdmin):
    list_display = ["surrendered_on", "policy", "used_days", "term_days", "refund", "reason"]
    list_select_related = ["policy"]
    search_fields = ["policy__policy_number"]
    refund = money_column("refund_minor", _("refund"))


# --- Advances and recoveries: records of what the insurer and the merchant paid --------------


@admin.register(Advance)
class AdvanceAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "policy",
        "claim_ref",
        "requested",
        "advanced",
        "uncovered",
        "advanced_at",
    ]
    list_select_related = ["policy"]
    search_fields = ["public_id", "claim_ref", "policy__policy_number"]
    requested = money_column("requested_minor", _("requested"))
    advanced = money_column("amount_minor", _("advanced"))
    uncovered = money_column("uncovered_minor", _("not covered"))


class RecoveryRepaymentInline(ReadOnlyInline):
    model = RecoveryRepayment
    fields = ["payment_ref", "amount", "repaid_at", "ledger_transaction"]
    amount = money_column("amount_minor", _("amount"))


@admin.register(Recovery)
class RecoveryAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "shop",
        "policy",
        "status",
        "amount",
        "outstanding",
        "due_on",
        "overdue_at",
        "repaid_at",
    ]
    list_select_related = ["shop", "policy"]
    list_filter = ["status", "policy__insurer", "due_on"]
    search_fields = ["public_id", "shop__name", "policy__policy_number", "advance__claim_ref"]
    inlines = [RecoveryRepaymentInline]
    amount = money_column("amount_minor", _("amount"))
    outstanding = money_column("outstanding_minor", _("outstanding"))


@admin.register(RecoveryRepayment)
class RecoveryRepaymentAdmin(ReadOnlyAdmin):
    list_display = ["payment_ref", "recovery", "amount", "repaid_at", "ledger_transaction"]
    list_select_related = ["recovery", "ledger_transaction"]
    search_fields = ["payment_ref", "recovery__public_id"]
    amount = money_column("amount_minor", _("amount"))


# --- Insurers' statements (reconciliation) -----------------------------------------------------


class InsurerStatementUploadForm(SettlementUploadForm):
    insurer = forms.ModelChoiceField(
        label=_("Insurer"),
        queryset=Partner.objects.none(),
        widget=UnfoldAdminSelectWidget,
        help_text=_("Policy numbers are read as this insurer's."),
    )
    field_order = ["insurer", "file"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["insurer"].queryset = (  # type: ignore[attr-defined]
            Partner.objects.filter(Q(kind=Partner.Kind.INSURER) | Q(policies_issued__isnull=False))
            .distinct()
            .order_by("name")
        )


@admin.register(InsurerStatement)
class InsurerStatementAdmin(ReadOnlyAdmin):
    """The insurers' statements: uploaded here, matched against our premiums, advances and
    recovery repayments (insurance.services.reconciliation); items on deposits' items screen."""

    list_display = ["file_name", "partner", "first_date", "last_date", "line_count", "uploaded_at"]
    list_filter = ["partner", "uploaded_at"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["partner"]
    actions_list = ["upload"]

    @unfold_action(
        description=_("Upload insurer statement"), url_path="upload", permissions=["operate"]
    )
    # 413 from Content-Length before the body is read, as the settlement file's upload: the
    # statement had no mark, so any size was spooled to disk before the form refused it.
    @upload_limit(MAX_FILE_BYTES)
    def upload(self, request: HttpRequest) -> HttpResponse:
        # Bound on every POST: `request.POST or None` left a POST whose body arrived empty (sent
        # chunked, without Content-Length, which Django reads as empty) unbound, a 400 that
        # said nothing; bound, it says the file is missing.
        if request.method == "POST":
            form = InsurerStatementUploadForm(request.POST, request.FILES)
        else:
            form = InsurerStatementUploadForm()

        def do_import(form: Any, content: bytes, name: str) -> Any:
            return services.insurer_statement_import(
                partner_id=form.cleaned_data["insurer"].pk,
                content=content,
                file_name=name,
                now=timezone.now(),
                actor=request.user,  # type: ignore[arg-type]
                via="admin",
            )

        return upload_page(
            self,
            request,
            form=form,
            title=gettext("Upload an insurer's statement"),
            columns=COLUMNS["INSURER"],
            do_import=do_import,
        )

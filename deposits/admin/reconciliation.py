"""Reconciliation for ops: the counterparties' files (upload the payment partner's settlement
file here; insurers' statements on insurance's screen), the runs with their counts, and the
items to work (assign, investigate, resolve or write off, each with a note, each an event).

Items, runs and files are read-only screens: nothing here edits a row by hand; every change is
a service call (deposits.services.reconciliation), allowed by the model's change permission
(finance and supervisor), read by the auditor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import action
from unfold.forms import ActionForm
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from common.admin import (
    OPERATE,
    ReadOnlyAdmin,
    ReadOnlyInline,
    act_on_each,
    money_column,
    money_text,
    service_action,
)
from common.errors import DomainError
from common.uploads import size_text, upload_limit
from deposits import services
from deposits.domain.settlement_csv import (
    COLUMNS,
    MAX_FILE_BYTES,
    SettlementFileInvalid,
)
from deposits.models import (
    ReconciliationItem,
    ReconciliationItemEvent,
    ReconciliationRun,
    ReconciliationSource,
    SettlementImport,
    SettlementLine,
    Withdrawal,
)

SUBJECTS = dict(SettlementLine.Kind.choices)
# Statuses as either side states them (the partner's SUCCESS/FAILED, our payout's SENT and
# REQUESTED while not settled), in the reader's language.
STATUS_WORDS = {
    **dict(SettlementLine.Status.choices),
    "SENT": Withdrawal.Status.SENT.label,
    "REQUESTED": Withdrawal.Status.REQUESTED.label,
}


def counterparty_text(stream: str) -> str:
    """ "PAYMENT_PARTNER" or "INSURER:<partner id>" as ops read it."""
    source, _sep, partner_id = stream.partition(":")
    try:
        label = str(ReconciliationSource(source).label)
    except ValueError:
        return stream or "—"
    return (
        gettext("%(source)s, partner #%(id)s") % {"source": label, "id": partner_id}
        if partner_id
        else label
    )


def status_text(status: str) -> str:
    return str(STATUS_WORDS.get(status, status)) if status else "—"


# --- Upload page (shared with insurance's insurer statements) ---------------------------------


class SettlementUploadForm(forms.Form):
    """The file of a counterparty (the payment partner's settlement, an insurer's statement).
    Its view is marked `@upload_limit(MAX_FILE_BYTES)`, so a body declared larger is a 413
    before it is read (common/uploads.py); a file past the limit that still arrives (inside the
    room the middleware leaves for the multipart envelope) is refused here, naming the field and
    the limit, before its bytes are read into memory."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, comma-separated, a header row naming the columns."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s, the most accepted."),
                code="too_large",
                params={"limit": size_text(MAX_FILE_BYTES)},
            )
        return upload


def upload_page(
    model_admin: Any,
    request: HttpRequest,
    *,
    form: forms.Form,
    title: str,
    columns: tuple[str, ...],
    do_import: Callable[[forms.Form, bytes, str], services.ImportResult],
) -> HttpResponse:
    """The upload form, and on POST: the import, then a message with what it found. A bad file
    lists each line and column wrong and imports nothing."""
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = do_import(form, upload.read(), upload.name)
        except SettlementFileInvalid as exc:
            errors = [str(error) for error in exc.errors]
        except DomainError as exc:
            errors = [exc.detail, *(m for ms in (exc.fields or {}).values() for m in ms)]
        else:
            imported = result.settlement_import
            if not result.created:
                messages.warning(
                    request,
                    gettext(
                        "This file was already imported on {date} ({name}); nothing was changed."
                    ).format(
                        date=f"{imported.uploaded_at:%Y-%m-%d %H:%M}", name=imported.file_name
                    ),
                )
            else:
                messages.success(
                    request,
                    gettext(
                        "Imported {lines} lines for {days} day(s): {matched} matched, "
                        "{differences} differences, {new} new items."
                    ).format(
                        lines=imported.line_count,
                        days=len(result.runs),
                        matched=sum(run.matched for run in result.runs),
                        differences=sum(run.differences for run in result.runs),
                        new=sum(run.new_items for run in result.runs),
                    ),
                )
            url = reverse("admin:deposits_reconciliationrun_changelist")
            return HttpResponseRedirect(f"{url}?{urlencode({'settlement_import': imported.pk})}")
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
        "form": form,
        "columns": columns,
        "import_errors": errors,
        "back_url": reverse(
            f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist"
        ),
    }
    status = 400 if errors or (request.method == "POST" and not form.is_valid()) else 200
    return TemplateResponse(request, "admin/reconciliation/upload.html", context, status=status)


class RunInline(ReadOnlyInline):
    model = ReconciliationRun
    fk_name = "settlement_import"
    fields = ["business_date", "their_rows", "our_rows", "matched", "differences", "new_items"]


@admin.register(SettlementImport)
class SettlementImportAdmin(ReadOnlyAdmin):
    list_display = [
        "file_name",
        "source",
        "partner",
        "first_date",
        "last_date",
        "line_count",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["source", "uploaded_at"]
    search_fields = ["file_name", "sha256"]
    list_select_related = ["partner", "uploaded_by"]
    date_hierarchy = "uploaded_at"
    inlines = [RunInline]
    actions_list = ["upload"]

    @action(
        description=_("Upload payment partner file"), url_path="upload", permissions=["operate"]
    )
    @upload_limit(MAX_FILE_BYTES)
    def upload(self, request: HttpRequest) -> HttpResponse:
        # Bound on every POST: `request.POST or None` left a POST whose body arrived empty (sent
        # chunked, without Content-Length, which Django reads as empty) unbound, a 400 that
        # said nothing; bound, it says the file is missing.
        if request.method == "POST":
            form = SettlementUploadForm(request.POST, request.FILES)
        else:
            form = SettlementUploadForm()

        def do_import(form: forms.Form, content: bytes, name: str) -> services.ImportResult:
            return services.partner_file_import(
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
            title=gettext("Upload the payment partner's settlement file"),
            columns=COLUMNS["PAYMENT_PARTNER"],
            do_import=do_import,
        )


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "source",
        "business_date",
        "trigger",
        "has_statement",
        "their_rows",
        "our_rows",
        "matched",
        "differences",
        "new_items_link",
    ]
    list_filter = ["source", "trigger", "has_statement", "business_date", "settlement_import"]
    list_select_related = ["settlement_import"]
    date_hierarchy = "started_at"

    @admin.display(description=_("new items"), ordering="new_items")
    def new_items_link(self, run: ReconciliationRun) -> str:
        url = reverse("admin:deposits_reconciliationitem_changelist")
        return format_html(
            '<a class="text-primary-600" href="{}?first_run={}">{}</a>', url, run.pk, run.new_items
        )


@admin.register(SettlementLine)
class SettlementLineAdmin(ReadOnlyAdmin):
    """Every line of every file as it was received (never changed)."""

    list_display = [
        "business_date",
        "reference",
        "kind",
        "amount",
        "status",
        "settlement_import",
        "line_no",
    ]
    list_filter = ["kind", "status", "business_date", "stream"]
    search_fields = ["reference"]
    list_select_related = ["settlement_import"]
    amount = money_column("amount_minor", _("amount"))


@admin.register(ReconciliationItemEvent)
class ReconciliationItemEventAdmin(ReadOnlyAdmin):
    """The items' trail across all items: who did what, when, with which note."""

    list_display = ["at", "item", "action", "from_state", "to_state", "owner", "actor", "note"]
    list_filter = ["action", ("actor", admin.RelatedOnlyFieldListFilter), "at"]
    search_fields = ["item__reference", "note"]
    list_select_related = ["item", "owner", "actor"]
    date_hierarchy = "at"


class ItemEventInline(ReadOnlyInline):
    model = ReconciliationItemEvent
    fields = ["at", "action", "from_state", "to_state", "owner", "actor", "note"]


class ItemActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Note"),
        required=False,
        widget=UnfoldAdminTextInputWidget(attrs={"placeholder": _("Note (required to close)")}),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        required=False,
        queryset=get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("username"),
        widget=UnfoldAdminSelectWidget,
    )


@admin.register(ReconciliationItem)
class ReconciliationItemAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "kind",
        "subject_text",
        "reference",
        "source",
        "business_date",
        "ours",
        "theirs",
        "state",
        "owner",
        "last_seen_at",
    ]
    list_filter = [
        "state",
        "source",
        "kind",
        ("owner", admin.RelatedOnlyFieldListFilter),
        "business_date",
        "created_at",
    ]
    search_fields = ["reference", "key", "note"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "source",
        "counterparty",
        "subject_text",
        "reference",
        "business_date",
        "ours",
        "theirs",
        "our_status_text",
        "their_status_text",
        "their_line",
        "our_records",
        "details",
        "state",
        "owner",
        "note",
        "first_run",
        "created_at",
        "last_seen_at",
        "closed_at",
        "closed_by",
    ]
    fields = readonly_fields
    inlines = [ItemEventInline]
    action_form = ItemActionForm
    actions = ["assign_to_me", "assign", "investigate", "resolve", "write_off"]

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        # The runs list links to the items a run found.
        return lookup in ("first_run", "first_run__exact") or super().lookup_allowed(
            lookup, value, request
        )

    @admin.display(description=_("what"))
    def subject_text(self, item: ReconciliationItem) -> str:
        return str(SUBJECTS.get(item.subject, item.subject))

    @admin.display(description=_("counterparty"))
    def counterparty(self, item: ReconciliationItem) -> str:
        return counterparty_text(item.stream)

    @admin.display(description=_("our status"))
    def our_status_text(self, item: ReconciliationItem) -> str:
        return status_text(item.our_status)

    @admin.display(description=_("their status"))
    def their_status_text(self, item: ReconciliationItem) -> str:
        return status_text(item.their_status)

    @admin.display(description=_("ours"))
    def ours(self, item: ReconciliationItem) -> str:
        return money_text(item.our_amount_minor, item.our_currency)

    @admin.display(description=_("theirs"))
    def theirs(self, item: ReconciliationItem) -> str:
        return money_text(item.their_amount_minor, item.their_currency)

    @admin.display(description=_("their line"))
    def their_line(self, item: ReconciliationItem) -> str:
        if item.line_id is None:
            return "—"
        line = item.line
        url = reverse("admin:deposits_settlementimport_change", args=[line.settlement_import_id])
        return format_html(
            '<a class="text-primary-600" href="{}">{}</a>, {}',
            url,
            line.settlement_import.file_name,
            gettext("line {n}").format(n=line.line_no),
        )

    @admin.display(description=_("our records"))
    def our_records(self, item: ReconciliationItem) -> str:
        """Where to look on our side: the ledger or the withdrawals, searched by the reference."""
        target = {
            "TOP_UP": "admin:deposits_ledgertransaction_changelist",
            "WITHDRAWAL": "admin:deposits_withdrawal_changelist",
            "PREMIUM": "admin:insurance_premiumpayment_changelist",
            "ADVANCE": "admin:insurance_advance_changelist",
            "RECOVERY": "admin:insurance_recovery_changelist",
        }.get(item.subject)
        if target is None:
            return "—"
        url = f"{reverse(target)}?{urlencode({'q': item.reference})}"
        return format_html(
            '<a class="text-primary-600" href="{}">{}</a>', url, gettext("Search our records")
        )

    assign_to_me = service_action(
        _("Assign to me"),
        done=_("assigned to you"),
        reason_required=False,
        call=lambda item, act: services.reconciliation_item_assign(
            item_id=item.pk, owner_id=act.actor.pk, actor=act.actor, now=act.now, note=act.reason
        ),
    )

    @admin.action(description=_("Assign to the owner chosen in the action bar"))
    def assign(self, request: HttpRequest, queryset: Any) -> None:
        owner_id = request.POST.get("owner") or ""
        if not owner_id.isdigit():
            messages.error(request, gettext("Choose the owner in the action bar."))
            return
        now, note = timezone.now(), (request.POST.get("reason") or "").strip()
        act_on_each(
            request,
            queryset,
            lambda item: services.reconciliation_item_assign(
                item_id=item.pk, owner_id=int(owner_id), actor=request.user, now=now, note=note
            ),
            str(_("assigned")),
        )

    assign.allowed_permissions = OPERATE  # type: ignore[attr-defined]

    investigate = service_action(
        _("Start investigating"),
        done=_("under investigation"),
        reason_required=False,
        call=lambda item, act: services.reconciliation_item_investigate(
            item_id=item.pk, actor=act.actor, now=act.now, note=act.reason
        ),
    )

    resolve = service_action(
        _("Resolve — note required"),
        done=_("resolved"),
        call=lambda item, act: services.reconciliation_item_resolve(
            item_id=item.pk, actor=act.actor, note=act.reason, now=act.now
        ),
    )
    write_off = service_action(
        _("Write off — note required"),
        done=_("written off"),
        call=lambda item, act: services.reconciliation_item_write_off(
            item_id=item.pk, actor=act.actor, note=act.reason, now=act.now
        ),
    )

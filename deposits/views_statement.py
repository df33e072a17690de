"""The merchant's statement: the filtered ledger of one shop, its CSV and XLSX downloads and the
monthly PDF; and the coverage-over-time chart.

Every view here shows amounts, so each one is for members who may see the deposit (owners, and
staff with the deposit permission): others get a 403 page that shows none, and another merchant's
shop is a 404, exactly like a missing one.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.money import decimal_text
from common.tabular import csv_response, xlsx_response
from common.templatetags.money import money
from deposits.coverage_history import PERIODS, coverage_history
from deposits.coverage_svg import coverage_chart, event_rows, series_labels, table_points
from deposits.domain.entry_reasons import entry_reason_text
from deposits.models import Account
from deposits.statement import (
    STATEMENT_TZ,
    StatementFilter,
    kind_choices,
    month_bounds,
    shop_with_account_for_member,
    statement_page,
    statement_stream,
)
from deposits.statement_pdf import render_statement_pdf
from shops.models import Shop
from shops.selectors import membership_for_user

ROWS_PER_PAGE = 50
# The latest events are listed in words; the chart marks them all and the statement lists every
# entry (a year of daily top-ups is hundreds of rows nobody reads on a phone).
EVENTS_LISTED = 60


class StatementForm(forms.Form):
    date_from = forms.DateField(label=_("Start date"), required=False)
    date_to = forms.DateField(label=_("End date"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    claim = forms.UUIDField(label=_("Claim"), required=False)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All kinds")), *kind_choices()]
        self.fields["claim"].error_messages["invalid"] = _(
            "This is not a claim's number: open the claim and follow its ledger link."
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", gettext("The end date is before the start date."))
        return data

    def statement_filter(self) -> StatementFilter:
        data = self.cleaned_data
        return StatementFilter(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            kind=data.get("kind") or "",
            claim=data.get("claim"),
            reference=(data.get("reference") or "").strip(),
        )


class MonthForm(forms.Form):
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        error_messages={"invalid": _("Choose a month, such as 2026-11.")},
    )


def _today() -> date:
    return timezone.now().astimezone(STATEMENT_TZ).date()


def _statement_form(request: HttpRequest) -> StatementForm:
    """The filters from the query string; with none at all, this month so far."""
    if not request.GET.keys() - {"page"}:
        today = _today()
        return StatementForm({"date_from": today.replace(day=1), "date_to": today})
    return StatementForm(request.GET)


def _shop_for_money(request: HttpRequest, shop_id: str) -> tuple[Shop, Account | None] | None:
    """The member's shop and its deposit account, or None when the member may not see amounts.
    Another merchant's shop (or none) is a 404."""
    membership = membership_for_user(request.user)
    if membership is None:
        raise Http404
    shop = shop_with_account_for_member(membership.merchant_id, shop_id)
    if shop is None:
        raise Http404
    if not membership.may_manage_deposit:
        return None
    return shop, getattr(shop, "deposit_account", None)


def _forbidden(request: HttpRequest, shop_id: str) -> HttpResponse:
    return render(request, "dashboard/statement_forbidden.html", {"shop_id": shop_id}, status=403)


@login_required
def statement(request: HttpRequest, shop_id: str) -> HttpResponse:
    found = _shop_for_money(request, shop_id)
    if found is None:
        return _forbidden(request, shop_id)
    shop, account = found
    if account is None:
        raise Http404
    form = _statement_form(request)
    page = None
    query = ""
    if form.is_valid():
        flt = form.statement_filter()
        try:
            number = int(request.GET.get("page", "1"))
        except ValueError:
            number = 1
        page = statement_page(account, flt, page=number, per_page=ROWS_PER_PAGE)
        # Empty values stay: "all time" is date_from= and date_to= given empty, and without
        # them the download would fall back to this month.
        query = urlencode({k: v for k, v in form.data.items() if k != "page"})
    today = _today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return render(
        request,
        "dashboard/statement.html",
        {
            "shop": shop,
            "account": account,
            "form": form,
            "page": page,
            "query": query,
            "claim_filter": form.cleaned_data.get("claim") if form.is_valid() else None,
            "month_default": f"{last_month:%Y-%m}",
            "month_max": f"{today:%Y-%m}",
        },
        status=200 if form.is_valid() else 400,
    )


def _export_header() -> list[str]:
    return [
        gettext("Date and time (UTC+8)"),
        gettext("Kind"),
        gettext("Bucket"),
        gettext("Reason"),
        gettext("Reference"),
        gettext("Currency"),
        gettext("Amount"),
        gettext("Balance"),
        gettext("Entry number"),
    ]


def _export_rows(account: Account, flt: StatementFilter) -> Any:
    for line in statement_stream(account, flt):
        yield [
            # Local time, naive (the header names the zone): a date-time cell in the XLSX.
            line.occurred_at.astimezone(STATEMENT_TZ).replace(tzinfo=None),
            line.kind_label,
            line.bucket_label,
            entry_reason_text(line.reason),
            line.reference,
            line.currency,
            # Numbers in the XLSX (Excel sums them), the same plain decimals in the CSV.
            Decimal(decimal_text(line.amount_minor, line.currency)),
            Decimal(decimal_text(line.balance_minor, line.currency)),
            line.id,
        ]


@login_required
def statement_download(request: HttpRequest, shop_id: str, fmt: str) -> HttpResponse:
    found = _shop_for_money(request, shop_id)
    if found is None:
        return _forbidden(request, shop_id)
    shop, account = found
    if account is None:
        raise Http404
    form = _statement_form(request)
    if not form.is_valid():
        return render(
            request,
            "dashboard/statement.html",
            {"shop": shop, "account": account, "form": form, "page": None},
            status=400,
        )
    flt = form.statement_filter()
    span = "-".join(f"{d:%Y%m%d}" for d in (flt.date_from, flt.date_to) if d) or "all"
    filename = f"statement-{shop.external_ref or shop.public_id}-{span}"
    rows = _export_rows(account, flt)
    if fmt == "xlsx":
        return xlsx_response(
            filename=filename, header=_export_header(), rows=rows, sheet_title=gettext("Statement")
        )
    return csv_response(filename=filename, header=_export_header(), rows=rows)


@login_required
def statement_pdf(request: HttpRequest, shop_id: str) -> HttpResponse:
    found = _shop_for_money(request, shop_id)
    if found is None:
        return _forbidden(request, shop_id)
    shop, account = found
    if account is None:
        raise Http404
    form = MonthForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            "; ".join(str(e) for e in form.errors.get("month", [])),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    year, month = (int(part) for part in form.cleaned_data["month"].split("-"))
    first, last = month_bounds(year, month)
    flt = StatementFilter(date_from=first, date_to=last)
    data = render_statement_pdf(
        shop=shop,
        account=account,
        flt=flt,
        language=request.LANGUAGE_CODE,
        now=timezone.now(),
    )
    response = HttpResponse(data, content_type="application/pdf")
    name = f"statement-{shop.external_ref or shop.public_id}-{year}{month:02d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def coverage(request: HttpRequest, shop_id: str) -> HttpResponse:
    found = _shop_for_money(request, shop_id)
    if found is None:
        return _forbidden(request, shop_id)
    shop, account = found
    if account is None:
        raise Http404
    try:
        days = int(request.GET.get("days", "90"))
    except ValueError:
        days = 90
    if days not in PERIODS:
        days = 90
    history = coverage_history(account, days=days, now=timezone.now())

    def in_currency(amount_minor: int) -> str:
        return money(amount_minor, account.currency)

    events = event_rows(history, in_currency)

    return render(
        request,
        "dashboard/coverage.html",
        {
            "shop": shop,
            "account": account,
            "history": history,
            "chart": coverage_chart(history, language=request.LANGUAGE_CODE, money=in_currency),
            "table_points": table_points(history),
            "events": events[:EVENTS_LISTED],
            "events_left_out": max(0, len(events) - EVENTS_LISTED),
            "labels": series_labels(),
            "periods": PERIODS,
            "days": days,
        },
    )

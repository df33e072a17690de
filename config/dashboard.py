"""The admin's home page is the ops overview (`UNFOLD["DASHBOARD_CALLBACK"]`, rendered by
templates/admin/index.html): the figures of config.overview, each a link to the filtered admin
list behind it, and two 90-day charts whose data go to the page as `json_script` and are drawn by
static/js/overview_charts.js with the Chart.js Unfold ships (no inline script, no CDN).

Presentation only: which figures exist and what they count is config.overview's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from common.admin import money_text
from common.money import CURRENCY_EXPONENTS
from config.overview import Overview, ops_overview


def clock() -> datetime:
    """The page's one clock read (tests replace it)."""
    return timezone.now()


@dataclass(frozen=True)
class Figure:
    label: Any
    value: str
    href: str
    alert: bool = False  # drawn in the warning colour (overdue, failures)


def _link(view: str, **params: Any) -> str:
    url = reverse(f"admin:{view}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


SHOP_LABELS = {
    "ACTIVE": _("Live"),
    "ONBOARDING": _("Onboarding"),
    "RESTRICTED": _("Restricted"),
    "FROZEN": _("Frozen"),
    "CLOSING": _("Closing (deposit not yet refunded)"),
}
AGE_LABELS = {
    "7d": _("Less than 7 days"),
    "30d": _("7 to 30 days"),
    "90d": _("30 to 90 days"),
    "older": _("More than 90 days"),
}
DUE_LABELS = {
    "overdue": _("Overdue"),
    "24h": _("Due within 24 hours"),
    "3d": _("Due in 1 to 3 days"),
    "later": _("Due in more than 3 days"),
    "none": _("No deadline"),
}


def _money_rows(overview: Overview) -> list[dict[str, Any]]:
    rows = []
    for book in overview.money or []:
        c = book.currency
        rows.append(
            {
                "currency": c,
                "figures": [
                    Figure(
                        _("Cash held"),
                        money_text(book.posted_minor, c),
                        _link(
                            "deposits_account",
                            kind__exact="DEPOSIT",
                            currency__exact=c,
                            balance="holding",
                        ),
                    ),
                    Figure(
                        _("Guarantees"),
                        money_text(book.guaranteed_minor, c),
                        _link(
                            "deposits_guarantee",
                            status__exact="ACTIVE",
                            in_coverage__exact=1,
                            currency__exact=c,
                        ),
                    ),
                    Figure(
                        _("On hold for claims"),
                        money_text(book.held_minor, c),
                        _link("deposits_hold", status__exact="ACTIVE", currency__exact=c),
                    ),
                    Figure(
                        _("Merchants' debt"),
                        money_text(book.debt_minor, c),
                        _link(
                            "deposits_account",
                            kind__exact="DEPOSIT",
                            currency__exact=c,
                            balance="debt",
                        ),
                        alert=book.debt_minor > 0,
                    ),
                ],
            }
        )
    return rows


def _shop_figures(overview: Overview) -> list[Figure]:
    figures = []
    for state, count in (overview.shops or {}).items():
        href = (
            _link(
                "deposits_account",
                kind__exact="DEPOSIT",
                shop__status__exact="CLOSED",
                balance="holding",
            )
            if state == "CLOSING"
            else _link("shops_shop", status__exact=state)
        )
        figures.append(
            Figure(SHOP_LABELS[state], f"{count:,}", href, alert=state == "FROZEN" and count > 0)
        )
    return figures


def _shortfall_figures(overview: Overview) -> list[Figure]:
    ages = overview.shortfalls
    if ages is None:
        return []
    return [
        Figure(
            AGE_LABELS[bucket],
            f"{count:,}",
            _link("deposits_shortfallcase", status__exact="OPEN", age=bucket),
            alert=bucket == "older" and count > 0,
        )
        for bucket, count in ages.by_age.items()
    ]


def _claim_figures(overview: Overview) -> tuple[list[Figure], list[Figure]]:
    from claims.models import ClaimStatus

    claims = overview.claims
    if claims is None:
        return [], []
    by_due = [
        Figure(
            DUE_LABELS[bucket],
            f"{count:,}",
            _link("claims_queuedclaim", due=bucket),
            alert=bucket == "overdue" and count > 0,
        )
        for bucket, count in claims.by_due.items()
    ]
    by_status = [
        Figure(ClaimStatus(status).label, f"{count:,}", _link("claims_claim", status__exact=status))
        for status, count in claims.by_status.items()
    ]
    return by_due, by_status


def _insurer_rows(overview: Overview) -> list[dict[str, Any]]:
    rows = []
    iso_now = overview.now.isoformat()
    for e in overview.insurers or []:
        policies = _link(
            "insurance_policy",
            status__exact="ACTIVE",
            insurer__id__exact=e.insurer_id,
            currency=e.currency,
        )
        recoveries = {
            "status__in": "OPEN,OVERDUE",
            "policy__insurer__id__exact": e.insurer_id,
            "currency": e.currency,
        }
        rows.append(
            {
                "insurer": e.insurer,
                "currency": e.currency,
                "figures": [
                    Figure(_("Limits in force"), money_text(e.limits_minor, e.currency), policies),
                    Figure(
                        _("Advances outstanding"),
                        money_text(e.outstanding_minor, e.currency),
                        _link("insurance_recovery", **recoveries),
                    ),
                    Figure(_("Limit left"), money_text(e.limit_left_minor, e.currency), policies),
                    Figure(
                        _("Recoveries overdue"),
                        f"{e.overdue:,} · {money_text(e.overdue_minor, e.currency)}",
                        _link("insurance_recovery", **recoveries, due_at__lt=iso_now),
                        alert=e.overdue > 0,
                    ),
                ],
            }
        )
    return rows


def _age(then: datetime | None, now: datetime) -> str:
    return timesince(then, now) if then else "—"


def _waiting_figures(overview: Overview) -> list[Figure]:
    waiting = overview.waiting
    if waiting is None:
        return []
    link = _link("approvals_foureyesrequest", waiting_for_me="yes")
    figures = [
        Figure(_("Four-eyes requests"), f"{waiting.count:,}", link, alert=waiting.count > 0),
    ]
    if waiting.oldest_made_at is not None:
        figures.append(
            Figure(
                _("Oldest waiting for"),
                _age(waiting.oldest_made_at, overview.now),
                link,
                alert=True,
            )
        )
    return figures


def _outbox_figures(overview: Overview) -> list[Figure]:
    outbox = overview.outbox
    if outbox is None:
        return []
    pending = _link("partners_delivery", status__exact="PENDING")
    oldest = outbox.oldest_pending_at
    return [
        Figure(_("Deliveries pending"), f"{outbox.pending:,}", pending),
        Figure(
            _("Oldest undelivered for"),
            _age(oldest, overview.now),
            pending,
            alert=bool(oldest and (overview.now - oldest).total_seconds() > 3600),
        ),
        Figure(
            _("Failed attempts, last 24 hours"),
            f"{outbox.failed_24h:,}",
            _link("partners_deliveryattempt", failed="24h"),
            alert=outbox.failed_24h > 0,
        ),
    ]


def _chart_data(overview: Overview) -> dict[str, Any] | None:
    """Chart.js data for the two charts: cash held (major units) and open shortfalls, one line
    per currency, one point per day."""
    if not overview.history:
        return None
    days = sorted({d.day for d in overview.history})
    labels = [date_format(day, "m-d") for day in days]
    index = {day: i for i, day in enumerate(days)}
    currencies = sorted({d.currency for d in overview.history})
    cash: dict[str, list[float | None]] = {c: [None] * len(days) for c in currencies}
    short: dict[str, list[int | None]] = {c: [None] * len(days) for c in currencies}
    for d in overview.history:  # ≤ 90 days × currencies rows, already summed by the database
        cash[d.currency][index[d.day]] = d.posted_minor / 10 ** CURRENCY_EXPONENTS[d.currency]
        short[d.currency][index[d.day]] = d.shortfalls_open
    return {
        "cash": {
            "labels": labels,
            "datasets": [{"label": str(c), "data": cash[c]} for c in currencies],
        },
        "shortfalls": {
            "labels": labels,
            "datasets": [{"label": str(c), "data": short[c]} for c in currencies],
        },
    }


def dashboard_callback(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    now = clock()
    overview = ops_overview(request.user, now=now)
    claims_by_due, claims_by_status = _claim_figures(overview)
    context.update(
        {
            "overview": overview,
            "overview_as_of": date_format(timezone.localtime(now), "Y-m-d H:i"),
            "totals_as_of": (
                date_format(timezone.localtime(overview.totals_taken_at), "Y-m-d H:i")
                if overview.totals_taken_at
                else None
            ),
            "money_rows": _money_rows(overview),
            "shop_figures": _shop_figures(overview),
            "shortfall_figures": _shortfall_figures(overview),
            "shortfall_amounts": [
                money_text(amount, currency)
                for currency, amount in (
                    overview.shortfalls.amount_by_currency if overview.shortfalls else {}
                ).items()
            ],
            "claims_by_due": claims_by_due,
            "claims_by_status": claims_by_status,
            "insurer_rows": _insurer_rows(overview),
            "waiting_figures": _waiting_figures(overview),
            "outbox_figures": _outbox_figures(overview),
            "chart_data": _chart_data(overview),
        }
    )
    return context


def favicon_svg_url(request: HttpRequest) -> str:
    """The admin's SVG icon (`UNFOLD["SITE_FAVICONS"]`), by its static URL (hashed in
    production)."""
    return static("img/favicon.svg")

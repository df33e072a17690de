"""The monthly statement as a PDF, in the reader's language, with the e-policy's CJK font.

A month with more entries than fit a readable document lists its totals and its kinds only, and
says that the CSV or XLSX download holds every row (WeasyPrint lays out a page in tens of
milliseconds: thousands of pages would keep a web worker busy for minutes).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.utils import translation

from common.pdf import FONT_FAMILY, html_to_pdf
from deposits.models import Account, Entry, TransactionKind
from deposits.statement import (
    STATEMENT_TZ,
    StatementFilter,
    statement_stream,
    statement_totals,
)
from shops.models import Shop

TEMPLATE = "dashboard/statement_pdf.html"
MAX_PDF_ROWS = 1500


def _by_kind(account: Account, flt: StatementFilter) -> list[dict[str, Any]]:
    """The month's entries by kind: how many, money in, money out (one grouped query)."""
    grouped = (
        Entry.objects.filter(account=account)
        .filter(flt.period_q())
        .values("kind")
        .annotate(
            n=Count("id"),
            credits=Sum("amount_minor", filter=Q(amount_minor__gt=0)),
            debits=Sum("amount_minor", filter=Q(amount_minor__lt=0)),
        )
        .order_by("kind")
    )
    return [
        {
            "label": TransactionKind(row["kind"]).label,
            "count": row["n"],
            "credits": row["credits"] or 0,
            "debits": -(row["debits"] or 0),
        }
        for row in grouped
    ]


def render_statement_pdf(
    *, shop: Shop, account: Account, flt: StatementFilter, language: str, now: datetime
) -> bytes:
    with translation.override(language):
        totals = statement_totals(account, flt)
        rows = (
            [
                {
                    "line": line,
                    "at": line.occurred_at.astimezone(STATEMENT_TZ),
                }
                for line in statement_stream(account, flt)
            ]
            if totals.row_count <= MAX_PDF_ROWS
            else None
        )
        html = render_to_string(
            TEMPLATE,
            {
                "shop": shop,
                "merchant": shop.merchant,
                "flt": flt,
                "totals": totals,
                "rows": rows,
                "by_kind": _by_kind(account, flt),
                "max_rows": MAX_PDF_ROWS,
                "font_family": FONT_FAMILY,
                "generated": now.astimezone(STATEMENT_TZ),
                "language": language,
            },
        )
    digest = hashlib.sha256(f"statement:{account.pk}:{flt.date_from}".encode()).hexdigest()[:32]
    return html_to_pdf(html, identifier=digest)

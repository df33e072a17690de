"""The insurers' statements against our premium, advance and recovery postings.

Deposits keeps the files and the items (deposits.services.reconciliation); insurance knows which
postings belong to which insurer's policy, so the matching lives here (insurance may import
deposits, not the reverse).

- `insurer_statement_import(partner_id, content, file_name, now, actor=None, via="")`: the file
  imported (once per SHA-256), then every day it covers matched.
- `insurer_match_day(partner_id, day, now, trigger, settlement_import=None)`: for one insurer and
  business day, per (kind, policy number): their line against the total of our postings that
  day. Two lines for the same kind, policy and day: DUPLICATE; a line without postings:
  MISSING_OURS; postings without a line: MISSING_THEIRS; totals or currencies that differ:
  AMOUNT_MISMATCH / CURRENCY_MISMATCH. Without a statement for the day nothing is raised.
- `insurers_reconcile_daily(now)`: yesterday, for every insurer that ever sent a statement.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from deposits import selectors as deposit_selectors
from deposits import services as deposit_services
from deposits.models import (
    ReconciliationItem,
    ReconciliationRun,
    ReconciliationSource,
    SettlementImport,
    SettlementLine,
)
from insurance import selectors

Kind = ReconciliationItem.Kind
Side = deposit_services.Side


def insurer_statement_import(
    *,
    partner_id: int,
    content: bytes,
    file_name: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
    via: str = "",
) -> deposit_services.ImportResult:
    result = deposit_services.settlement_file_import(
        source=ReconciliationSource.INSURER,
        partner_id=partner_id,
        content=content,
        file_name=file_name,
        now=now,
        actor=actor,
        via=via,
    )
    if not result.created:
        return result
    runs = [
        insurer_match_day(
            partner_id=partner_id,
            day=day,
            now=now,
            trigger=ReconciliationRun.Trigger.IMPORT,
            settlement_import=result.settlement_import,
        )
        for day in result.days
    ]
    return deposit_services.ImportResult(result.settlement_import, created=True, runs=runs)


def insurer_match_day(
    *,
    partner_id: int,
    day: date,
    now: datetime,
    trigger: str,
    settlement_import: SettlementImport | None = None,
) -> ReconciliationRun:
    stream = deposit_services.insurer_stream(partner_id)
    theirs = list(
        deposit_selectors.settlement_lines_effective(stream)
        .filter(business_date=day)
        .order_by("line_no")
    )
    with transaction.atomic():
        match = deposit_services.MatchPass(
            source=ReconciliationSource.INSURER,
            stream=stream,
            business_date=day,
            trigger=trigger,
            now=now,
            settlement_import=settlement_import,
        )
        if not theirs:
            return match.finish(their_rows=0, our_rows=0, has_statement=False)
        ours = selectors.insurer_postings_of_day(partner_id, day)
        grouped: dict[tuple[str, str], list[SettlementLine]] = defaultdict(list)
        for line in theirs:
            grouped[(line.kind, line.reference)].append(line)
        for (kind, number), lines in grouped.items():
            _one(match, partner_id, day, kind, number, lines, ours.get((kind, number)))
        for kind, number in sorted(set(ours) - set(grouped)):
            amount, currency = ours[(kind, number)]
            match.difference(
                key=_key(partner_id, day, kind, number, Kind.MISSING_THEIRS),
                kind=Kind.MISSING_THEIRS,
                reference=number,
                subject=kind,
                ours=Side(amount, currency),
            )
        return match.finish(their_rows=len(theirs), our_rows=len(ours))


def _key(partner_id: int, day: date, kind: str, number: str, difference: str = "") -> str:
    key = f"{partner_id}:{day.isoformat()}:{kind}:{number}"
    return f"{key}:{difference}" if difference else key


def _one(
    match: Any,
    partner_id: int,
    day: date,
    kind: str,
    number: str,
    lines: list[SettlementLine],
    ours: tuple[int, str] | None,
) -> None:
    first = lines[0]
    theirs = Side(first.amount_minor, first.currency)
    our_side = Side(*ours) if ours else None
    if len(lines) > 1:
        match.difference(
            key=_key(partner_id, day, kind, number, Kind.DUPLICATE),
            kind=Kind.DUPLICATE,
            reference=number,
            subject=kind,
            ours=our_side,
            theirs=theirs,
            line=first,
            details={"lines": [line.line_no for line in lines]},
        )
    elif our_side is None:
        match.difference(
            key=_key(partner_id, day, kind, number, Kind.MISSING_OURS),
            kind=Kind.MISSING_OURS,
            reference=number,
            subject=kind,
            theirs=theirs,
            line=first,
        )
    else:
        match.compare(
            key=_key(partner_id, day, kind, number),
            reference=number,
            subject=kind,
            ours=our_side,
            theirs=theirs,
            line=first,
        )


def insurers_reconcile_daily(*, now: datetime) -> dict[str, Any]:
    """Yesterday (Asia/Shanghai) for every insurer that ever sent a statement."""
    day = deposit_selectors.market_yesterday(now)
    runs = []
    for stream in deposit_selectors.settlement_streams(ReconciliationSource.INSURER):
        partner_id = int(stream.split(":", 1)[1])
        runs.append(
            insurer_match_day(
                partner_id=partner_id, day=day, now=now, trigger=ReconciliationRun.Trigger.DAILY
            )
        )
    return {
        "day": day.isoformat(),
        "insurers": len(runs),
        "differences": sum(run.differences for run in runs),
        "new_items": sum(run.new_items for run in runs),
    }

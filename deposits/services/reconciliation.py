"""Reconciliation: imports of the counterparties' files, the matching passes, and the items
ops work. Models and invariants: deposits/models/reconciliation.py.

- `settlement_file_import(source, content, file_name, now, actor=None, via="", partner_id=None)
  -> ImportResult`: parses the whole file (`deposits.domain.settlement_csv`), then writes the
  import and its lines in one transaction; a file already imported (same SHA-256 for the
  source) is returned as it was (`created=False`) and nothing is written or matched again.
  `settlement_file_invalid` names each bad line and column; nothing is written then.
- `partner_file_import(...)`: the payment partner's file: import, then match every day it covers.
- `partner_match_day(day, now, trigger, settlement_import=None) -> ReconciliationRun`: top-ups
  (ledger `payment_ref`) and withdrawals (`Withdrawal.reference`, WD-…) of one business day
  against the partner's statement for it.
- `ledger_reconcile(now, trigger) -> ReconciliationRun`: `ledger_check_run` (the same checks as
  the command and the hourly task), each offending row an item.
- `reconciliation_daily(now)`: the daily job: the ledger check, then yesterday's partner match.
- `MatchPass`: the building block every matching pass uses, insurance's included: it opens a
  run, raises each difference as an item at most once (by key) and closes the run with counts.
- `reconciliation_item_assign / _investigate / _resolve / _write_off(item_id, actor, now, …)`:
  the only ways an item changes, each a compare-and-set on its state that writes an event;
  `invalid_state` when the item is already closed (or, for investigate, not open).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.errors import InvalidInput, InvalidTransition, NotFound
from deposits import selectors
from deposits.domain import settlement_csv
from deposits.models import (
    LedgerTransaction,
    ReconciliationItem,
    ReconciliationItemEvent,
    ReconciliationRun,
    ReconciliationSource,
    SettlementImport,
    SettlementLine,
    TransactionKind,
    Withdrawal,
)
from deposits.services.ledger_check import CHECKS, ledger_check_run

Kind = ReconciliationItem.Kind
State = ReconciliationItem.State
Trigger = ReconciliationRun.Trigger
PARTNER_STREAM = ReconciliationSource.PAYMENT_PARTNER.value
# How many offending rows of one ledger check become items in one run.
LEDGER_ROWS_PER_CHECK = 200


def insurer_stream(partner_id: int) -> str:
    return f"{ReconciliationSource.INSURER.value}:{partner_id}"


# --- Imports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    settlement_import: SettlementImport
    created: bool
    runs: list[ReconciliationRun] = field(default_factory=list)

    @property
    def days(self) -> list[date]:
        return sorted(
            set(self.settlement_import.lines.values_list("business_date", flat=True).distinct())
        )


def settlement_file_import(
    *,
    source: str,
    content: bytes,
    file_name: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
    via: str = "",
    partner_id: int | None = None,
) -> ImportResult:
    if source not in settlement_csv.COLUMNS:
        raise InvalidInput(fields={"source": [f"Not a file source: {source!r}."]})
    if source == ReconciliationSource.INSURER and partner_id is None:
        raise InvalidInput(fields={"partner": ["Name the insurer whose statement this is."]})
    if source == ReconciliationSource.PAYMENT_PARTNER:
        partner_id = None
    digest = hashlib.sha256(content).hexdigest()
    earlier = SettlementImport.objects.filter(source=source, sha256=digest).first()
    if earlier is not None:
        return ImportResult(earlier, created=False)
    lines = settlement_csv.parse(source, content)  # every error, or every line
    stream = PARTNER_STREAM if partner_id is None else insurer_stream(partner_id)
    try:
        with transaction.atomic():
            imported = SettlementImport.objects.create(
                source=source,
                partner_id=partner_id,
                stream=stream,
                file_name=(file_name or "upload.csv")[:255],
                sha256=digest,
                size=len(content),
                line_count=len(lines),
                first_date=min(line.business_date for line in lines),
                last_date=max(line.business_date for line in lines),
                uploaded_by=actor,
                uploaded_via=via[:100],
                uploaded_at=now,
            )
            SettlementLine.objects.bulk_create(
                SettlementLine(
                    settlement_import=imported,
                    stream=stream,
                    line_no=line.line_no,
                    business_date=line.business_date,
                    reference=line.reference,
                    kind=line.kind,
                    amount_minor=line.amount_minor,
                    currency=line.currency,
                    status=line.status,
                )
                for line in lines
            )
    except IntegrityError:
        # The same file uploaded twice at the same moment: the other upload won.
        earlier = SettlementImport.objects.filter(source=source, sha256=digest).first()
        if earlier is None:
            raise
        return ImportResult(earlier, created=False)
    return ImportResult(imported, created=True)


def partner_file_import(
    *,
    content: bytes,
    file_name: str,
    now: datetime,
    actor: AbstractBaseUser | None = None,
    via: str = "",
) -> ImportResult:
    """The payment partner's settlement file: imported, then each day it covers matched."""
    result = settlement_file_import(
        source=ReconciliationSource.PAYMENT_PARTNER,
        content=content,
        file_name=file_name,
        now=now,
        actor=actor,
        via=via,
    )
    if not result.created:
        return result
    runs = [
        partner_match_day(
            day=day, now=now, trigger=Trigger.IMPORT, settlement_import=result.settlement_import
        )
        for day in result.days
    ]
    return ImportResult(result.settlement_import, created=True, runs=runs)


# --- One matching pass ---------------------------------------------------------------------------


@dataclass
class Side:
    """One side of a comparison: amount in minor units, currency, status as that side says."""

    amount_minor: int | None = None
    currency: str = ""
    status: str = ""


class MatchPass:
    """One run: open it, report each difference (an item at most once, by key), count what
    matched, close it with the counts. Use inside a transaction: the run and its items commit
    together."""

    def __init__(
        self,
        *,
        source: str,
        now: datetime,
        trigger: str,
        stream: str = "",
        business_date: date | None = None,
        settlement_import: SettlementImport | None = None,
        ledger_check_run: Any = None,
    ) -> None:
        self.now = now
        self.run = ReconciliationRun.objects.create(
            source=source,
            stream=stream,
            business_date=business_date,
            trigger=trigger,
            settlement_import=settlement_import,
            ledger_check_run=ledger_check_run,
            started_at=now,
            finished_at=now,
        )
        self.matched = 0
        self.differences = 0
        self.new_items = 0

    def match(self) -> None:
        self.matched += 1

    def difference(
        self,
        *,
        key: str,
        kind: str,
        reference: str,
        subject: str = "",
        ours: Side | None = None,
        theirs: Side | None = None,
        line: SettlementLine | None = None,
        details: dict[str, Any] | None = None,
    ) -> ReconciliationItem:
        """The item for this difference: raised now, or found again (then only `last_seen_at`
        moves: its state, owner and note are people's to change)."""
        self.differences += 1
        ours, theirs = ours or Side(), theirs or Side()
        full_key = f"{self.run.source}:{key}"[:400]
        existing = ReconciliationItem.objects.filter(key=full_key).first()
        if existing is not None:
            return self._seen_again(existing)
        try:
            with transaction.atomic():  # a savepoint: a concurrent pass may raise it first
                item = self._raise(full_key, kind, reference, subject, ours, theirs, line, details)
        except IntegrityError:
            return self._seen_again(ReconciliationItem.objects.get(key=full_key))
        self.new_items += 1
        return item

    def _seen_again(self, item: ReconciliationItem) -> ReconciliationItem:
        ReconciliationItem.objects.filter(pk=item.pk).update(last_seen_at=self.now)
        return item

    def _raise(
        self,
        full_key: str,
        kind: str,
        reference: str,
        subject: str,
        ours: Side,
        theirs: Side,
        line: SettlementLine | None,
        details: dict[str, Any] | None,
    ) -> ReconciliationItem:
        item = ReconciliationItem.objects.create(
            key=full_key,
            source=self.run.source,
            stream=self.run.stream,
            kind=kind,
            business_date=self.run.business_date,
            reference=reference[:200],
            subject=subject[:40],
            our_amount_minor=ours.amount_minor,
            our_currency=ours.currency,
            our_status=ours.status,
            their_amount_minor=theirs.amount_minor,
            their_currency=theirs.currency,
            their_status=theirs.status,
            line=line,
            details=details or {},
            first_run=self.run,
            created_at=self.now,
            last_seen_at=self.now,
        )
        ReconciliationItemEvent.objects.create(
            item=item, action=ReconciliationItemEvent.Action.FOUND, to_state=State.OPEN, at=self.now
        )
        return item

    def compare(
        self,
        *,
        key: str,
        reference: str,
        subject: str,
        ours: Side,
        theirs: Side,
        line: SettlementLine | None = None,
    ) -> None:
        """Both sides have the row: currency, then amount, then status (when both give one)."""
        same = True
        if ours.currency != theirs.currency:
            kind = Kind.CURRENCY_MISMATCH
        elif ours.amount_minor != theirs.amount_minor:
            kind = Kind.AMOUNT_MISMATCH
        else:
            kind = None
        for difference in (kind, Kind.STATUS_MISMATCH):
            if difference is None:
                continue
            if difference == Kind.STATUS_MISMATCH and (
                not ours.status or not theirs.status or ours.status == theirs.status
            ):
                continue
            same = False
            self.difference(
                key=f"{key}:{difference}",
                kind=difference,
                reference=reference,
                subject=subject,
                ours=ours,
                theirs=theirs,
                line=line,
            )
        if same:
            self.match()

    def finish(
        self, *, their_rows: int, our_rows: int, has_statement: bool | None = True
    ) -> ReconciliationRun:
        ReconciliationRun.objects.filter(pk=self.run.pk).update(
            has_statement=has_statement,
            their_rows=their_rows,
            our_rows=our_rows,
            matched=self.matched,
            differences=self.differences,
            new_items=self.new_items,
        )
        self.run.refresh_from_db()
        return self.run


# --- The payment partner -------------------------------------------------------------------------

# Our withdrawal's payout status, in the partner's words (SENT and REQUESTED: not settled yet).
WITHDRAWAL_STATUS = {
    Withdrawal.Status.PAID: "SUCCESS",
    Withdrawal.Status.FAILED: "FAILED",
    Withdrawal.Status.SENT: "SENT",
    Withdrawal.Status.REQUESTED: "REQUESTED",
}


def _our_top_ups(refs: set[str] | None = None, day: date | None = None) -> dict[str, Side]:
    rows = LedgerTransaction.objects.filter(
        kind=TransactionKind.TOP_UP,
        status=LedgerTransaction.Status.POSTED,
        payment_ref__isnull=False,
    )
    if refs is not None:
        rows = rows.filter(payment_ref__in=refs)
    if day is not None:
        start, end = selectors.market_day_bounds(day)
        rows = rows.filter(occurred_at__gte=start, occurred_at__lt=end)
    # A reference is unique per marketplace partner (deposits 0020), but the payment provider's
    # file covers every partner's top-ups and names none of them, so it cannot be scoped to one:
    # its reference is its own payment, made once. Two partners' postings under one reference
    # are added up, so their line shows the difference (credited twice, settled once) instead of
    # one posting silently standing in for the other.
    ours: dict[str, Side] = {}
    for ref, amount, currency in rows.values_list("payment_ref", "amount_minor", "currency"):
        earlier = ours.get(ref)
        if earlier is not None and earlier.amount_minor is not None:
            amount += earlier.amount_minor
            currency = earlier.currency if earlier.currency == currency else ""
        ours[ref] = Side(amount, currency, "SUCCESS")
    return ours


def _our_withdrawals(refs: set[str] | None = None, day: date | None = None) -> dict[str, Side]:
    rows = Withdrawal.objects.all()
    if refs is not None:
        rows = rows.filter(reference__in=refs)
    if day is not None:
        # Settled on that day: paid, or failed (the partner reports both).
        start, end = selectors.market_day_bounds(day)
        rows = rows.filter(paid_at__gte=start, paid_at__lt=end) | rows.filter(
            failed_at__gte=start, failed_at__lt=end
        )
    return {
        ref: Side(amount, currency, WITHDRAWAL_STATUS[status])
        for ref, amount, currency, status in rows.values_list(
            "reference", "amount_minor", "currency", "status"
        )
    }


OURS = {TransactionKind.TOP_UP.value: _our_top_ups, "WITHDRAWAL": _our_withdrawals}


def partner_match_day(
    *,
    day: date,
    now: datetime,
    trigger: str,
    settlement_import: SettlementImport | None = None,
) -> ReconciliationRun:
    """One business day against the partner's statement for it. Without a statement for the
    day the run says so and raises nothing (every payment would look missing on their side)."""
    effective = selectors.settlement_lines_effective(PARTNER_STREAM)
    theirs_today = list(effective.filter(business_date=day).order_by("line_no"))
    with transaction.atomic():
        match = MatchPass(
            source=ReconciliationSource.PAYMENT_PARTNER,
            stream=PARTNER_STREAM,
            business_date=day,
            trigger=trigger,
            now=now,
            settlement_import=settlement_import,
        )
        if not theirs_today:
            return match.finish(their_rows=0, our_rows=0, has_statement=False)
        our_rows = 0
        for kind, ours_of in OURS.items():
            lines = [line for line in theirs_today if line.kind == kind]
            by_ref: dict[str, list[SettlementLine]] = defaultdict(list)
            for line in lines:
                by_ref[line.reference].append(line)
            ours_by_ref = ours_of(refs=set(by_ref))
            for ref, same_ref in by_ref.items():
                _partner_line(match, kind, ref, same_ref, ours_by_ref.get(ref))
            # Ours of the day that their statement (any day of it) does not list.
            ours_today = ours_of(day=day)
            our_rows += len(ours_today)
            listed = set(
                effective.filter(kind=kind, reference__in=set(ours_today)).values_list(
                    "reference", flat=True
                )
            )
            for ref in sorted(set(ours_today) - listed):
                match.difference(
                    key=f"{kind}:{ref}:{Kind.MISSING_THEIRS}",
                    kind=Kind.MISSING_THEIRS,
                    reference=ref,
                    subject=kind,
                    ours=ours_today[ref],
                )
        return match.finish(their_rows=len(theirs_today), our_rows=our_rows)


def _partner_line(
    match: MatchPass, kind: str, ref: str, lines: list[SettlementLine], ours: Side | None
) -> None:
    first = lines[0]
    theirs = Side(first.amount_minor, first.currency, first.status)
    if len(lines) > 1:
        match.difference(
            key=f"{kind}:{ref}:{Kind.DUPLICATE}",
            kind=Kind.DUPLICATE,
            reference=ref,
            subject=kind,
            ours=ours,
            theirs=theirs,
            line=first,
            details={"lines": [line.line_no for line in lines]},
        )
        return
    if ours is None:
        if theirs.status == SettlementLine.Status.FAILED:
            match.match()  # a payment that failed on their side and never reached us: agreed
            return
        match.difference(
            key=f"{kind}:{ref}:{Kind.MISSING_OURS}",
            kind=Kind.MISSING_OURS,
            reference=ref,
            subject=kind,
            theirs=theirs,
            line=first,
        )
        return
    match.compare(
        key=f"{kind}:{ref}", reference=ref, subject=kind, ours=ours, theirs=theirs, line=first
    )


# --- The ledger against itself -------------------------------------------------------------------


def ledger_reconcile(*, now: datetime, trigger: str) -> ReconciliationRun:
    """`ledger_check_run` (recorded as a LedgerCheckRun, logged and mailed when it fails, as the
    hourly check does); each offending row it names becomes an item."""
    result = ledger_check_run(now=now, max_rows=LEDGER_ROWS_PER_CHECK)
    with transaction.atomic():
        match = MatchPass(
            source=ReconciliationSource.LEDGER,
            trigger=trigger,
            now=now,
            ledger_check_run=result.run,
        )
        checks = {problem["check"]: problem["examples"] for problem in result.problems}
        for check, rows in checks.items():
            for row in rows:
                row_id = str(row[0])
                match.difference(
                    key=f"{check}:{row_id}",
                    kind=Kind.LEDGER_INVARIANT,
                    reference=f"{check} #{row_id}",
                    subject=check,
                    details={"check": check, "row": row},
                )
        match.matched = len(CHECKS) - len(checks)
        return match.finish(
            their_rows=0, our_rows=result.counts.get("transactions", 0), has_statement=None
        )


def reconciliation_daily(*, now: datetime) -> dict[str, Any]:
    """The daily job's deposits half: the ledger against itself, then yesterday (Asia/Shanghai)
    against the payment partner's statement. Insurers: insurance.tasks.reconcile_insurers_daily."""
    ledger = ledger_reconcile(now=now, trigger=Trigger.DAILY)
    day = selectors.market_yesterday(now)
    partner = partner_match_day(day=day, now=now, trigger=Trigger.DAILY)
    return {
        "ledger_differences": ledger.differences,
        "day": day.isoformat(),
        "partner_statement": partner.has_statement,
        "partner_differences": partner.differences,
        "new_items": ledger.new_items + partner.new_items,
    }


# --- Working an item -----------------------------------------------------------------------------

OPEN_STATES = (State.OPEN, State.INVESTIGATING)


def _item(item_id: int) -> ReconciliationItem:
    item = ReconciliationItem.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("No reconciliation item %(id)s.") % {"id": item_id})
    return item


def _note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise InvalidInput(
            _("A note is required."),
            fields={"note": [_("Say what was found and done: it stays with the item.")]},
        )
    return note


def _move(
    *,
    item_id: int,
    allowed: tuple[str, ...],
    to_state: str,
    action: str,
    actor: AbstractBaseUser,
    now: datetime,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> ReconciliationItem:
    item = _item(item_id)
    before = item.state
    with transaction.atomic():
        moved = ReconciliationItem.objects.filter(pk=item.pk, state__in=allowed).update(
            state=to_state, **(changes or {})
        )
        if not moved:
            # Read again: the state another person moved it to is the one to explain.
            item.refresh_from_db()
            raise InvalidTransition(
                _("The item is {state} now; this step is not possible any more.").format(
                    state=item.get_state_display().lower()
                )
            )
        item.refresh_from_db()
        ReconciliationItemEvent.objects.create(
            item=item,
            action=action,
            from_state=before,
            to_state=to_state,
            owner=item.owner,
            actor=actor,
            note=note,
            at=now,
        )
    return item


def reconciliation_item_assign(
    *, item_id: int, owner_id: int, actor: AbstractBaseUser, now: datetime, note: str = ""
) -> ReconciliationItem:
    """Give the item to a staff user (any state but closed; the state does not change)."""
    owner = get_user_model().objects.filter(pk=owner_id, is_staff=True, is_active=True).first()
    if owner is None:
        raise InvalidInput(fields={"owner": [_("Choose an active staff user.")]})
    item = _item(item_id)
    return _move(
        item_id=item.pk,
        allowed=OPEN_STATES,
        to_state=item.state,
        action=ReconciliationItemEvent.Action.ASSIGNED,
        actor=actor,
        now=now,
        note=_note(note, required=False),
        changes={"owner": owner},
    )


def reconciliation_item_investigate(
    *, item_id: int, actor: AbstractBaseUser, now: datetime, note: str = ""
) -> ReconciliationItem:
    """OPEN → INVESTIGATING; an item without an owner becomes the actor's."""
    item = _item(item_id)
    return _move(
        item_id=item.pk,
        allowed=(State.OPEN,),
        to_state=State.INVESTIGATING,
        action=ReconciliationItemEvent.Action.INVESTIGATING,
        actor=actor,
        now=now,
        note=_note(note, required=False),
        changes={} if item.owner_id else {"owner": actor},
    )


def reconciliation_item_resolve(
    *, item_id: int, actor: AbstractBaseUser, note: str, now: datetime
) -> ReconciliationItem:
    """Explained and settled (e.g. the missing top-up was credited, the partner corrected its
    file): closed with the note saying how."""
    note = _note(note, required=True)
    return _close(
        item_id, State.RESOLVED, ReconciliationItemEvent.Action.RESOLVED, actor, note, now
    )


def reconciliation_item_write_off(
    *, item_id: int, actor: AbstractBaseUser, note: str, now: datetime
) -> ReconciliationItem:
    """Accepted as it is (e.g. a bank fee the partner kept): closed with the note saying why.
    Money, if any is to move, moves through the ledger's own actions (adjustment, reversal)."""
    note = _note(note, required=True)
    return _close(
        item_id, State.WRITTEN_OFF, ReconciliationItemEvent.Action.WRITTEN_OFF, actor, note, now
    )


def _close(
    item_id: int, to_state: str, action: str, actor: AbstractBaseUser, note: str, now: datetime
) -> ReconciliationItem:
    return _move(
        item_id=item_id,
        allowed=OPEN_STATES,
        to_state=to_state,
        action=action,
        actor=actor,
        now=now,
        note=note,
        changes={"note": note, "closed_at": now, "closed_by": actor},
    )

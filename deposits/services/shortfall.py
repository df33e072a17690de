"""Shortfall enforcement (保证金不足, domain.md §4): open a case when a live shop's coverage drops
below its requirement, walk the ladder step by step on time, resolve as soon as coverage is back.

Shortfall = max(0, required − (available + guaranteed) + debt), read from the account's cached
columns (`Account.shortfall_minor`).

Locking: every write to a case happens under the deposit account's row lock, taken first (the
project's lock order: account, then case, then the shop row that `shops.services` locks to
refresh its status). The account is locked FOR NO KEY UPDATE: it still queues behind a posting
(FOR UPDATE) and another evaluation, but not behind the foreign-key check of the scan's
set-based INSERT, which takes KEY SHARE on the accounts of the cases it opens; with a plain
FOR UPDATE an evaluation waiting on the scan's new case row and the scan waiting on the
evaluation's account row deadlocked (found by test_shortfall_concurrency). A posting and an
evaluation of the same shop therefore serialise, and two workers evaluating the same shop run
one after the other; the second finds the work done.
On top of the lock, each step is a compare-and-set on `ShortfallCase.step` and a unique
(case, position) row, each notice has a unique dedupe key and each restriction is unique per
cause, so nothing is applied or sent twice even if a caller forgets the lock.

How work reaches `shortfall_evaluate`:
- after a posting, a requirement change or a guarantee change commits (the hooks below; the
  ledger services call `shortfall_after_posting`), for that one shop, in the same process;
- every 5 minutes, `shortfall_scan`: one set-based INSERT opens the missing cases, then one
  keyset-paginated query lists the shops with work due, handed to `dispatch` in batches (Celery
  fans out one task per shop; `enforce_shortfalls` evaluates them in-line).

E-mails are never sent here: notices are rows (shops.Notification) delivered after commit.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

import structlog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.errors import InvalidInput, InvalidTransition, NotFound
from common.templatetags.money import money
from deposits.models import (
    Account,
    Entry,
    LadderAction,
    ShortfallCase,
    ShortfallLadderStep,
    ShortfallReview,
    ShortfallStep,
    TransactionKind,
)
from deposits.selectors import deposit_summary
from partners import services as partner_services
from shops import services as shop_services
from shops.models import RestrictionKind, RestrictionSource, Shop, ShopRestriction

log = structlog.get_logger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

OPEN = ShortfallCase.Status.OPEN
Resolution = ShortfallCase.Resolution

# The shortfall of one account row, in SQL (alias `a`), the same formula as Account.shortfall_minor.
SHORTFALL_SQL = (
    "(a.required_minor - (a.posted_minor - a.held_minor) - a.guaranteed_minor + a.debt_minor)"
)

# Triggers: what just changed, so a resolution can say how coverage came back.
TRIGGER_REQUIREMENT = "REQUIREMENT"
TRIGGER_GUARANTEE = "GUARANTEE"
TRIGGER_SCAN = "SCAN"
_RESOLUTION_BY_TRIGGER = {
    TransactionKind.HOLD_RELEASE: Resolution.FUNDS_RELEASED,
    TransactionKind.HOLD_EXPIRY: Resolution.FUNDS_RELEASED,
    TransactionKind.HOLD_CAPTURE: Resolution.FUNDS_RELEASED,
    TransactionKind.ADJUSTMENT: Resolution.MANUAL,
    TransactionKind.REVERSAL: Resolution.MANUAL,
    TRIGGER_REQUIREMENT: Resolution.REQUIREMENT_LOWERED,
    TRIGGER_GUARANTEE: Resolution.GUARANTEE_ADDED,
}
# Postings after which coverage may have come back although the account is not short now: an open
# case may be waiting to resolve. (A posting that leaves the account short always evaluates.)
_COVERAGE_RAISING = frozenset(
    {
        TransactionKind.TOP_UP,
        TransactionKind.HOLD_RELEASE,
        TransactionKind.HOLD_EXPIRY,
        TransactionKind.HOLD_CAPTURE,
        TransactionKind.REVERSAL,
        TransactionKind.ADJUSTMENT,
    }
)
# More shops than this after a requirement change: open their cases set-based, announce at the
# next scan, rather than evaluating each one inside the request that changed the rules.
ON_COMMIT_MAX_SHOPS = 100
SCAN_BATCH = 1000


@dataclass
class Evaluation:
    """What one evaluation did (empty when there was nothing to do)."""

    shop_id: int
    opened: bool = False
    announced: bool = False
    resolved: str = ""
    steps: list[str] = field(default_factory=list)
    reminders: int = 0
    notification_ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.opened or self.announced or self.resolved or self.steps or self.reminders)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScanResult:
    opened: int = 0
    candidates: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class PassResult:
    guarantees_changed: int = 0
    opened: int = 0
    candidates: int = 0
    announced: int = 0
    steps: int = 0
    reminders: int = 0
    resolved: int = 0
    emails: int = 0
    errors: int = 0

    def summary(self, seconds: float) -> str:
        return (
            f"enforce_shortfalls: {self.candidates} shops evaluated, {self.opened} cases opened, "
            f"{self.announced} announced, {self.steps} steps applied, {self.reminders} "
            f"reminders, {self.resolved} resolved, {self.emails} e-mails sent, "
            f"{self.guarantees_changed} guarantee accounts refreshed, {self.errors} errors "
            f"in {seconds:.2f}s"
        )


# --- The plan ---------------------------------------------------------------------------------


def ladder_plan(*, now: datetime) -> list[dict[str, Any]]:
    """The active ladder as a case's plan: each step with its deadline and reminder time fixed."""
    plan = []
    steps = ShortfallLadderStep.objects.filter(is_active=True).order_by("delay", "position", "id")
    for position, step in enumerate(steps):
        due_at = now + step.delay
        reminder_at = None
        if step.reminder_lead and step.delay > step.reminder_lead:
            reminder_at = due_at - step.reminder_lead
        plan.append(
            {
                "position": position,
                "code": step.code,
                "action": step.action,
                "kind": step.restriction_kind,
                "due_at": due_at.isoformat(),
                "reminder_at": reminder_at.isoformat() if reminder_at else None,
            }
        )
    return plan


def _at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _schedule(
    plan: list[dict[str, Any]], step: int, reminded: int
) -> tuple[datetime | None, datetime | None]:
    """(next_due_at, next_reminder_at) for a case that has applied `step` steps and handled the
    reminders of positions below `reminded`."""
    next_due = _at(plan[step]["due_at"]) if step < len(plan) else None
    next_reminder = None
    for item in plan[max(step, reminded) :]:
        if item.get("reminder_at"):
            next_reminder = _at(item["reminder_at"])
            break
    return next_due, next_reminder


# --- Evaluating one shop ----------------------------------------------------------------------


def shortfall_evaluate(
    *,
    shop_id: int,
    now: datetime,
    trigger: str = "",
    actor: AbstractBaseUser | None = None,
) -> Evaluation:
    """Bring one shop's shortfall case up to date at `now`. Idempotent; safe to run concurrently.

    Opens a case when a live shop is short and has none; resolves the open case when the shop is
    no longer short (or no longer live); otherwise applies every ladder step that is due and sends
    the reminders that are due. Building block: plain `transaction.atomic`, so the guarantee
    services run it inside their own transaction, under the account lock they already hold.
    """
    result = Evaluation(shop_id=shop_id)
    with transaction.atomic():
        account = (
            Account.objects.select_for_update(of=("self",), no_key=True)
            .select_related("shop__merchant")
            .filter(shop_id=shop_id, kind=Account.Kind.DEPOSIT)
            .first()
        )
        if account is None:
            return result
        shop = account.shop
        assert shop is not None
        case = (
            ShortfallCase.objects.select_for_update().filter(shop_id=shop_id, status=OPEN).first()
        )
        short = account.shortfall_minor
        enforceable = shop.went_live_at is not None and shop.closed_at is None
        if case is None:
            if not enforceable or short <= 0:
                return result
            case, result.opened = _case_open(account=account, shop=shop, now=now)
        if not enforceable or short <= 0:
            result.resolved = _case_resolve(
                case=case,
                account=account,
                shop=shop,
                now=now,
                resolution=_infer_resolution(case, account, shop, trigger),
                result=result,
                actor=actor,
            )
            return result
        if case.amount_minor != short:
            ShortfallCase.objects.filter(pk=case.pk).update(amount_minor=short)
            case.amount_minor = short
        if case.announced_at is None:
            _case_announce(case=case, account=account, shop=shop, now=now, result=result)
        _apply_due_steps(case=case, account=account, shop=shop, now=now, result=result)
        _send_due_reminders(case=case, account=account, shop=shop, now=now, result=result)
    return result


def _case_open(*, account: Account, shop: Shop, now: datetime) -> tuple[ShortfallCase, bool]:
    plan = ladder_plan(now=now)
    next_due, next_reminder = _schedule(plan, 0, 0)
    short = account.shortfall_minor
    try:
        with transaction.atomic():
            case = ShortfallCase.objects.create(
                shop=shop,
                account=account,
                currency=account.currency,
                opened_at=now,
                amount_at_open_minor=short,
                amount_minor=short,
                required_at_open_minor=account.required_minor,
                available_at_open_minor=account.available_minor,
                posted_at_open_minor=account.posted_minor,
                guaranteed_at_open_minor=account.guaranteed_minor,
                debt_at_open_minor=account.debt_minor,
                plan=plan,
                next_due_at=next_due,
                next_reminder_at=next_reminder,
            )
    except IntegrityError:
        # The set-based scan opened it a moment ago (it takes no account lock): use that one.
        existing = (
            ShortfallCase.objects.select_for_update().filter(shop_id=shop.pk, status=OPEN).get()
        )
        return existing, False
    return case, True


def _infer_resolution(case: ShortfallCase, account: Account, shop: Shop, trigger: str) -> str:
    if shop.closed_at is not None:
        return Resolution.SHOP_CLOSED
    if trigger == TransactionKind.TOP_UP:
        return Resolution.DEBT_REPAID if case.debt_at_open_minor else Resolution.TOP_UP
    if trigger in _RESOLUTION_BY_TRIGGER:
        return _RESOLUTION_BY_TRIGGER[trigger]
    # No hint (the scan): say what moved since the case opened, the most specific cause first.
    if account.required_minor < case.required_at_open_minor:
        return Resolution.REQUIREMENT_LOWERED
    if account.guaranteed_minor > case.guaranteed_at_open_minor:
        return Resolution.GUARANTEE_ADDED
    if case.debt_at_open_minor and account.debt_minor < case.debt_at_open_minor:
        return Resolution.DEBT_REPAID
    if account.posted_minor > case.posted_at_open_minor:
        return Resolution.TOP_UP
    return Resolution.FUNDS_RELEASED


def _case_announce(
    *, case: ShortfallCase, account: Account, shop: Shop, now: datetime, result: Evaluation
) -> None:
    updated = ShortfallCase.objects.filter(pk=case.pk, announced_at__isnull=True).update(
        announced_at=now
    )
    if not updated:
        return
    case.announced_at = now
    result.announced = True
    partner_services.event_publish(
        partner_id=shop.partner_id,
        type="deposit.shortfall_opened",
        data=_event_data(shop, account, case=case),
        now=now,
        ordering_key=str(shop.public_id),
    )


def _apply_due_steps(
    *, case: ShortfallCase, account: Account, shop: Shop, now: datetime, result: Evaluation
) -> None:
    while case.step < len(case.plan):
        position = case.step
        item = case.plan[position]
        due_at = _at(item["due_at"])
        assert due_at is not None
        if due_at > now:
            return
        reminded = max(case.reminded, position + 1)
        next_due, next_reminder = _schedule(case.plan, position + 1, reminded)
        # Compare-and-set: only the evaluation that moves `step` from k to k+1 applies step k.
        won = ShortfallCase.objects.filter(pk=case.pk, status=OPEN, step=position).update(
            step=position + 1,
            reminded=reminded,
            next_due_at=next_due,
            next_reminder_at=next_reminder,
        )
        if not won:
            case.refresh_from_db()
            continue
        case.step, case.reminded = position + 1, reminded
        case.next_due_at, case.next_reminder_at = next_due, next_reminder
        _apply_step(
            case=case,
            account=account,
            shop=shop,
            item=item,
            due_at=due_at,
            now=now,
            result=result,
        )


def _apply_step(
    *,
    case: ShortfallCase,
    account: Account,
    shop: Shop,
    item: dict[str, Any],
    due_at: datetime,
    now: datetime,
    result: Evaluation,
) -> None:
    merchant = shop.merchant
    restriction = None
    texts = _Texts(shop=shop, account=account, case=case)
    with translation.override(merchant.language):
        if item["action"] == LadderAction.RESTRICT:
            previous = shop.status
            restriction = shop_services.restriction_add(
                shop=shop,
                kind=item["kind"],
                source=RestrictionSource.SHORTFALL,
                source_ref=case.source_ref,
                reason=texts.restriction_reason(),
                lifts_when=texts.lifts_when(),
                now=now,
            )
            if shop.status != previous:
                _publish_status_changed(shop, account, previous=previous, now=now)
        elif item["action"] == LadderAction.OPS_REVIEW:
            ShortfallReview.objects.get_or_create(
                case=case, defaults={"shop": shop, "opened_at": now}
            )
        title, body = texts.step_notice(item)
    ShortfallStep.objects.create(
        case=case,
        position=item["position"],
        code=item["code"],
        action=item["action"],
        restriction_kind=item["kind"] or "",
        due_at=due_at,
        applied_at=now,
        restriction=restriction,
    )
    result.steps.append(item["code"])
    _notify(
        shop=shop,
        key=f"shortfall:{case.pk}:step:{item['position']}",
        kind=f"shortfall.{item['action'].lower()}",
        title=title,
        body=body,
        now=now,
        result=result,
    )


def _send_due_reminders(
    *, case: ShortfallCase, account: Account, shop: Shop, now: datetime, result: Evaluation
) -> None:
    while case.next_reminder_at is not None and case.next_reminder_at <= now:
        start = max(case.step, case.reminded)
        position = next(
            (i for i in range(start, len(case.plan)) if case.plan[i].get("reminder_at")), None
        )
        if position is None:  # pragma: no cover - next_reminder_at is derived from the plan
            return
        reminded = position + 1
        next_due, next_reminder = _schedule(case.plan, case.step, reminded)
        won = ShortfallCase.objects.filter(
            pk=case.pk, status=OPEN, reminded=case.reminded, step=case.step
        ).update(reminded=reminded, next_reminder_at=next_reminder)
        if not won:
            case.refresh_from_db()
            continue
        case.reminded, case.next_reminder_at = reminded, next_reminder
        item = case.plan[position]
        with translation.override(shop.merchant.language):
            title, body = _Texts(shop=shop, account=account, case=case).reminder_notice(item)
        result.reminders += 1
        _notify(
            shop=shop,
            key=f"shortfall:{case.pk}:reminder:{position}",
            kind="shortfall.reminder",
            title=title,
            body=body,
            now=now,
            result=result,
        )


def _case_resolve(
    *,
    case: ShortfallCase,
    account: Account,
    shop: Shop,
    now: datetime,
    resolution: str,
    result: Evaluation,
    note: str = "",
    actor: AbstractBaseUser | None = None,
) -> str:
    won = ShortfallCase.objects.filter(pk=case.pk, status=OPEN).update(
        status=ShortfallCase.Status.RESOLVED,
        resolved_at=now,
        resolution=resolution,
        resolution_note=note[:300],
        resolved_by=actor,
        amount_minor=account.shortfall_minor,
        next_due_at=None,
        next_reminder_at=None,
    )
    if not won:
        return ""
    case.status, case.resolved_at, case.resolution = ShortfallCase.Status.RESOLVED, now, resolution
    previous = shop.status
    with translation.override(shop.merchant.language):
        label = str(Resolution(resolution).label)
        shop_services.restrictions_lift(
            shop=shop,
            source=RestrictionSource.SHORTFALL,
            source_ref=case.source_ref,
            now=now,
            reason=_("Shortfall resolved: %(how)s.") % {"how": label},
            actor=actor,
        )
        ShortfallReview.objects.filter(case=case, status=ShortfallReview.Status.PENDING).update(
            status=ShortfallReview.Status.OBSOLETE,
            decided_at=now,
            decision_note=_("Coverage restored before a decision (%(how)s).") % {"how": label},
        )
        if case.announced_at is None:
            # Nobody was told about it (opened by the scan, restored before the first step ran):
            # nothing to take back, nothing to announce.
            return resolution
        texts = _Texts(shop=shop, account=account, case=case)
        title, body = texts.resolved_notice(label, remaining=_other_restrictions(shop))
    partner_services.event_publish(
        partner_id=shop.partner_id,
        type="deposit.shortfall_resolved",
        data=_event_data(shop, account, case=case),
        now=now,
        ordering_key=str(shop.public_id),
    )
    if shop.status != previous:
        _publish_status_changed(shop, account, previous=previous, now=now)
    _notify(
        shop=shop,
        key=f"shortfall:{case.pk}:resolved",
        kind="shortfall.resolved",
        title=title,
        body=body,
        now=now,
        result=result,
    )
    return resolution


def _other_restrictions(shop: Shop) -> list[ShopRestriction]:
    return list(ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True))


def _notify(
    *, shop: Shop, key: str, kind: str, title: str, body: str, now: datetime, result: Evaluation
) -> None:
    notice, created = shop_services.notification_create(
        merchant_id=shop.merchant_id,
        shop_id=shop.pk,
        dedupe_key=key,
        kind=kind,
        language=shop.merchant.language,
        title=title,
        body=body,
        link=_shop_link(shop),
        now=now,
    )
    if created:
        result.notification_ids.append(notice.pk)
        notification_email_enqueue_on_commit(notice.pk)


def notification_email_enqueue_on_commit(notification_id: int) -> None:
    """Ask a worker to send the notice's e-mail once the transaction commits. A broker that is
    down loses nothing: the periodic sweep (deliver_notification_emails) finds it."""
    if not getattr(settings, "NOTIFICATION_EMAIL_ON_COMMIT", True):
        return

    def enqueue() -> None:
        from deposits.tasks import send_notification_email

        send_notification_email.delay(notification_id=notification_id)

    transaction.on_commit(enqueue, robust=True)


def _shop_link(shop: Shop) -> str:
    try:
        path = reverse("dashboard:shop_detail", args=[shop.public_id])
    except NoReverseMatch:  # pragma: no cover - urls always installed
        return ""
    base = getattr(settings, "DASHBOARD_BASE_URL", "")
    return f"{base.rstrip('/')}{path}" if base else path


# --- Events -----------------------------------------------------------------------------------


def _event_data(
    shop: Shop, account: Account, *, case: ShortfallCase | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "shop": str(shop.public_id),
        "external_ref": shop.external_ref,
        "status": shop.status,
        "deposit": deposit_summary(account).as_dict(),
    }
    if case is not None:
        data["shortfall"] = {
            "case_id": case.pk,
            "currency": case.currency,
            "amount_at_open_minor": case.amount_at_open_minor,
            "amount_minor": account.shortfall_minor,
            "opened_at": case.opened_at.isoformat(),
            "steps": [
                {
                    "step": item["code"],
                    "action": item["action"],
                    "restriction": item["kind"] or None,
                    "due_at": item["due_at"],
                    "applied": item["position"] < case.step,
                }
                for item in case.plan
            ],
            "resolved_at": case.resolved_at.isoformat() if case.resolved_at else None,
            "resolution": case.resolution or None,
        }
    return data


def _publish_status_changed(shop: Shop, account: Account, *, previous: str, now: datetime) -> None:
    data = _event_data(shop, account)
    data["previous_status"] = previous
    data["restrictions"] = [
        {"kind": r.kind, "reason": r.reason, "since": r.since.isoformat()}
        for r in ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True).order_by("id")
    ]
    partner_services.event_publish(
        partner_id=shop.partner_id,
        type="shop.status_changed",
        data=data,
        now=now,
        ordering_key=str(shop.public_id),
    )


# --- What the merchant reads (rendered in their language by the caller's override) ------------


def when_text(moment: datetime) -> str:
    """A moment as merchants read it: local time (the dashboard's zone) with its UTC offset."""
    local = timezone.localtime(moment)
    offset = local.utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    minutes = rest // 60
    suffix = f"UTC{hours:+d}" + (f":{minutes:02d}" if minutes else "")
    return f"{local:%Y-%m-%d %H:%M} ({suffix})"


def step_description(item: dict[str, Any]) -> str:
    """What a ladder step does, as a clause: "… on <date>, <this>"."""
    action, kind = item["action"], item.get("kind") or ""
    if action == LadderAction.NOTIFY:
        return _("you receive another reminder")
    if action == LadderAction.OPS_REVIEW:
        return _("the platform reviews the shop for closure")
    if kind == RestrictionKind.MARKETING:
        return _("marketing for the shop is restricted (no promotions or campaigns)")
    if kind == RestrictionKind.NEW_LISTINGS:
        return _("the shop cannot list new items")
    if kind == RestrictionKind.SETTLEMENT_EXTENDED:
        return _("settlement of the shop's sales is extended")
    if kind == RestrictionKind.HIDDEN:
        return _("the shop is hidden from search and stops taking new orders")
    if kind == RestrictionKind.SUPERVISED:
        return _(
            "the shop is supervised: it and its items cannot be found until the deposit is paid"
        )
    return str(RestrictionKind(kind).label) if kind else ""


class _Texts:
    """Sentences about one case, in the active language."""

    def __init__(self, *, shop: Shop, account: Account, case: ShortfallCase):
        self.shop, self.account, self.case = shop, account, case
        self.amount = money(account.shortfall_minor, account.currency)

    def _next(self) -> str:
        later = [item for item in self.case.plan[self.case.step :]]
        if not later:
            return _("Please top up as soon as possible.")
        lines = [
            _("If the deposit is still short, on %(when)s %(what)s.")
            % {"when": when_text(_at(item["due_at"])), "what": step_description(item)}  # type: ignore[arg-type]
            for item in later
        ]
        return " ".join(lines)

    def restriction_reason(self) -> str:
        return _(
            "The deposit of %(shop)s has been short by %(amount)s since %(since)s "
            "(shortfall case %(case)s)."
        ) % {
            "shop": self.shop.name,
            "amount": money(self.case.amount_minor, self.account.currency),
            "since": when_text(self.case.opened_at),
            "case": self.case.pk,
        }

    def lifts_when(self) -> str:
        return _(
            "Top up %(amount)s to restore the deposit; lifted automatically within seconds."
        ) % {"amount": self.amount}

    def step_notice(self, item: dict[str, Any]) -> tuple[str, str]:
        values = {"shop": self.shop.name, "amount": self.amount}
        required = money(self.account.required_minor, self.account.currency)
        if item["action"] == LadderAction.NOTIFY:
            title = _("Deposit short by %(amount)s: %(shop)s") % values
            body = _(
                "The deposit of your shop %(shop)s is %(amount)s below what is required "
                "(%(required)s). Please top up %(amount)s."
            ) % {**values, "required": required}
        elif item["action"] == LadderAction.OPS_REVIEW:
            title = _("Shop under review for closure: %(shop)s") % values
            body = _(
                "The deposit of %(shop)s has been short by %(amount)s since %(since)s. The "
                "platform now reviews whether the shop may stay open. Topping up %(amount)s "
                "ends the review."
            ) % {**values, "since": when_text(self.case.opened_at)}
        else:
            what = step_description(item)
            title = _("%(restriction)s: %(shop)s") % {
                "restriction": RestrictionKind(item["kind"]).label,
                "shop": self.shop.name,
            }
            body = _(
                "Because the deposit of %(shop)s is still short by %(amount)s, from now on "
                "%(what)s. This is lifted as soon as the deposit is topped up by %(amount)s."
            ) % {**values, "what": what}
        return str(title), f"{body}\n\n{self._next()}"

    def reminder_notice(self, item: dict[str, Any]) -> tuple[str, str]:
        values = {
            "shop": self.shop.name,
            "amount": self.amount,
            "when": when_text(_at(item["due_at"])),  # type: ignore[arg-type]
            "what": step_description(item),
        }
        title = _("Reminder: top up %(amount)s before %(when)s — %(shop)s") % values
        body = (
            _("%(shop)s: on %(when)s %(what)s unless the deposit is topped up by %(amount)s.")
            % values
        )
        return str(title), str(body)

    def resolved_notice(self, how: str, *, remaining: list[ShopRestriction]) -> tuple[str, str]:
        title = _("Deposit restored: %(shop)s") % {"shop": self.shop.name}
        body = _(
            "The deposit of %(shop)s covers the requirement again (%(how)s). The restrictions "
            "caused by the shortfall have been lifted."
        ) % {"shop": self.shop.name, "how": how}
        if remaining:
            kinds = ", ".join(str(r.get_kind_display()) for r in remaining)
            body += " " + _("Other restrictions remain: %(kinds)s.") % {"kinds": kinds}
        return str(title), str(body)


# --- Hooks: evaluate after a change commits ---------------------------------------------------


def shortfall_after_posting(result: Any) -> Any:
    """Called by the ledger services with their PostingResult; returns it unchanged.

    Costs nothing inside the posting's transaction: it only registers an on-commit callback, and
    only when the posting may matter (the account is short now, or coverage may have come back).
    """
    if result.replayed:
        return result
    account = result.account
    if account.shop_id is None:
        return result
    kind = result.transaction.kind
    short = account.shortfall_minor > 0
    if short or kind in _COVERAGE_RAISING:
        shortfall_evaluate_on_commit(
            shop_ids=[account.shop_id],
            now=result.transaction.occurred_at,
            trigger=kind,
            only_if_case_open=not short,
        )
    return result


def evaluates_shortfall(service: Callable[P, R]) -> Callable[P, R]:
    """Decorate a ledger service returning a PostingResult: after its posting commits, the shop's
    shortfall is evaluated (see `shortfall_after_posting`). One line per service, no change to
    its body or to the posting path."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return shortfall_after_posting(service(*args, **kwargs))  # type: ignore[no-any-return]

    return wrapper


def shortfall_after_requirement_change(*, shop_ids: Iterable[int] | None, now: datetime) -> None:
    """Called by requirements_recompute. A handful of shops are evaluated after commit; a rule
    change for many shops opens their cases with one set-based statement after commit, and the
    next scan (≤ 5 minutes) announces them and applies their first step."""
    ids = None if shop_ids is None else list(shop_ids)
    if ids is not None and len(ids) <= ON_COMMIT_MAX_SHOPS:
        shortfall_evaluate_on_commit(shop_ids=ids, now=now, trigger=TRIGGER_REQUIREMENT)
        return
    if not getattr(settings, "SHORTFALL_EVALUATE_ON_COMMIT", True):
        return
    transaction.on_commit(lambda: shortfall_cases_open_due(now=now), robust=True)


def shortfall_evaluate_on_commit(
    *, shop_ids: list[int], now: datetime, trigger: str = "", only_if_case_open: bool = False
) -> None:
    """After the caller's transaction commits, evaluate these shops in this process.

    Robust: a failure is logged and left to the periodic scan, never turned into an error for a
    caller whose change has already committed. Set SHORTFALL_EVALUATE_ON_COMMIT = False to leave
    everything to the scan.
    """
    if not shop_ids or not getattr(settings, "SHORTFALL_EVALUATE_ON_COMMIT", True):
        return

    def run() -> None:
        ids = shop_ids
        if only_if_case_open:
            ids = list(
                ShortfallCase.objects.filter(shop_id__in=shop_ids, status=OPEN).values_list(
                    "shop_id", flat=True
                )
            )
        for shop_id in ids:
            try:
                shortfall_evaluate(shop_id=shop_id, now=now, trigger=trigger)
            except Exception:
                log.exception("shortfall.evaluate_on_commit_failed", shop_id=shop_id)

    transaction.on_commit(run, robust=True)


# --- The scan: set-based, then one evaluation per shop ------------------------------------------


def _db_datetime(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def shortfall_cases_open_due(*, now: datetime) -> int:
    """Open a case for every live shop that is short and has none, in one statement.

    No account lock: the partial unique index decides, so a concurrent scan or evaluation that
    opened the same shop's case first wins and this row is skipped (ON CONFLICT DO NOTHING). Rows
    are inserted in shop order so two concurrent scans wait on each other instead of deadlocking.
    The cases are announced and get their first step from the per-shop evaluation that follows.
    """
    plan = ladder_plan(now=now)
    next_due, next_reminder = _schedule(plan, 0, 0)
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    sql = f"""
        INSERT INTO deposits_shortfallcase (
            shop_id, account_id, status, currency, opened_at, amount_at_open_minor, amount_minor,
            required_at_open_minor, available_at_open_minor, posted_at_open_minor,
            guaranteed_at_open_minor, debt_at_open_minor, plan, step, reminded, next_due_at,
            next_reminder_at, announced_at, resolved_at, resolution, resolution_note,
            resolved_by_id
        )
        SELECT a.shop_id, a.id, 'OPEN', a.currency, %s, {SHORTFALL_SQL}, {SHORTFALL_SQL},
               a.required_minor, a.posted_minor - a.held_minor, a.posted_minor,
               a.guaranteed_minor, a.debt_minor, {json_param}, 0, 0, %s, %s, NULL, NULL, '', '',
               NULL
          FROM deposits_account a
          JOIN shops_shop s ON s.id = a.shop_id
         WHERE a.kind = 'DEPOSIT'
           AND s.went_live_at IS NOT NULL
           AND s.closed_at IS NULL
           AND {SHORTFALL_SQL} > 0
           AND NOT EXISTS (
               SELECT 1 FROM deposits_shortfallcase c
                WHERE c.shop_id = a.shop_id AND c.status = 'OPEN'
           )
         ORDER BY a.shop_id
        ON CONFLICT (shop_id) WHERE status = 'OPEN' DO NOTHING
    """
    params = [
        _db_datetime(now),
        json.dumps(plan),
        _db_datetime(next_due),
        _db_datetime(next_reminder),
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


CANDIDATES_SQL = f"""
    SELECT c.shop_id
      FROM deposits_shortfallcase c
      JOIN deposits_account a ON a.id = c.account_id
      JOIN shops_shop s ON s.id = c.shop_id
     WHERE c.status = 'OPEN'
       AND c.shop_id > %s
       AND (c.announced_at IS NULL
            OR c.next_due_at <= %s
            OR c.next_reminder_at <= %s
            OR s.closed_at IS NOT NULL
            OR {SHORTFALL_SQL} <= 0
            OR {SHORTFALL_SQL} <> c.amount_minor)
     ORDER BY c.shop_id
     LIMIT %s
"""


def shortfall_candidates(
    *, now: datetime, after_shop_id: int = 0, limit: int = SCAN_BATCH
) -> list[int]:
    """Shops whose open case has work: to announce, a step or reminder due, coverage restored,
    the shop closed, or the amount changed. One indexed query per page (keyset on shop id)."""
    at = _db_datetime(now)
    with connection.cursor() as cursor:
        cursor.execute(CANDIDATES_SQL, [after_shop_id, at, at, limit])
        return [row[0] for row in cursor.fetchall()]


def shortfall_scan(
    *, now: datetime, dispatch: Callable[[list[int]], None], batch_size: int = SCAN_BATCH
) -> ScanResult:
    """The periodic safety net: open the missing cases, then hand every shop with work due to
    `dispatch` in batches (Celery: one task per shop). Memory stays flat: one page of ids at a
    time, whatever the number of shops."""
    result = ScanResult(opened=shortfall_cases_open_due(now=now))
    after = 0
    while True:
        ids = shortfall_candidates(now=now, after_shop_id=after, limit=batch_size)
        if not ids:
            break
        dispatch(ids)
        result.candidates += len(ids)
        after = ids[-1]
        if len(ids) < batch_size:
            break
    return result


def shortfall_run_pass(*, now: datetime, send_emails: bool = True) -> PassResult:
    """One synchronous pass (`manage.py enforce_shortfalls`): refresh guarantees, scan, evaluate
    each candidate in this process, then send the e-mails that are due. Same services as the
    Celery path; each shop commits on its own."""
    from django.db import DatabaseError

    from common.errors import DomainError
    from deposits.services.guarantees import guarantees_expire_due

    outcome = PassResult(guarantees_changed=guarantees_expire_due(now=now))

    def evaluate_each(ids: list[int]) -> None:
        for shop_id in ids:
            try:
                done = shortfall_evaluate(shop_id=shop_id, now=now, trigger=TRIGGER_SCAN)
            except (DomainError, DatabaseError):
                log.exception("shortfall.evaluate_failed", shop_id=shop_id)
                outcome.errors += 1
                continue
            outcome.announced += int(done.announced)
            outcome.steps += len(done.steps)
            outcome.reminders += done.reminders
            outcome.resolved += int(bool(done.resolved))

    scan = shortfall_scan(now=now, dispatch=evaluate_each)
    outcome.opened, outcome.candidates = scan.opened, scan.candidates
    if send_emails:
        for notification_id in shop_services.notifications_email_due(now=now):
            try:
                outcome.emails += int(
                    shop_services.notification_email_send(notification_id=notification_id, now=now)
                )
            except Exception:
                log.exception("notification.email_failed", notification_id=notification_id)
                outcome.errors += 1
    return outcome


# --- Ops --------------------------------------------------------------------------------------


def shortfall_case_resolve_by_ops(
    *, case_id: int, note: str, actor: AbstractBaseUser, now: datetime
) -> ShortfallCase:
    """Ops close a case by hand (e.g. the merchant paid outside the system). Its restrictions are
    lifted; if the deposit is still short, the next evaluation opens a new case with a fresh
    ladder, so this also restarts the clock."""
    if not note.strip():
        raise InvalidInput(fields={"note": ["Say why the case is closed by hand."]})
    shop_id = ShortfallCase.objects.filter(pk=case_id).values_list("shop_id", flat=True).first()
    if shop_id is None:
        raise NotFound("No such shortfall case.")
    with transaction.atomic():
        account = (
            Account.objects.select_for_update(of=("self",), no_key=True)
            .select_related("shop__merchant")
            .get(shop_id=shop_id, kind=Account.Kind.DEPOSIT)
        )
        case = ShortfallCase.objects.select_for_update().get(pk=case_id)
        if case.status != OPEN:
            raise InvalidTransition("This case is already resolved.")
        assert account.shop is not None
        _case_resolve(
            case=case,
            account=account,
            shop=account.shop,
            now=now,
            resolution=Resolution.MANUAL,
            result=Evaluation(shop_id=shop_id),
            note=note.strip(),
            actor=actor,
        )
    case.refresh_from_db()
    return case


def shortfall_review_decide(
    *, review_id: int, decision: str, note: str, actor: AbstractBaseUser, now: datetime
) -> ShortfallReview:
    """Ops decide a pending review. Closure itself goes through the exit process: never here."""
    if decision not in (ShortfallReview.Status.CONTINUE, ShortfallReview.Status.CLOSURE):
        raise InvalidInput(fields={"decision": ["Either CONTINUE or CLOSURE."]})
    if not note.strip():
        raise InvalidInput(fields={"note": ["Say why: it is kept with the review."]})
    updated = ShortfallReview.objects.filter(
        pk=review_id, status=ShortfallReview.Status.PENDING
    ).update(status=decision, decided_at=now, decided_by=actor, decision_note=note.strip())
    if not updated:
        raise InvalidTransition("This review was already decided.")
    return ShortfallReview.objects.get(pk=review_id)


# --- Reads for the dashboard ------------------------------------------------------------------
# (Kept beside the service that defines the case's meaning; they only read.)


def shortfall_open_case(shop: Shop) -> ShortfallCase | None:
    return (
        ShortfallCase.objects.filter(shop=shop, status=OPEN)
        .prefetch_related("steps__restriction")
        .first()
    )


def shortfall_open_cases_by_shop(shop_ids: Iterable[int]) -> dict[int, ShortfallCase]:
    return {
        case.shop_id: case
        for case in ShortfallCase.objects.filter(shop_id__in=list(shop_ids), status=OPEN)
    }


def shortfall_latest_deduction(case: ShortfallCase) -> Entry | None:
    """The last money that left the deposit before the case opened: usually what caused it."""
    return (
        Entry.objects.filter(account_id=case.account_id, amount_minor__lt=0)
        .filter(occurred_at__lte=case.opened_at)
        .order_by("-id")
        .first()
    )


def shortfall_banner(*, shop: Shop, account: Account | None) -> dict[str, Any] | None:
    """Everything the dashboard banner says about an open case: how much, why, what is restricted
    since when, what happens next and when. None when the shop has no open case."""
    if account is None:
        return None
    case = shortfall_open_case(shop)
    if case is None:
        return None
    applied = {step.position: step for step in case.steps.all()}
    restricted = [
        step.restriction
        for step in applied.values()
        if step.restriction is not None and step.restriction.lifted_at is None
    ]
    upcoming = [
        {"when": _at(item["due_at"]), "what": step_description(item), "code": item["code"]}
        for item in case.plan
        if item["position"] not in applied
    ]
    return {
        "case": case,
        "amount_minor": account.shortfall_minor,
        "currency": account.currency,
        "opened_at": case.opened_at,
        "required_minor": account.required_minor,
        "available_minor": account.available_minor,
        "guaranteed_minor": account.guaranteed_minor,
        "debt_minor": account.debt_minor,
        "latest_deduction": shortfall_latest_deduction(case),
        "restricted": sorted(restricted, key=lambda r: r.since),
        "next": upcoming[0] if upcoming else None,
        "later": upcoming[1:],
    }

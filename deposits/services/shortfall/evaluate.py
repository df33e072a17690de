"""Evaluating one shop: open, announce, step, remind, resolve. See the package docstring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from deposits import locks
from deposits.models import (
    Account,
    LadderAction,
    ShortfallCase,
    ShortfallLadderStep,
    ShortfallReview,
    ShortfallStep,
    TransactionKind,
)
from deposits.services.shortfall.events import event_data, publish_status_changed
from deposits.services.shortfall.texts import ShortfallTexts, at
from partners import services as partner_services
from shops import services as shop_services
from shops.models import RestrictionSource, Shop, ShopRestriction

log = structlog.get_logger(__name__)

OPEN = ShortfallCase.Status.OPEN
Resolution = ShortfallCase.Resolution

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


def schedule(
    plan: list[dict[str, Any]], step: int, reminded: int
) -> tuple[datetime | None, datetime | None]:
    """(next_due_at, next_reminder_at) for a case that has applied `step` steps and handled the
    reminders of positions below `reminded`."""
    next_due = at(plan[step]["due_at"]) if step < len(plan) else None
    next_reminder = None
    for item in plan[max(step, reminded) :]:
        if item.get("reminder_at"):
            next_reminder = at(item["reminder_at"])
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
    the reminders that are due. Building block (plain `transaction.atomic`), run after the
    change that moved coverage has committed (`shortfall_evaluate_on_commit`), not inside it:
    it restricts the shop and writes notices, which a change that rolls back must not leave.
    """
    result = Evaluation(shop_id=shop_id)
    with transaction.atomic():
        # deposits.locks' order: the account, its open case, then (restriction_add and
        # restrictions_lift, through shops.locks) the shop.
        account = locks.lock_account_of_shop(shop_id)
        if account is None:
            return result
        shop = account.shop
        assert shop is not None
        case = locks.lock_open_shortfall_case(shop_id)
        short = account.shortfall_minor
        enforceable = shop.went_live_at is not None and shop.closed_at is None
        if case is None:
            if not enforceable or short <= 0:
                return result
            case, result.opened = _case_open(account=account, shop=shop, now=now)
        if not enforceable or short <= 0:
            result.resolved = case_resolve(
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
    next_due, next_reminder = schedule(plan, 0, 0)
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
        existing = locks.lock_open_shortfall_case(shop.pk)
        assert existing is not None  # the one that made this insert fail
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
        data=event_data(shop, account, case=case),
        now=now,
        ordering_key=str(shop.public_id),
    )


def _apply_due_steps(
    *, case: ShortfallCase, account: Account, shop: Shop, now: datetime, result: Evaluation
) -> None:
    while case.step < len(case.plan):
        position = case.step
        item = case.plan[position]
        due_at = at(item["due_at"])
        assert due_at is not None
        if due_at > now:
            return
        reminded = max(case.reminded, position + 1)
        next_due, next_reminder = schedule(case.plan, position + 1, reminded)
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
    texts = ShortfallTexts(shop=shop, account=account, case=case)
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
                announce=False,  # the shortfall module publishes its own status event
            )
            if shop.status != previous:
                publish_status_changed(shop, account, previous=previous, now=now)
        elif item["action"] == LadderAction.OPS_REVIEW:
            ShortfallReview.objects.get_or_create(
                case=case, defaults={"shop": shop, "opened_at": now}
            )
    notice_texts = _in_every_language(lambda: texts.step_notice(item))
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
        texts=notice_texts,
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
        next_due, next_reminder = schedule(case.plan, case.step, reminded)
        won = ShortfallCase.objects.filter(
            pk=case.pk, status=OPEN, reminded=case.reminded, step=case.step
        ).update(reminded=reminded, next_reminder_at=next_reminder)
        if not won:
            case.refresh_from_db()
            continue
        case.reminded, case.next_reminder_at = reminded, next_reminder
        item = case.plan[position]
        reminder = ShortfallTexts(shop=shop, account=account, case=case)
        notice_texts = _in_every_language(partial(reminder.reminder_notice, item))
        result.reminders += 1
        _notify(
            shop=shop,
            key=f"shortfall:{case.pk}:reminder:{position}",
            kind="shortfall.reminder",
            texts=notice_texts,
            now=now,
            result=result,
        )


def case_resolve(
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
            announce=False,
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
        texts = ShortfallTexts(shop=shop, account=account, case=case)
        remaining = _other_restrictions(shop)
    notice_texts = _in_every_language(
        lambda: texts.resolved_notice(str(Resolution(resolution).label), remaining=remaining)
    )
    partner_services.event_publish(
        partner_id=shop.partner_id,
        type="deposit.shortfall_resolved",
        data=event_data(shop, account, case=case),
        now=now,
        ordering_key=str(shop.public_id),
    )
    if shop.status != previous:
        publish_status_changed(shop, account, previous=previous, now=now)
    _notify(
        shop=shop,
        key=f"shortfall:{case.pk}:resolved",
        kind="shortfall.resolved",
        texts=notice_texts,
        now=now,
        result=result,
    )
    return resolution


def _other_restrictions(shop: Shop) -> list[ShopRestriction]:
    return list(ShopRestriction.objects.filter(shop=shop, lifted_at__isnull=True))


def _in_every_language(render: Callable[[], tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """A notice's (title, body) in each language of the site, so that each reader reads it in
    their own (the e-mail uses the merchant's)."""
    texts = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            title, body = render()
            texts[language] = (str(title), str(body))
    return texts


def _notify(
    *,
    shop: Shop,
    key: str,
    kind: str,
    texts: dict[str, tuple[str, str]],
    now: datetime,
    result: Evaluation,
) -> None:
    notice, created = shop_services.notification_create(
        merchant_id=shop.merchant_id,
        shop_id=shop.pk,
        dedupe_key=key,
        kind=kind,
        language=shop.merchant.language,
        texts=texts,
        link=_shop_link(shop),
        now=now,
    )
    if created:
        result.notification_ids.append(notice.pk)
        shop_services.notification_email_enqueue_on_commit(notice.pk)


def _shop_link(shop: Shop) -> str:
    try:
        path = reverse("dashboard:shop_detail", args=[shop.public_id])
    except NoReverseMatch:  # pragma: no cover - urls always installed
        return ""
    base = getattr(settings, "DASHBOARD_BASE_URL", "")
    return f"{base.rstrip('/')}{path}" if base else path

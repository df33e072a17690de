"""What ops do to shortfall cases and reviews from the admin."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from common.errors import InvalidInput, InvalidTransition, NotFound
from deposits import locks
from deposits.models import (
    RuleChange,
    ShortfallCase,
    ShortfallLadderStep,
    ShortfallReview,
)
from deposits.services.shortfall.evaluate import OPEN, Evaluation, Resolution, case_resolve


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
        account = locks.lock_account_of_shop(shop_id)  # deposits.locks' order: account, case
        if account is None:
            raise NotFound("The shop has no deposit account.")
        case = locks.lock_shortfall_case(case_id)
        if case.status != OPEN:
            raise InvalidTransition("This case is already resolved.")
        assert account.shop is not None
        case_resolve(
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


def ladder_step_save(
    *, step: ShortfallLadderStep, actor: AbstractBaseUser, changed_fields: Iterable[str] = ()
) -> ShortfallLadderStep:
    """Ops add or change a rung of the enforcement ladder, audited (RuleChange: who, which step,
    which fields). Open cases keep the plan they opened with; the change applies to new cases.
    Plain `atomic`: the admin calls it inside its own transaction."""
    adding = step.pk is None
    fields = f" ({', '.join(sorted(changed_fields))})" if changed_fields and not adding else ""
    with transaction.atomic():
        step.save()
        RuleChange.objects.create(
            actor=actor,
            description=(
                f"{'Added' if adding else 'Changed'} shortfall ladder step{fields}: {step.code} "
                f"({'active' if step.is_active else 'inactive'})"
            ),
        )
    return step

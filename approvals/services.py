"""Writes of the four-eyes mechanism (approvals.models has the invariants).

- `four_eyes_route(action=, maker=, reason=, now=, carry_out=, amount_minor=None, ...)`: the
  one door of every money action with four eyes. Below its threshold (and, for kinds with one,
  within the maker's daily limit) `carry_out()` runs at once and its result is returned; above
  it nothing is carried out and the PENDING request is returned.
- `request_create(...)`: keep a request (for services that decided themselves that it waits,
  e.g. a claims agent above their own limit).
- `request_approve(request_id=, checker=, now=, note="")`: a different user with the kind's
  permission approves; the registered executor runs under the request's row lock with the key
  `registry.idempotency_key(request)`, so two approvers racing carry the action out once (the
  second is told `invalid_state`). `approval_required` for the maker; `permission_denied`
  without the permission; `four_eyes_request_expired` from `expires_at` on (the request is then
  EXPIRED, committed); an executor that finds the action void (the claim left review, the shop
  closed) raises `RequestVoid`: the request is REJECTED with that note and the error is raised.
- `request_reject(request_id=, checker=, now=, note)`: the reason is required and kept; the
  maker may withdraw their own request this way.
- `requests_expire(now=)`: the periodic sweep (approvals.tasks.expire_requests);
  `request_expire_locked(request, now=)` for a request the caller already locked.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db import transaction

from approvals import locks, registry
from approvals.models import FourEyesRequest, RequestStatus, RequestWhy
from common.errors import (
    ApprovalRequired,
    DomainError,
    FourEyesAwaiting,
    FourEyesRequestExpired,
    InvalidInput,
    InvalidTransition,
    PermissionDenied,
)

REQUEST_EXPIRES_AFTER = timedelta(hours=72)

T = TypeVar("T")


class RequestVoid(Exception):
    """Raised by an executor when the action can no longer be carried out: the request is closed
    (REJECTED, with `note`) and `error` reaches the checker."""

    def __init__(self, error: DomainError, note: str) -> None:
        super().__init__(note)
        self.error = error
        self.note = note


def _required(text: str, field: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(f"{field}: {message}", fields={field: [message]})
    return text


def _as_kind_model(request: FourEyesRequest) -> FourEyesRequest:
    model = registry.kind_of(request.action).model
    if model is not None and not isinstance(request, model):
        request.__class__ = model
    return request


def request_create(
    *,
    action: str,
    maker: Any,
    reason: str,
    now: datetime,
    payload: dict[str, Any],
    amount_minor: int | None = None,
    currency: str = "",
    subject: Any = None,
    subject_label: str = "",
    why: str = RequestWhy.THRESHOLD,
) -> FourEyesRequest:
    kind = registry.kind_of(action)
    reason = _required(reason, "reason", "Say why: the second person reads it.")
    subject_type = subject._meta.label_lower if subject is not None else ""
    subject_id = subject.pk if subject is not None else None
    with transaction.atomic():
        if kind.exclusive and subject_id is not None:
            for stale in locks.lock_pending_for_subject(action, subject_id):
                if stale.expires_at <= now:
                    _expire(stale, now=now)
                else:
                    raise FourEyesAwaiting(
                        f"{stale.maker.get_username()} already asked for this on "
                        f"{stale.made_at:%Y-%m-%d %H:%M}; it waits for a second person."
                    )
        request = FourEyesRequest.objects.create(
            action=action,
            why=why,
            subject_type=subject_type,
            subject_id=subject_id,
            subject_label=(subject_label or (str(subject) if subject is not None else ""))[:200],
            exclusive=kind.exclusive,
            amount_minor=amount_minor,
            currency=currency,
            reason=reason,
            payload=payload,
            maker=maker,
            made_at=now,
            expires_at=now + REQUEST_EXPIRES_AFTER,
        )
    return _as_kind_model(request)


def four_eyes_route(
    *,
    action: str,
    maker: Any,
    reason: str,
    now: datetime,
    carry_out: Callable[[], T],
    payload: dict[str, Any],
    amount_minor: int | None = None,
    currency: str = "",
    subject: Any = None,
    subject_label: str = "",
    check: Callable[[], None] | None = None,
) -> T | FourEyesRequest:
    """Carry the action out now, or keep it for a second person (see the module). `check()`
    runs before a request is kept, so nobody is asked to approve what cannot be carried out."""
    kind = registry.kind_of(action)
    limited = bool(
        kind.daily_limit_key
        and kind.spent_since
        and amount_minor
        and registry.threshold_minor(kind.daily_limit_key) is not None
    )
    if not limited:
        # No limit to hold: the action runs in its own transaction(s), as it would without
        # four-eyes (a ledger refusal stays stored under its key).
        if not registry.above_threshold(action, amount_minor):
            return carry_out()
        if check is not None:
            check()
        return request_create(
            action=action,
            maker=maker,
            reason=reason,
            now=now,
            payload=payload,
            amount_minor=amount_minor,
            currency=currency,
            subject=subject,
            subject_label=subject_label,
            why=RequestWhy.ALWAYS if amount_minor is None else RequestWhy.THRESHOLD,
        )
    with transaction.atomic():
        why = RequestWhy.THRESHOLD if registry.above_threshold(action, amount_minor) else None
        if why is None:
            # One maker's actions of this kind queue on the maker's row until this one commits,
            # so two made at once cannot both fit under the limit.
            locks.lock_maker(maker.pk)
            limit = registry.threshold_minor(kind.daily_limit_key)  # type: ignore[arg-type]
            spent = kind.spent_since(maker=maker, since=registry.day_start(now))  # type: ignore[misc]
            if spent + abs(amount_minor) > limit:  # type: ignore[arg-type,operator]
                why = RequestWhy.DAILY_LIMIT
        if why is None:
            return carry_out()
        if check is not None:
            check()
        return request_create(
            action=action,
            maker=maker,
            reason=reason,
            now=now,
            payload=payload,
            amount_minor=amount_minor,
            currency=currency,
            subject=subject,
            subject_label=subject_label,
            why=why,
        )


def _expire(request: FourEyesRequest, *, now: datetime) -> None:
    request.status = RequestStatus.EXPIRED
    request.checked_at = now
    request.save(update_fields=["status", "checked_at"])
    kind = registry.kind_of(request.action)
    if kind.on_expire is not None:
        kind.on_expire(request=_as_kind_model(request), now=now)


def request_expire_locked(request: FourEyesRequest, *, now: datetime) -> None:
    """Mark a PENDING request past its expiry EXPIRED; the caller holds its row lock (an app that
    locks a subject's pending requests first, as claims does)."""
    if request.status == RequestStatus.PENDING and request.expires_at <= now:
        _expire(request, now=now)


def _close(request: FourEyesRequest, *, checker: Any, now: datetime, note: str) -> None:
    request.status = RequestStatus.REJECTED
    request.checker = checker
    request.checked_at = now
    request.check_note = note
    request.save(update_fields=["status", "checker", "checked_at", "check_note"])
    kind = registry.kind_of(request.action)
    if kind.on_reject is not None:
        kind.on_reject(request=_as_kind_model(request), checker=checker, now=now)


def _refuse_unless_pending(request: FourEyesRequest) -> None:
    if request.status != RequestStatus.PENDING:
        raise InvalidTransition(f"This request is already {request.get_status_display()}.")


def may_check(request: FourEyesRequest, user: Any) -> bool:
    """May this user approve or reject this request (not its maker, with the permission)?"""
    return request.maker_id != user.pk and user.has_perm(
        registry.kind_of(request.action).approve_permission
    )


def request_approve(*, request_id: int, checker: Any, now: datetime, note: str = "") -> Any:
    """A second person approves: the action is carried out once (see the module)."""
    refusal: Exception | None = None
    result: Any = None
    with transaction.atomic():
        request = _as_kind_model(locks.lock_request(request_id))
        _refuse_unless_pending(request)
        if request.maker_id == checker.pk:
            raise ApprovalRequired(
                "A different person must approve what you asked for (four-eyes)."
            )
        kind = registry.kind_of(request.action)
        if not checker.has_perm(kind.approve_permission):
            raise PermissionDenied("Your role may not approve this kind of request.")
        if now >= request.expires_at:
            _expire(request, now=now)
            refusal = FourEyesRequestExpired(
                f"The request expired at {request.expires_at:%Y-%m-%d %H:%M} UTC; make it again."
            )
        else:
            try:
                # A savepoint: a void action rolls back what the executor began, and the
                # request is closed in the outer transaction.
                with transaction.atomic():
                    result = kind.execute(request=request, checker=checker, now=now, note=note)
            except RequestVoid as void:
                _close(request, checker=checker, now=now, note=void.note)
                refusal = void.error
            else:
                request.status = RequestStatus.APPROVED
                request.checker = checker
                request.checked_at = now
                request.check_note = note.strip()
                request.result = _result_summary(result)
                request.save(
                    update_fields=["status", "checker", "checked_at", "check_note", "result"]
                )
    if refusal is not None:
        raise refusal
    return result


def _result_summary(result: Any) -> dict[str, Any]:
    """What was carried out, as plain values for the record (a posting's transaction, a row)."""
    summary: dict[str, Any] = {}
    result = getattr(result, "record", result)  # a wrapper that also carries a show-once text
    transaction_ = getattr(result, "transaction", None)
    if transaction_ is not None and getattr(transaction_, "pk", None):
        summary["transaction_id"] = transaction_.pk
    if getattr(result, "_meta", None) is not None and getattr(result, "pk", None):
        summary["object"] = f"{result._meta.label_lower}:{result.pk}"
    if isinstance(result, int | str):
        summary["value"] = result
    return summary


def request_reject(*, request_id: int, checker: Any, now: datetime, note: str) -> FourEyesRequest:
    """The second person refuses (or the maker withdraws), with the reason kept."""
    note = _required(note, "note", "Say why the request is rejected.")
    with transaction.atomic():
        request = _as_kind_model(locks.lock_request(request_id))
        _refuse_unless_pending(request)
        kind = registry.kind_of(request.action)
        if request.maker_id != checker.pk and not checker.has_perm(kind.approve_permission):
            raise PermissionDenied("Your role may not reject this kind of request.")
        _close(request, checker=checker, now=now, note=note)
    return request


def requests_expire(*, now: datetime, action: str | None = None) -> int:
    """Every PENDING request past its expiry becomes EXPIRED (the periodic sweep; approving one
    expires it on the way too)."""
    pending = FourEyesRequest.objects.filter(status=RequestStatus.PENDING, expires_at__lte=now)
    if action is not None:
        pending = pending.filter(action=action)
    expired = 0
    for request_id in pending.values_list("pk", flat=True):
        with transaction.atomic():
            request = locks.lock_request(request_id)
            if request.status == RequestStatus.PENDING and request.expires_at <= now:
                _expire(request, now=now)
                expired += 1
    return expired

"""Which actions need four eyes, and how each is carried out.

Each app registers its action kinds in its `AppConfig.ready()`: the executor (carries the action
out from a request's payload, with `idempotency_key(request)` as its own key), the permission a
checker needs, the threshold's key in `settings.FOUR_EYES_THRESHOLDS_MINOR` and, for the kinds
with a daily limit per maker, what the maker already did at once today. This app imports none of
them: it sits just above `common`, so partners, shops, deposits and claims can all use it.

Thresholds: an action waits for a second person when its amount (absolute) is **above** its
threshold; an action without an amount (an unfreeze, a rule change, a partner key) waits whenever
its threshold is set; a threshold of `None` turns four-eyes off for that kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

# A request (approvals.models.FourEyesRequest) is typed loosely here: the model names its kinds'
# labels through this module, so this module does not import the model back.
FourEyesRequest = Any

Executor = Callable[..., Any]


@dataclass(frozen=True)
class ActionKind:
    action: str  # "deposits.adjustment": app label, then the action
    label: Any  # what ops read (lazy translation)
    execute: Executor  # execute(request=, checker=, now=, note=) -> a result
    threshold_key: str
    approve_permission: str = "approvals.approve_request"
    exclusive: bool = False  # one pending request per subject
    # The key of the daily cumulative limit per maker, and what the maker carried out at once
    # since a moment: spent_since(maker=, since=) -> minor units (absolute).
    daily_limit_key: str | None = None
    spent_since: Callable[..., int] | None = None
    # Hooks for the app's own record (a claim's timeline): on_expire(request=, now=),
    # on_reject(request=, checker=, now=).
    on_expire: Callable[..., None] | None = None
    on_reject: Callable[..., None] | None = None
    # The app's proxy of FourEyesRequest for this kind, so its services hand back their own type.
    model: Any = None
    # Lines that make the payload readable in the admin: describe(request) -> [(label, text)].
    describe: Callable[[FourEyesRequest], list[tuple[Any, str]]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_KINDS: dict[str, ActionKind] = {}


def register(kind: ActionKind) -> None:
    """Register (or, on a second `ready()` in tests, replace) an action kind."""
    _KINDS[kind.action] = kind


def kind_of(action: str) -> ActionKind:
    try:
        return _KINDS[action]
    except KeyError:
        raise LookupError(f"No four-eyes action kind {action!r} is registered.") from None


def kinds() -> list[ActionKind]:
    return sorted(_KINDS.values(), key=lambda k: k.action)


def threshold_minor(key: str) -> int | None:
    """The setting's value for one key (None: four-eyes off). A missing key is a mistake in
    settings, so it fails loudly rather than letting money through unchecked."""
    return settings.FOUR_EYES_THRESHOLDS_MINOR[key]


def above_threshold(action: str, amount_minor: int | None) -> bool:
    threshold = threshold_minor(kind_of(action).threshold_key)
    if threshold is None:
        return False
    return amount_minor is None or abs(amount_minor) > threshold


def idempotency_key(request: FourEyesRequest) -> str:
    """The executor's own idempotency key: derived from the request, so an approval replayed
    (a retried task, a second worker) cannot carry the action out twice."""
    return f"four-eyes:{request.pk}"


def day_start(now: datetime) -> datetime:
    """Where the maker's day starts for the daily limit: local midnight (settings.TIME_ZONE)."""
    from django.utils import timezone

    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)

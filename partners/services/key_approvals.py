"""A partner key with money scopes under four-eyes (approvals, actions "partners.money_key" and
"partners.money_key_rotation").

Keys that may move money (`MONEY_SCOPES`: deposits, claim decisions, underwriting) are issued,
and rotated by ops, only when a second person approves; other keys at once, as before. The raw
key exists once, when the key is issued: on approval it is shown to the approving supervisor
(never stored, never in the request), who hands it to the partner, so the maker never holds a
money key alone. Both kinds share one setting (`partners.money_key`). A partner rotating its own
key through the API needs nobody: it already holds a key with those scopes, and the successor
has no more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_lazy

from approvals import registry
from approvals.models import FourEyesRequest
from approvals.services import four_eyes_route
from common.errors import InvalidInput
from partners.models import ApiKey, Partner, Scope
from partners.services.keys import IssuedKey, api_key_create, api_key_rotate, rotation_overlap

ACTION = "partners.money_key"
ROTATION = "partners.money_key_rotation"
MONEY_SCOPES = frozenset({Scope.DEPOSITS_WRITE, Scope.CLAIMS_DECIDE, Scope.INSURANCE_UNDERWRITE})


@dataclass(frozen=True)
class ApprovedKey:
    """What approving a key request answers: the key, and its raw value shown once."""

    record: ApiKey
    show_once: str


def api_key_create_or_request(
    *,
    partner: Partner,
    now: datetime,
    scopes: Iterable[str],
    name: str = "",
    expires_at: datetime | None = None,
    actor: AbstractBaseUser,
) -> IssuedKey | FourEyesRequest:
    wanted = list(dict.fromkeys(scopes))
    if not MONEY_SCOPES & set(wanted):
        return api_key_create(
            partner=partner, now=now, scopes=wanted, name=name, expires_at=expires_at, actor=actor
        )
    money = ", ".join(sorted(MONEY_SCOPES & set(wanted)))
    return four_eyes_route(
        action=ACTION,
        maker=actor,
        reason=f"Key '{name or partner.name}' for {partner.name} with money scopes: {money}",
        now=now,
        subject=partner,
        subject_label=partner.name,
        payload={
            "partner_id": partner.pk,
            "scopes": wanted,
            "name": name,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
        carry_out=lambda: api_key_create(
            partner=partner, now=now, scopes=wanted, name=name, expires_at=expires_at, actor=actor
        ),
    )


def _carry_out(
    *, request: FourEyesRequest, checker: AbstractBaseUser, now: datetime, note: str = ""
) -> ApprovedKey:
    expires = request.payload.get("expires_at")
    issued = api_key_create(
        partner=Partner.objects.get(pk=request.payload["partner_id"]),
        now=now,
        scopes=request.payload["scopes"],
        name=request.payload.get("name") or "",
        expires_at=parse_datetime(expires) if expires else None,
        actor=request.maker,
    )
    return ApprovedKey(
        record=issued.api_key,
        show_once=gettext(
            "Copy this key now and hand it to the partner; it is not stored and cannot be shown "
            "again: {key}"
        ).format(key=issued.raw),
    )


def api_key_rotate_or_request(
    *,
    api_key: ApiKey,
    now: datetime,
    overlap_hours: int | None,
    reason: str,
    actor: AbstractBaseUser,
) -> IssuedKey | FourEyesRequest:
    """Ops rotate a key: at once, or (money scopes) when a second person approves, who is then
    shown the new key. The overlap starts when the rotation is carried out."""
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why the key is rotated."]})
    rotation_overlap(overlap_hours)  # refuse a bad overlap before anyone is asked to approve

    def carry_out() -> IssuedKey:
        return api_key_rotate(
            api_key_id=api_key.pk, now=now, overlap_hours=overlap_hours, actor=actor
        )

    if not MONEY_SCOPES & set(api_key.scopes):
        return carry_out()
    return four_eyes_route(
        action=ROTATION,
        maker=actor,
        reason=reason.strip(),
        now=now,
        subject=api_key,
        subject_label=f"{api_key.prefix}… ({api_key.partner})",
        payload={"api_key_id": api_key.pk, "overlap_hours": overlap_hours},
        carry_out=carry_out,
    )


def _carry_out_rotation(
    *, request: FourEyesRequest, checker: AbstractBaseUser, now: datetime, note: str = ""
) -> ApprovedKey:
    issued = api_key_rotate(
        api_key_id=request.payload["api_key_id"],
        now=now,
        overlap_hours=request.payload.get("overlap_hours"),
        actor=request.maker,
    )
    return ApprovedKey(
        record=issued.api_key,
        show_once=gettext(
            "Copy this key now and hand it to the partner; it is not stored and cannot be shown "
            "again: {key}"
        ).format(key=issued.raw),
    )


def _describe_rotation(request: FourEyesRequest) -> list[tuple[Any, str]]:
    hours = request.payload.get("overlap_hours")
    return [
        (gettext_lazy("key"), request.subject_label),
        (
            gettext_lazy("overlap (hours)"),
            str(settings.PARTNER_KEY_ROTATION_OVERLAP_HOURS if hours is None else hours),
        ),
    ]


def _describe(request: FourEyesRequest) -> list[tuple[Any, str]]:
    return [
        (gettext_lazy("partner"), request.subject_label),
        (gettext_lazy("name"), request.payload.get("name") or "—"),
        (gettext_lazy("scopes"), ", ".join(request.payload.get("scopes", []))),
        (gettext_lazy("expires at"), request.payload.get("expires_at") or "—"),
    ]


def register_four_eyes() -> None:
    registry.register(
        registry.ActionKind(
            action=ACTION,
            label=gettext_lazy("Partner key with money scopes"),
            execute=_carry_out,
            threshold_key="partners.money_key",
            describe=_describe,
        )
    )
    registry.register(
        registry.ActionKind(
            action=ROTATION,
            label=gettext_lazy("Rotation of a partner key with money scopes"),
            execute=_carry_out_rotation,
            threshold_key="partners.money_key",
            describe=_describe_rotation,
            exclusive=True,  # one rotation of a key waiting at a time
        )
    )

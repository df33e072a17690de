"""Partners and their API keys. Keyword-only; `now` is passed in."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from common.errors import ApiKeyAlreadyRotated, InvalidInput, InvalidTransition, NotFound
from partners.models import ApiKey, Partner, Scope
from partners.services.key_cache import api_keys_forget

KEY_PREFIX = "ddk_"
# 32 random bytes: far beyond guessing, so a fast hash (SHA-256) is the right way to store it.
_SECRET_BYTES = 32
MAX_RAW_KEY_LENGTH = 200


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw: str  # shown once, never stored


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def partner_get_or_create(*, name: str, kind: str = Partner.Kind.MARKETPLACE) -> Partner:
    name = name.strip()
    if not name:
        raise InvalidInput(fields={"name": ["A partner needs a name."]})
    if kind not in Partner.Kind.values:
        raise InvalidInput(fields={"kind": [f"Must be one of {', '.join(Partner.Kind.values)}."]})
    partner, _ = Partner.objects.get_or_create(name=name, defaults={"kind": kind})
    return partner


def api_key_create(
    *,
    partner: Partner,
    now: datetime,
    scopes: Iterable[str] | None = None,
    name: str = "",
    expires_at: datetime | None = None,
    actor: AbstractBaseUser | None = None,
    replaces: ApiKey | None = None,
) -> IssuedKey:
    """Issue a key (all scopes unless given). The raw key is returned once and never stored."""
    wanted = list(dict.fromkeys(Scope.values if scopes is None else scopes))
    unknown = [s for s in wanted if s not in Scope.values]
    if unknown:
        raise InvalidInput(fields={"scopes": [f"Unknown scope {s!r}." for s in unknown]})
    if expires_at is not None and expires_at <= now:
        raise InvalidInput(fields={"expires_at": ["Must be in the future."]})
    for _attempt in range(5):
        prefix = KEY_PREFIX + secrets.token_hex(4)
        raw = f"{prefix}_{secrets.token_urlsafe(_SECRET_BYTES)}"
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    api_key = ApiKey.objects.create(
        partner=partner,
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_key(raw),
        scopes=wanted,
        created_at=now,
        created_by=actor,
        expires_at=expires_at,
        replaces=replaces,
    )
    return IssuedKey(api_key=api_key, raw=raw)


def rotation_overlap(hours: int | None) -> timedelta:
    """The overlap asked for, or the default; refused outside 0 … the configured maximum."""
    maximum = settings.PARTNER_KEY_ROTATION_MAX_OVERLAP_HOURS
    if hours is None:
        hours = settings.PARTNER_KEY_ROTATION_OVERLAP_HOURS
    if not 0 <= hours <= maximum:
        raise InvalidInput(
            f"overlap_hours: must be 0 to {maximum}.",
            fields={"overlap_hours": [f"Must be 0 to {maximum} hours."]},
        )
    return timedelta(hours=hours)


def api_key_rotate(
    *,
    api_key_id: int,
    now: datetime,
    overlap_hours: int | None = None,
    partner_id: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> IssuedKey:
    """Issue the key's successor (same partner, label and scopes) and let the old key work only
    until now + overlap (never later than it would have anyway). The raw key is returned once.

    `partner_id`, when given, is the partner asking: another partner's key is `not_found`, as in
    every partner-scoped read. Refused: a revoked or expired key, and a key already rotated
    (`key_already_rotated`): under the old key's row lock, so of two rotations at once one
    issues the successor and the other is refused; `replaces` being one-to-one backs that in the
    schema. Rotating a key that is itself inside an overlap ends its predecessor's overlap now,
    so a lineage never has three usable keys. The new key inherits the old one's absolute
    expiry, if it had one: rotation never extends a key's life."""
    overlap = rotation_overlap(overlap_hours)
    with transaction.atomic():
        # FOR NO KEY UPDATE, as everywhere: the successor's foreign key takes KEY SHARE on it.
        old = (
            ApiKey.objects.select_for_update(no_key=True, of=("self",))
            .select_related("partner", "replaces")
            .filter(pk=api_key_id)
            .first()
        )
        if old is None or (partner_id is not None and old.partner_id != partner_id):
            raise NotFound("No such API key.")
        if old.revoked_at is not None:
            raise InvalidTransition("A revoked key cannot be rotated; issue a new key.")
        if old.expires_at is not None and old.expires_at <= now:
            raise InvalidTransition("An expired key cannot be rotated; issue a new key.")
        successor = ApiKey.objects.filter(replaces=old).only("prefix").first()
        if successor is not None:
            raise ApiKeyAlreadyRotated(
                f"This key was already rotated; its successor is {successor.prefix}…."
            )
        issued = api_key_create(
            partner=old.partner,
            now=now,
            scopes=old.scopes,
            name=old.name,
            expires_at=old.expires_at,
            actor=actor,
            replaces=old,
        )
        until = now + overlap
        if old.expires_at is None or until < old.expires_at:
            old.expires_at = until
            old.save(update_fields=["expires_at"])
        predecessor = old.replaces
        if (
            predecessor is not None
            and predecessor.revoked_at is None
            and (predecessor.expires_at is None or predecessor.expires_at > now)
        ):
            ApiKey.objects.filter(pk=predecessor.pk).update(expires_at=now)
            api_keys_forget()  # update() sends no signal: web processes must drop it now
    return issued


def api_key_revoke(
    *, api_key: ApiKey, now: datetime, reason: str, actor: AbstractBaseUser | None = None
) -> None:
    """Revoke at once: the next request with this key is a 401."""
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["Say why the key is revoked."]})
    with transaction.atomic():
        updated = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_reason=reason.strip()[:300]
        )
    if not updated:
        raise InvalidTransition("The key is already revoked.")
    api_key.revoked_at = now
    # Web processes remember keys for a few seconds: tell them all (partners.services.key_cache).
    api_keys_forget()


def api_key_touch(*, api_key: ApiKey, now: datetime, every_seconds: int = 60) -> bool:
    """Record use at most once a minute per key: a compare-and-set UPDATE, skipped entirely
    when the cached value is recent (so almost every request costs no write)."""
    last = api_key.last_used_at
    if last is not None and (now - last).total_seconds() < every_seconds:
        return False
    updated = ApiKey.objects.filter(pk=api_key.pk, last_used_at=last).update(last_used_at=now)
    api_key.last_used_at = now
    return bool(updated)

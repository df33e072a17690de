"""Idempotency records for the partner API: the first response to a POST, kept 24 hours.

Two ways to write one, both inside the caller's transaction (the one that makes the effect):

- `idempotency_claim` *first*, for operations that are not idempotent on their own (registering a
  shop, creating a webhook endpoint): the key row is inserted before the work. A concurrent
  duplicate blocks on the unique index until the first transaction ends, then sees the committed
  record and replays it; if the first is still running after `wait_ms` it gets
  `idempotency_key_in_use` (409). `idempotency_complete` then stores the response.
- `idempotency_store` *last*, for ledger operations: these already serialise on the deposit
  account's row lock and carry their own ledger idempotency key, so a duplicate waits on the lock
  and replays in the ledger; the record is inserted at the end with its response, one statement
  instead of two (stack.md: round trips set the pace).

In both cases a record exists if and only if the effect committed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction

from common.errors import DomainError
from partners.models import IdempotencyRecord

RETENTION = timedelta(hours=24)
_TABLE = IdempotencyRecord._meta.db_table
_LOCK_NOT_AVAILABLE = "55P03"


class IdempotencyKeyInUse(DomainError):
    code = "idempotency_key_in_use"
    http_status = 409
    default_detail = (
        "A request with this Idempotency-Key is still being processed; retry in a moment."
    )


def request_fingerprint(*, method: str, path: str, data: Any) -> str:
    """SHA-256 over method, path and the body as canonical JSON (key order and whitespace do
    not matter; any value that does, does)."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    raw = f"{method.upper()}\n{path}\n{body}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()


def idempotency_claim(
    *,
    partner_id: int,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    now: datetime,
    wait_ms: int,
) -> tuple[int | None, IdempotencyRecord | None]:
    """Claim `key` inside the caller's transaction. Returns (record_id, None) when the key is
    ours, or (None, committed_record) when an earlier request owns it."""
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                # lock_timeout bounds the wait behind an in-flight duplicate; reset right after
                # so it does not apply to the locks the operation itself takes.
                cursor.execute(
                    f"SET LOCAL lock_timeout = {int(wait_ms)}; "
                    f'INSERT INTO {_TABLE} (partner_id, "key", fingerprint, method, path, '
                    "status_code, response_body, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, NULL, '', %s) "
                    'ON CONFLICT (partner_id, "key") DO NOTHING RETURNING id',
                    [partner_id, key, fingerprint, method, path[:500], now],
                )
                row = cursor.fetchone()
                cursor.execute("SET LOCAL lock_timeout = DEFAULT")
        except OperationalError as exc:
            if getattr(getattr(exc, "__cause__", None), "pgcode", None) == _LOCK_NOT_AVAILABLE:
                raise IdempotencyKeyInUse() from None
            raise
        if row is not None:
            return row[0], None
        return None, IdempotencyRecord.objects.get(partner_id=partner_id, key=key)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                partner_id=partner_id,
                key=key,
                fingerprint=fingerprint,
                method=method,
                path=path[:500],
                created_at=now,
            )
    except IntegrityError:
        return None, IdempotencyRecord.objects.get(partner_id=partner_id, key=key)
    return record.pk, None


def idempotency_complete(*, record_id: int, status_code: int, response_body: str) -> None:
    IdempotencyRecord.objects.filter(pk=record_id).update(
        status_code=status_code, response_body=response_body
    )


def idempotency_store(
    *,
    partner_id: int,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    status_code: int,
    response_body: str,
    now: datetime,
) -> IdempotencyRecord | None:
    """Insert the finished record in the caller's transaction. Returns None when stored, or the
    record an earlier request committed under the same key (the caller replays it or refuses
    the reuse, and rolls its own transaction back)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f'INSERT INTO {_TABLE} (partner_id, "key", fingerprint, method, path, '
                "status_code, response_body, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
                'ON CONFLICT (partner_id, "key") DO NOTHING RETURNING id',
                [partner_id, key, fingerprint, method, path[:500], status_code, response_body, now],
            )
            row = cursor.fetchone()
        if row is not None:
            return None
        return IdempotencyRecord.objects.get(partner_id=partner_id, key=key)
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                partner_id=partner_id,
                key=key,
                fingerprint=fingerprint,
                method=method,
                path=path[:500],
                status_code=status_code,
                response_body=response_body,
                created_at=now,
            )
    except IntegrityError:
        return IdempotencyRecord.objects.get(partner_id=partner_id, key=key)
    return None


def idempotency_records_prune(*, now: datetime, batch: int = 5000) -> int:
    """Delete records older than 24 hours, in batches so no statement holds many row locks."""
    cutoff = now - RETENTION
    deleted = 0
    while True:
        ids = list(
            IdempotencyRecord.objects.filter(created_at__lt=cutoff)
            .order_by("id")
            .values_list("id", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
